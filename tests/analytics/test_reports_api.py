import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.urls import path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from analytics.api.views import ReportListView, documented_report_view
from analytics.grouping import DIMENSIONS
from analytics.models import FillState
from analytics.reporting.base import Report
from analytics.reporting.registry import list_reports
from consultations.models import BusinessLine, Channel, Team
from tests.analytics.sample_reports import EchoReport, registered

pytestmark = pytest.mark.django_db

RANGE = "from=2026-01-01&to=2026-02-01&tz=Asia/Shanghai"
UNKNOWN_PARAMETER = (
    "Unknown parameter; the parameters are: business_line, channel, "
    "consultation_type, customer_tier, detailed, from, label, limit, "
    "product_category, slot, team, to, tz, weekdays."
)


@pytest.fixture
def echo_report() -> Iterator[type[Report]]:
    with registered(EchoReport) as report_class:
        yield report_class


@pytest.fixture
def client(django_user_model: type[User]) -> APIClient:
    api = APIClient()
    api.force_login(django_user_model.objects.create_user("analyst"))
    return api


def _get(client: APIClient, query: str, slug: str = "echo") -> Any:
    return client.get(f"/api/reports/{slug}/?{query}")


def test_list_reports_describes_each_with_url_and_parameters(
    client: APIClient, echo_report: type[Report], settings
) -> None:
    # Given the echo report among the registered ones
    settings.PEAKDESK_BUSINESS_TIME_ZONE = "Asia/Kolkata"

    # When the list is asked for
    response = client.get("/api/reports/")

    # Then every report is listed, the echo report with all its parameters
    assert response.status_code == 200
    listed = response.json()
    assert [entry["slug"] for entry in listed] == [r.slug for r in list_reports()]
    echo = listed[-1]
    assert {key: echo[key] for key in ("slug", "title", "description", "url")} == {
        "slug": "echo",
        "title": "Echo",
        "description": "Return the query it was given.",
        "url": "http://testserver/api/reports/echo/",
    }
    codes_help = "Codes of the %s to keep; repeat the parameter or separate codes "
    assert echo["parameters"] == [
        {
            "name": "from",
            "type": "date",
            "many": False,
            "required": False,
            "default": None,
            "choices": None,
            "help": "First local day, YYYY-MM-DD. Default: 28 days before `to`.",
        },
        {
            "name": "to",
            "type": "date",
            "many": False,
            "required": False,
            "default": None,
            "choices": None,
            "help": "Local day after the last, YYYY-MM-DD (exclusive). Default: "
            "today in `tz`, so that the range ends with yesterday.",
        },
        {
            "name": "tz",
            "type": "string",
            "many": False,
            "required": False,
            "default": "Asia/Kolkata",
            "choices": None,
            "help": "IANA time zone that days and slots are read in. Default: the "
            "business time zone.",
        },
        {
            "name": "slot",
            "type": "integer",
            "many": False,
            "required": False,
            "default": 60,
            "choices": [15, 30, 60],
            "help": "Slot length in minutes: 15, 30 or 60.",
        },
        *(
            {
                "name": name,
                "type": "string",
                "many": True,
                "required": False,
                "default": None,
                "choices": None,
                "help": codes_help % plural
                + "with commas."
                + (
                    ""
                    if name == "channel"
                    else ' The code "-" keeps consultations without one.'
                ),
            }
            for name, plural in [
                ("channel", "channels"),
                ("consultation_type", "consultation types"),
                ("business_line", "business lines"),
                ("product_category", "product categories"),
                ("customer_tier", "customer tiers"),
                ("team", "teams"),
            ]
        ),
        {
            "name": "label",
            "type": "string",
            "many": False,
            "required": False,
            "default": "早高峰",
            "choices": ["早高峰", "晚高峰"],
            "help": "Label of the first row.",
        },
        {
            "name": "limit",
            "type": "integer",
            "many": False,
            "required": False,
            "default": 2,
            "choices": None,
            "help": "Limit",
        },
        {
            "name": "detailed",
            "type": "boolean",
            "many": False,
            "required": False,
            "default": True,
            "choices": None,
            "help": "Detailed",
        },
        {
            "name": "weekdays",
            "type": "integer",
            "many": True,
            "required": False,
            "default": None,
            "choices": None,
            "help": "Weekdays",
        },
    ]


def test_report_all_parameters_given_answers_echo_metadata_and_result(
    client: APIClient, echo_report: type[Report]
) -> None:
    # Given dimension values and a finished refresh
    web = Channel.objects.create(code="web", name="网站")
    app = Channel.objects.create(code="app", name="App")
    retail = BusinessLine.objects.create(code="retail", name="零售")
    finance = BusinessLine.objects.create(code="finance", name="金融")
    Team.objects.create(code="night", name="Night")
    refreshed = dt.datetime(2026, 2, 1, 3, 4, 5, tzinfo=dt.UTC)
    FillState.objects.create(pk=1, last_refresh_finished_at=refreshed)

    # When the report is asked for with every kind of parameter
    response = _get(
        client,
        f"{RANGE}&slot=30&channel=web&channel=app&business_line=retail,finance"
        "&team=-&label=晚高峰&limit=3&weekdays=1&weekdays=7",
    )

    # Then the body echoes the parameters by code and the result by id
    assert response.status_code == 200
    body = response.json()
    generated_at = dt.datetime.fromisoformat(body.pop("generated_at"))
    assert abs(timezone.now() - generated_at) < dt.timedelta(minutes=1)
    assert body == {
        "report": "echo",
        "parameters": {
            "from": "2026-01-01",
            "to": "2026-02-01",
            "tz": "Asia/Shanghai",
            "slot": 30,
            "channel": ["app", "web"],
            "consultation_type": [],
            "business_line": ["finance", "retail"],
            "product_category": [],
            "customer_tier": [],
            "team": ["-"],
            "label": "晚高峰",
            "limit": 3,
            "detailed": True,
            "weekdays": [1, 7],
        },
        "data_as_of": "2026-02-01T03:04:05Z",
        "window": ["2025-12-31T16:00:00Z", "2026-01-31T16:00:00Z"],
        "dimensions": {
            "channel": sorted([web.pk, app.pk]),
            "business_line": sorted([retail.pk, finance.pk]),
            "team": [0],
        },
        "detailed": True,
        "rows": [
            {"slot": "00:00", "label": "晚高峰", "count": 3, "share": 0.75},
            {"slot": "01:00", "label": "=1+1", "count": 1, "share": None},
            {"slot": "02:00", "label": "-", "count": 0, "share": 0.0},
        ],
    }


def test_report_no_parameters_covers_28_days_before_today_in_business_zone(
    client: APIClient, echo_report: type[Report], settings
) -> None:
    settings.PEAKDESK_BUSINESS_TIME_ZONE = "Asia/Kathmandu"
    zone = ZoneInfo("Asia/Kathmandu")
    today_before = timezone.now().astimezone(zone).date()

    response = _get(client, "")

    today_after = timezone.now().astimezone(zone).date()
    assert response.status_code == 200
    parameters = response.json()["parameters"]
    end = dt.date.fromisoformat(parameters["to"])
    assert end in {today_before, today_after}
    assert {key: parameters[key] for key in ("from", "tz", "slot")} == {
        "from": (end - dt.timedelta(days=28)).isoformat(),
        "tz": "Asia/Kathmandu",
        "slot": 60,
    }
    assert response.json()["data_as_of"] is None


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("from=2026-13-01", {"from": ["Enter a date as YYYY-MM-DD, not 2026-13-01."]}),
        ("from=01/02/2026", {"from": ["Enter a date as YYYY-MM-DD, not 01/02/2026."]}),
        ("to=2026-1-5", {"to": ["Enter a date as YYYY-MM-DD, not 2026-1-5."]}),
        ("from=1969-12-31", {"from": ["Enter a date from 1970-01-01 to 2999-12-31."]}),
        (
            "from=2026-02-01&to=2026-02-01",
            {"to": ["`from` (2026-02-01) must be before `to` (2026-02-01)."]},
        ),
        (
            "from=2026-03-01&to=2026-02-01",
            {"to": ["`from` (2026-03-01) must be before `to` (2026-02-01)."]},
        ),
        (
            "from=2016-01-01&to=2026-02-01",
            {"to": ["The range spans 3684 days; at most 3660 are allowed."]},
        ),
        ("from=2026-01-01&from=2026-01-02", {"from": ["Give one value, not 2."]}),
        (
            "tz=Mars/Olympus",
            {
                "tz": [
                    "Unknown time zone Mars/Olympus; give an IANA name such as "
                    "Asia/Shanghai."
                ]
            },
        ),
        (
            "tz=../../etc/passwd",
            {
                "tz": [
                    "Unknown time zone ../../etc/passwd; give an IANA name such as "
                    "Asia/Shanghai."
                ]
            },
        ),
        ("slot=45", {"slot": ["Choose 15, 30 or 60 minutes, not 45."]}),
        ("slot=sixty", {"slot": ["Choose 15, 30 or 60 minutes, not sixty."]}),
        ("channel=web&channel=fax", {"channel": ["Unknown code fax."]}),
        ("channel=web,fax", {"channel": ["Unknown code fax."]}),
        ("channel=-", {"channel": ["Unknown code -."]}),
        ("team=nobody", {"team": ["Unknown code nobody."]}),
        ("colour=red", {"colour": [UNKNOWN_PARAMETER]}),
        ("limit=9", {"limit": ["Ensure this value is less than or equal to 3."]}),
        ("label=午间", {"label": ['"午间" is not a valid choice.']}),
        ("weekdays=mon", {"weekdays": ["0: A valid integer is required."]}),
        (
            "slot=5&tz=Nowhere",
            {
                "tz": [
                    "Unknown time zone Nowhere; give an IANA name such as "
                    "Asia/Shanghai."
                ],
                "slot": ["Choose 15, 30 or 60 minutes, not 5."],
            },
        ),
    ],
)
def test_report_invalid_parameter_answers_400_naming_it(
    client: APIClient,
    echo_report: type[Report],
    query: str,
    errors: dict[str, Any],
) -> None:
    # Given the dimension value "web" exists
    Channel.objects.create(code="web", name="Web")

    # When a request carries a mistake
    response = _get(client, query)

    # Then it is refused, naming each bad parameter with its reason
    assert response.status_code == 400
    assert response.json() == errors


def test_report_csv_writes_rows_with_bom_header_and_chinese_text(
    client: APIClient, echo_report: type[Report]
) -> None:
    # When the rows are asked for as CSV
    response = _get(client, f"{RANGE}&format=csv&label=晚高峰&limit=3")

    # Then they are UTF-8 CSV with a byte order mark, formulas defused
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="echo_2026-01-01_2026-02-01.csv"'
    )
    assert (
        response.content
        == (
            "\ufeffslot,label,count,share\r\n"
            "00:00,晚高峰,3,0.75\r\n"
            "01:00,'=1+1,1,\r\n"
            "02:00,'-,0,0.0\r\n"
        ).encode()
    )


def test_report_csv_with_invalid_parameter_answers_json_400(
    client: APIClient, echo_report: type[Report]
) -> None:
    response = _get(client, "format=csv&slot=7")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"slot": ["Choose 15, 30 or 60 minutes, not 7."]}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/api/reports/echo/?format=xml", "Choose one of json, api, csv, not xml."),
        ("/api/reports/?format=csv", "Choose one of json, api, not csv."),
    ],
)
def test_reports_unknown_format_answers_400_naming_the_formats(
    client: APIClient, echo_report: type[Report], url: str, reason: str
) -> None:
    response = client.get(url)

    assert response.status_code == 400
    assert response.json() == {"format": [reason]}


def test_report_unknown_slug_answers_404_naming_known_reports(
    client: APIClient, echo_report: type[Report]
) -> None:
    known = ", ".join(report.slug for report in list_reports())

    response = _get(client, "", slug="no-such-report")

    assert response.status_code == 404
    assert response.json() == {
        "detail": f"No report is named no-such-report; the reports are: {known}."
    }


@pytest.mark.parametrize("url", ["/api/reports/", "/api/reports/echo/?format=csv"])
def test_reports_anonymous_request_answers_401(
    echo_report: type[Report], url: str
) -> None:
    response = APIClient().get(url)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }


def test_schema_documents_report_with_shared_and_own_parameters(
    echo_report: type[Report],
) -> None:
    # Given the list and a documented path for the echo report
    patterns = [
        path("api/reports/", ReportListView.as_view()),
        path("api/reports/echo/", documented_report_view(EchoReport()).as_view()),
    ]
    GENERATOR_STATS.reset()

    # When the schema is generated
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    # Then both operations are there, without a warning
    assert not GENERATOR_STATS
    operation = schema["paths"]["/api/reports/echo/"]["get"]
    assert operation["operationId"] == "reports_echo"
    assert sorted(p["name"] for p in operation["parameters"]) == sorted(
        ["from", "to", "tz", "slot", *DIMENSIONS, *EchoReport.option_names(), "format"]
    )
    channel = next(p for p in operation["parameters"] if p["name"] == "channel")
    assert (channel["schema"], channel["explode"]) == (
        {"type": "array", "items": {"type": "string"}},
        True,
    )
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
    }
    envelope = schema["components"]["schemas"]["EchoReport"]
    assert list(envelope["properties"]) == [
        "report",
        "parameters",
        "generated_at",
        "data_as_of",
    ]
    assert schema["paths"]["/api/reports/"]["get"]["operationId"] == "reports_list"


def test_schema_endpoint_documents_every_report_registered_at_startup(
    client: APIClient,
) -> None:
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    # Reports registered after the URLs loaded are served but not documented.
    registered_paths = {f"/api/reports/{r.slug}/" for r in list_reports()}
    assert {"/api/reports/", *registered_paths} <= set(paths)


@pytest.mark.parametrize("slug", [report.slug for report in list_reports()])
@pytest.mark.parametrize("output", ["json", "csv"])
def test_registered_report_defaults_on_empty_database_answers_200(
    client: APIClient, slug: str, output: str
) -> None:
    # Given no consultations and no refresh yet
    # When a report installed with the project is asked for with defaults
    response = _get(client, f"format={output}", slug=slug)

    # Then it answers with its rows
    assert response.status_code == 200, response.content
    if output == "json":
        body = response.json()
        assert (body["report"], body["data_as_of"]) == (slug, None)
        assert isinstance(body["rows"], list)
    else:
        assert response.content.startswith("\ufeff".encode())
