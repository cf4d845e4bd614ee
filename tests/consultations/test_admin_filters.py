import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from consultations.models import BusinessLine, Channel, Consultation

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/consultations/consultation/"
KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def staff(client: Client, django_user_model: type[User]) -> Client:
    client.force_login(django_user_model.objects.create_superuser("boss"))
    return client


@pytest.fixture
def stored() -> dict[str, Consultation]:
    """Store consultations around 09:30 Kolkata time (UTC+5:30) on two days."""
    web = Channel.objects.create(code="web", name="Website")
    app = Channel.objects.create(code="app", name="Mobile app")
    retail = BusinessLine.objects.create(code="retail", name="Retail")
    starts = {
        # Monday 4 March 2024, local
        "mon-0929": (dt.datetime(2024, 3, 4, 9, 29, 59, tzinfo=KOLKATA), web, retail),
        "mon-0930": (dt.datetime(2024, 3, 4, 9, 30, tzinfo=KOLKATA), web, None),
        "mon-0959": (dt.datetime(2024, 3, 4, 9, 59, 59, tzinfo=KOLKATA), app, retail),
        "mon-1000": (dt.datetime(2024, 3, 4, 10, 0, tzinfo=KOLKATA), web, retail),
        # Tuesday 5 March 2024, local
        "tue-0945": (dt.datetime(2024, 3, 5, 9, 45, tzinfo=KOLKATA), app, None),
        # Wednesday 6 March, 00:10 local, still Tuesday in UTC
        "wed-0010": (dt.datetime(2024, 3, 6, 0, 10, tzinfo=KOLKATA), web, retail),
    }
    return {
        name: Consultation.objects.create(
            source="admin-tests",
            external_id=name,
            started_at=started_at,
            channel=channel,
            business_line=line,
        )
        for name, (started_at, channel, line) in starts.items()
    }


def _listed(client: Client, query: str) -> list[str]:
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200, response.get("Location")
    return sorted(c.external_id for c in response.context["cl"].queryset)


def test_local_time_filter_selects_slot_across_days(
    staff: Client, stored: dict
) -> None:
    # When the 09:30-10:00 Kolkata slot of 4-5 March is asked for
    query = (
        "local_from=2024-03-04&local_to=2024-03-06&tz=Asia/Kolkata"
        "&local_time=09:30&local_minutes=30"
    )

    # Then the consultations started in it on either day are listed, not those on
    # its edges' other sides
    assert _listed(staff, query) == ["mon-0930", "mon-0959", "tue-0945"]


def test_local_time_filter_selects_weekday_in_local_time(
    staff: Client, stored: dict
) -> None:
    # When Wednesdays (local) of the week are asked for
    query = "local_from=2024-03-04&local_to=2024-03-11&tz=Asia/Kolkata&weekday=3"

    # Then the consultation of Wednesday 00:10 local (Tuesday in UTC) is listed
    assert _listed(staff, query) == ["wed-0010"]


def test_local_time_filter_range_uses_local_midnights(
    staff: Client, stored: dict
) -> None:
    # When Wednesday 6 March alone is asked for in Kolkata, and in UTC
    kolkata = _listed(
        staff, "local_from=2024-03-06&local_to=2024-03-07&tz=Asia/Kolkata"
    )
    utc = _listed(staff, "local_from=2024-03-06&local_to=2024-03-07&tz=UTC")

    # Then the local day decides
    assert (kolkata, utc) == (["wed-0010"], [])


def test_dimension_code_filters_take_several_codes_and_none(
    staff: Client, stored: dict
) -> None:
    # When two channel codes and "no business line" are asked for
    listed = _listed(staff, "channel=web&channel=app&business_line=-")

    # Then consultations of either channel without a business line are listed
    assert listed == ["mon-0930", "tue-0945"]


def test_drill_down_filters_combine_and_show_in_the_sidebar(
    staff: Client, stored: dict
) -> None:
    # When a dashboard drill-down link is followed
    response = staff.get(
        f"{CHANGELIST}?local_from=2024-03-04&local_to=2024-03-06&tz=Asia/Kolkata"
        "&local_time=09:30&local_minutes=30&channel=web"
    )

    # Then one consultation matches and the sidebar says what is selected
    assert [c.external_id for c in response.context["cl"].queryset] == ["mon-0930"]
    html = response.content.decode()
    assert "2024-03-04 to 2024-03-06, 09:30 to 10:00, Asia/Kolkata" in html
    specs = {spec.title: spec for spec in response.context["cl"].filter_specs}
    channel_choices = list(specs["channel"].choices(response.context["cl"]))
    assert [(c["display"], c["selected"]) for c in channel_choices] == [
        ("All", False),
        ("Mobile app", False),
        ("Website", True),
        ("(none)", False),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "tz=Mars/Olympus",
        "local_from=2024-13-01",
        "local_time=25:00",
        "weekday=8",
        "local_minutes=0",
    ],
)
def test_local_time_filter_bad_value_flags_error(staff: Client, query: str) -> None:
    # When a drill-down parameter is malformed
    response = staff.get(f"{CHANGELIST}?{query}")

    # Then the admin sends the user to its error flag instead of failing
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?e=1"
