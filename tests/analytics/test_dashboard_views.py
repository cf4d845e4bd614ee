import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from analytics.models import FillState
from analytics.reporting.base import Report
from analytics.reporting.registry import list_reports
from tests.analytics.dashboard_data import RANGE, create_staff, create_traffic
from tests.analytics.sample_reports import EchoReport, registered

pytestmark = pytest.mark.django_db

INDEX = "/admin/analytics/dashboard/"
COMPARISON = "/admin/analytics/comparison/"
DISTRIBUTION = "/admin/analytics/dashboard/reports/day-distribution/"
PAGES = (INDEX, DISTRIBUTION, COMPARISON)
CHANGELIST = "/admin/consultations/consultation/"


@pytest.fixture
def analyst(client: Client) -> Client:
    """Return a client logged in as staff allowed to view consultations."""
    user = create_staff("analyst", permissions=("consultations.view_consultation",))
    client.force_login(user)
    return client


@pytest.fixture
def echo_report() -> Iterator[type[Report]]:
    with registered(EchoReport) as report_class:
        yield report_class


@pytest.mark.parametrize("url", PAGES)
def test_dashboard_page_anonymous_redirected_to_login(client: Client, url: str) -> None:
    # Given nobody logged in
    # When a dashboard page is opened
    response = client.get(url)

    # Then the admin login answers, coming back to the page afterwards
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={quote(url)}"


@pytest.mark.parametrize("url", PAGES)
def test_dashboard_page_staff_without_view_permission_refused(
    client: Client, url: str
) -> None:
    # Given a staff member who may not view consultations
    client.force_login(create_staff("clerk", permissions=()))

    # When a dashboard page is opened
    response = client.get(url)

    # Then it is refused
    assert response.status_code == 403


def test_dashboard_index_lists_every_registered_report_with_filters_kept(
    analyst: Client, echo_report: type[Report]
) -> None:
    # Given a report registered by another app (the echo report)
    # When the index is opened with a zone and a channel in the query
    response = analyst.get(f"{INDEX}?tz=Asia/Kolkata&channel=web&fragment=1")

    # Then every registered report is listed in registry order, linked with the
    # shared filters only
    assert response.status_code == 200
    listed = response.context["reports"]
    assert [entry["slug"] for entry in listed] == [r.slug for r in list_reports()]
    assert listed[-1] == {
        "slug": "echo",
        "title": "Echo",
        "description": "Return the query it was given.",
        "url": "/admin/analytics/dashboard/reports/echo/?tz=Asia%2FKolkata&channel=web",
    }
    assert b"Return the query it was given." in response.content


def test_admin_index_offers_dashboard_only_to_permitted_staff(client: Client) -> None:
    # Given one staff member with the permission and one without
    allowed = create_staff("analyst", permissions=("consultations.view_consultation",))
    refused = create_staff("clerk", permissions=("auth.view_user",))

    # When each opens the admin index
    client.force_login(allowed)
    allowed_apps = client.get("/admin/").context["available_apps"]
    client.force_login(refused)
    refused_apps = client.get("/admin/").context["available_apps"]

    # Then the dashboard is listed first for the first, and absent for the second
    dashboard = allowed_apps[0]
    assert dashboard["app_label"] == "dashboard"
    assert [(m["name"], m["admin_url"]) for m in dashboard["models"]] == [
        ("Reports", INDEX),
        ("Period comparison", COMPARISON),
    ]
    assert "dashboard" not in [app["app_label"] for app in refused_apps]


def test_report_page_filters_reflected_in_bar_table_and_chart(analyst: Client) -> None:
    # Given consultations in three local days, three of them on the web channel
    create_traffic()

    # When the day distribution is asked for hourly slots on the web channel
    response = analyst.get(f"{DISTRIBUTION}?{RANGE}&slot=60&channel=web")

    # Then the filter bar shows the choices made
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="web" selected>Website</option>' in html
    assert '<option value="app">Mobile app</option>' in html
    assert '<option value="60" selected>60 minutes</option>' in html
    assert '<option value="Asia/Shanghai" selected>Asia/Shanghai</option>' in html
    assert 'name="from" value="2024-03-04"' in html
    assert 'name="to" value="2024-03-07"' in html

    # And the chart data and the table count only the web consultations
    chart = response.context["chart_config"]
    assert {row["slot"]: row["count"] for row in chart["rows"] if row["count"]} == {
        "09:00": 2,
        "21:00": 1,
    }
    nine = response.context["table"].rows[9]
    assert [cell.text for cell in nine.cells] == ["09:00", "2", "0.67", "66.7%"]

    # And the row drills down to the same consultations in the change list
    assert nine.url == (
        f"{CHANGELIST}?local_from=2024-03-04&local_to=2024-03-07&tz=Asia%2FShanghai"
        "&channel=web&local_time=09%3A00&local_minutes=60"
    )
    assert chart["urls"][9] == nine.url

    # And the CSV link is the API's, with the same parameters
    assert response.context["csv_url"] == (
        "/api/reports/day-distribution/?from=2024-03-04&to=2024-03-07"
        "&tz=Asia%2FShanghai&slot=60&channel=web&format=csv"
    )


def test_report_page_without_range_shows_the_default_one(analyst: Client) -> None:
    # Given no range in the query
    # When a report page is opened
    response = analyst.get(f"{DISTRIBUTION}?tz=Asia/Shanghai")

    # Then the bar shows the range the report used: 28 days ending yesterday
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    params = response.context["params"]
    assert (params["from"], params["to"], params["slot"]) == (
        (today - dt.timedelta(days=28)).isoformat(),
        today.isoformat(),
        "60",
    )


def test_report_page_filters_matching_nothing_say_so(analyst: Client) -> None:
    # Given consultations, none of them in April
    create_traffic()

    # When April is asked for, with a channel filter and without
    filtered = analyst.get(
        f"{DISTRIBUTION}?from=2024-04-01&to=2024-04-08&tz=Asia/Shanghai&channel=web"
    )
    unfiltered = analyst.get(
        f"{DISTRIBUTION}?from=2024-04-01&to=2024-04-08&tz=Asia/Shanghai"
    )

    # Then each page says in words that nothing matched, and draws no chart
    assert (
        b"No consultations match these filters from April 1, 2024 to April 8, 2024 "
        b"(exclusive)." in filtered.content
    )
    assert (
        b"No consultations from April 1, 2024 to April 8, 2024 (exclusive)."
        in unfiltered.content
    )
    assert b"report-chart-config" not in filtered.content


def test_report_page_before_first_refresh_says_no_data_yet(analyst: Client) -> None:
    # Given aggregates that were never refreshed
    # When a report page is opened
    response = analyst.get(f"{DISTRIBUTION}?{RANGE}")

    # Then it says that there is no data yet, rather than a blank chart
    assert b"No data yet: the statistics have not been computed." in response.content
    assert (
        b"There is nothing to show until the statistics have been computed."
        in response.content
    )


def test_report_page_stale_data_warns(analyst: Client, settings) -> None:
    # Given a last refresh eleven minutes ago with refreshes due every five
    settings.PEAKDESK_REFRESH_SECONDS = 300
    FillState.objects.create(
        pk=1, last_refresh_finished_at=timezone.now() - dt.timedelta(minutes=11)
    )

    # When a report page is opened
    response = analyst.get(f"{DISTRIBUTION}?{RANGE}")

    # Then the time of the data is shown with a warning
    assert b"Data as of " in response.content
    assert (
        b"Warning: the data was last refreshed 11\xc2\xa0minutes ago; refreshes may "
        b"be failing." in response.content
    )


def test_report_page_recent_data_does_not_warn(analyst: Client) -> None:
    # Given a refresh a minute ago
    FillState.objects.create(
        pk=1, last_refresh_finished_at=timezone.now() - dt.timedelta(minutes=1)
    )

    # When a report page is opened
    response = analyst.get(f"{DISTRIBUTION}?{RANGE}")

    # Then there is no warning
    assert b"Data as of " in response.content
    assert b"Warning" not in response.content


def test_report_page_invalid_parameters_named_with_reasons(analyst: Client) -> None:
    # Given a zone that does not exist and an unknown parameter
    # When a report page is opened with them
    response = analyst.get(f"{DISTRIBUTION}?tz=Mars/Olympus&colour=red")

    # Then the page answers 400 naming each parameter and why
    assert response.status_code == 400
    errors = response.context["errors"]
    assert errors[0].startswith("colour: Unknown parameter; the parameters are:")
    assert errors[1] == (
        "tz: Unknown time zone Mars/Olympus; give an IANA name such as Asia/Shanghai."
    )


def test_report_page_unknown_report_not_found(analyst: Client) -> None:
    # When a page of a report nobody registered is opened
    response = analyst.get("/admin/analytics/dashboard/reports/nothing-here/")

    # Then it is not found
    assert response.status_code == 404


def test_report_page_fragment_renders_result_only(analyst: Client) -> None:
    # Given consultations
    create_traffic()

    # When the page is fetched as auto-refresh does
    response = analyst.get(f"{DISTRIBUTION}?{RANGE}&fragment=1")

    # Then only the result region comes back, with its chart data
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == (
        "admin/analytics/dashboard/_result.html"
    )
    assert b"<html" not in response.content
    assert b'id="report-chart-config"' in response.content


def test_report_page_third_party_report_rendered_from_its_rows(
    analyst: Client, echo_report: type[Report]
) -> None:
    # Given a report of another app whose rows no template knows
    # When its page is opened with one of its options
    response = analyst.get(
        "/admin/analytics/dashboard/reports/echo/"
        f"?{RANGE}&label=%E6%99%9A%E9%AB%98%E5%B3%B0&limit=3"
    )

    # Then its options appear in the bar, as given or by their defaults
    assert response.status_code == 200
    options = {
        option.name: (option.kind, option.value, [c.value for c in option.choices])
        for option in response.context["options"]
    }
    assert options == {
        "label": ("select", "晚高峰", ["早高峰", "晚高峰"]),
        "limit": ("number", "3", []),
        "detailed": ("select", "true", ["true", "false"]),
        "weekdays": ("text", "", []),
    }
    html = response.content.decode()
    assert '<option value="晚高峰" selected>evening peak</option>' in html
    assert '<option value="true" selected>yes</option>' in html

    # And its rows in the table
    table = response.context["table"]
    assert [column.label for column in table.columns] == [
        "Slot",
        "Label",
        "Consultations",
        "Share",
    ]
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["00:00", "晚高峰", "3", "75.0%"],
        ["01:00", "=1+1", "1", "—"],
        ["02:00", "-", "0", "0.0%"],
    ]


def test_report_page_trend_breakdown_drills_down_by_period_and_value(
    analyst: Client,
) -> None:
    # Given consultations
    create_traffic()

    # When the trend per day is split by business line
    response = analyst.get(
        "/admin/analytics/dashboard/reports/trend/"
        f"?{RANGE}&granularity=day&breakdown=business_line"
    )

    # Then each row links to its day and its business line ("-" for none)
    rows = response.context["chart_config"]["rows"]
    urls = response.context["chart_config"]["urls"]
    linked = {
        (row["period"], row["code"]): url.split("?")[1]
        for row, url in zip(rows, urls, strict=True)
        if row["count"]
    }
    assert linked == {
        ("2024-03-04", "retail"): (
            "local_from=2024-03-04&local_to=2024-03-05&tz=Asia%2FShanghai"
            "&business_line=retail"
        ),
        ("2024-03-04", None): (
            "local_from=2024-03-04&local_to=2024-03-05&tz=Asia%2FShanghai"
            "&business_line=-"
        ),
        ("2024-03-05", "finance"): (
            "local_from=2024-03-05&local_to=2024-03-06&tz=Asia%2FShanghai"
            "&business_line=finance"
        ),
        ("2024-03-06", "finance"): (
            "local_from=2024-03-06&local_to=2024-03-07&tz=Asia%2FShanghai"
            "&business_line=finance"
        ),
    }


def test_comparison_page_offers_both_periods_and_shared_filters(
    analyst: Client,
) -> None:
    # Given two periods, a zone and a channel in the query
    query = (
        "from_a=2024-02-01&to_a=2024-02-15&from_b=2024-03-01&to_b=2024-03-08"
        "&tz=Asia/Kolkata&slot=30&channel=web&channel=app"
    )

    # When the comparison page is opened
    response = analyst.get(f"{COMPARISON}?{query}")

    # Then both periods are in the bar and the API is asked with the shared filters
    assert response.status_code == 200
    assert [(p["from"], p["to"]) for p in response.context["periods"]] == [
        ("2024-02-01", "2024-02-15"),
        ("2024-03-01", "2024-03-08"),
    ]
    config = response.context["compare_config"]
    assert config["api_url"] == "/api/reports/day-distribution/"
    assert config["changelist_url"] == CHANGELIST
    assert config["shared"] == {
        "tz": ["Asia/Kolkata"],
        "slot": ["30"],
        "channel": ["web", "app"],
    }


def test_comparison_quick_picks_compare_with_the_period_before(
    analyst: Client,
) -> None:
    # Given a zone in the query
    # When the comparison page is opened
    response = analyst.get(f"{COMPARISON}?tz=UTC")

    # Then "last 7 days" compares the last seven days (B) with the seven before (A)
    today = timezone.now().date()
    week = response.context["quick_ranges"][0]
    assert week.label == "Last 7 days"
    assert week.query == (
        f"tz=UTC&from_a={today - dt.timedelta(days=14)}"
        f"&to_a={today - dt.timedelta(days=7)}"
        f"&from_b={today - dt.timedelta(days=7)}&to_b={today}"
    )
