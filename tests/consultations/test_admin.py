import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from openpyxl import load_workbook

from consultations.models import (
    Agent,
    BusinessLine,
    Channel,
    Consultation,
    Customer,
    CustomerTier,
    Team,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/consultations/consultation/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = [
    "id",
    "source",
    "external_id",
    "started_at",
    "first_response_at",
    "ended_at",
    "customer_timezone",
    "channel",
    "consultation_type",
    "business_line",
    "product_category",
    "customer_tier",
    "customer",
    "agent",
    "team",
    "converted",
    "satisfaction",
    "abandoned",
    "message_count",
    "created_at",
    "updated_at",
    "wait_seconds",
    "duration_seconds",
]


@pytest.fixture
def viewer(client: Client, django_user_model: type[User]) -> Client:
    """Return a client of staff that may view, but not change, consultations."""
    user = django_user_model.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_consultation"))
    client.force_login(user)
    return client


@pytest.fixture
def stored() -> list[Consultation]:
    """Store one complete consultation (Chinese names) and one sparse one."""
    web = Channel.objects.create(code="web", name="网站")
    vip = CustomerTier.objects.create(code="vip", name="贵宾")
    team = Team.objects.create(code="east", name="华东组")
    full = Consultation.objects.create(
        source="crm",
        external_id="全-1",
        started_at=dt.datetime(2024, 3, 4, 9, 10, tzinfo=SHANGHAI),
        first_response_at=dt.datetime(2024, 3, 4, 9, 10, 30, tzinfo=SHANGHAI),
        ended_at=dt.datetime(2024, 3, 4, 9, 25, tzinfo=SHANGHAI),
        customer_timezone="Asia/Shanghai",
        channel=web,
        business_line=BusinessLine.objects.create(code="retail", name="零售"),
        customer_tier=vip,
        customer=Customer.objects.create(external_id="cust-7", tier=vip),
        agent=Agent.objects.create(external_id="agent-3", name="李娜", team=team),
        team=team,
        converted=True,
        satisfaction=5,
        message_count=12,
    )
    sparse = Consultation.objects.create(
        source="crm",
        external_id="sparse-2",
        started_at=dt.datetime(2024, 3, 5, 22, 0, tzinfo=SHANGHAI),
        channel=web,
        abandoned=True,
    )
    return [full, sparse]


def _expected_rows(stored: list[Consultation]) -> list[list[str]]:
    full, sparse = stored
    return [
        HEADER,
        [
            str(full.pk), "crm", "全-1", "2024-03-04T01:10:00+00:00",
            "2024-03-04T01:10:30+00:00", "2024-03-04T01:25:00+00:00",
            "Asia/Shanghai", "web", "", "retail", "", "vip", "cust-7", "agent-3",
            "east", "True", "5", "False", "12",
            full.created_at.astimezone(dt.UTC).isoformat(),
            full.updated_at.astimezone(dt.UTC).isoformat(), "30.0", "900.0",
        ],
        [
            str(sparse.pk), "crm", "sparse-2", "2024-03-05T14:00:00+00:00", "", "",
            "", "web", "", "", "", "", "", "", "", "False", "", "True", "0",
            sparse.created_at.astimezone(dt.UTC).isoformat(),
            sparse.updated_at.astimezone(dt.UTC).isoformat(), "", "",
        ],
    ]  # fmt: skip


def _excel_time(*moment: int | dt.datetime) -> dt.datetime:
    """Return a UTC time as an Excel cell holds it: naive, to the millisecond."""
    if isinstance(moment[0], dt.datetime):
        utc = moment[0].astimezone(dt.UTC)
    else:
        utc = dt.datetime(*moment, tzinfo=dt.UTC)
    return utc.replace(tzinfo=None, microsecond=utc.microsecond // 1000 * 1000)


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_csv_of_filtered_list_has_every_field_with_bom(
    viewer: Client, stored: list[Consultation]
) -> None:
    # When the change list's CSV export is asked for with a drill-down filter
    response = viewer.get(f"{CHANGELIST}export/csv/?channel=web&local_from=2024-03-01")

    # Then every field of both consultations is written, codes for relations
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="consultations-'
    )
    content = b"".join(response.streaming_content)
    assert _csv_rows(content) == _expected_rows(stored)


def test_export_csv_keeps_the_change_list_filters(
    viewer: Client, stored: list[Consultation]
) -> None:
    # When the export is asked for the 22:00 local slot only
    response = viewer.get(
        f"{CHANGELIST}export/csv/?tz=Asia/Shanghai&local_time=22:00&local_minutes=60"
    )

    # Then only the consultation started in it is written
    rows = _csv_rows(b"".join(response.streaming_content))
    assert [row[2] for row in rows[1:]] == ["sparse-2"]


def test_export_excel_of_filtered_list_has_every_field(
    viewer: Client, stored: list[Consultation]
) -> None:
    # When the change list's Excel export is asked for
    response = viewer.get(f"{CHANGELIST}export/xlsx/?channel=web")

    # Then the sheet holds the header and one row per consultation, times in UTC
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    full = stored[0]
    assert values[0] == HEADER
    assert values[1] == [
        full.pk, "crm", "全-1", _excel_time(2024, 3, 4, 1, 10),
        _excel_time(2024, 3, 4, 1, 10, 30), _excel_time(2024, 3, 4, 1, 25),
        "Asia/Shanghai", "web", None, "retail", None, "vip", "cust-7", "agent-3",
        "east", True, 5, False, 12, _excel_time(full.created_at),
        _excel_time(full.updated_at), 30.0, 900.0,
    ]  # fmt: skip
    assert [row[2] for row in values[1:]] == ["全-1", "sparse-2"]


def test_export_unknown_format_not_found(viewer: Client) -> None:
    assert viewer.get(f"{CHANGELIST}export/pdf/").status_code == 404


def test_export_without_view_permission_refused(
    client: Client, django_user_model: type[User]
) -> None:
    # Given staff that may not view consultations
    client.force_login(django_user_model.objects.create_user("clerk", is_staff=True))

    # When the export is asked for
    response = client.get(f"{CHANGELIST}export/csv/")

    # Then it is refused
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("action", "content_type"),
    [
        ("export_selected_csv", "text/csv; charset=utf-8"),
        (
            "export_selected_excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_export_action_writes_selected_consultations_only(
    viewer: Client, stored: list[Consultation], action: str, content_type: str
) -> None:
    # When one consultation is selected and an export action applied
    response = viewer.post(
        CHANGELIST,
        {"action": action, "_selected_action": [stored[1].pk], "index": 0},
    )

    # Then the file holds that consultation alone
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    if action == "export_selected_csv":
        rows = _csv_rows(b"".join(response.streaming_content))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[2] for row in rows] == ["external_id", "sparse-2"]
