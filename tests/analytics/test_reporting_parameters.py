import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from analytics.grouping import DIMENSIONS
from analytics.reporting.base import ReportQuery
from analytics.reporting.parameters import (
    ParameterDescription,
    ReportParameterError,
    describe_parameters,
    parse_report_parameters,
)
from consultations.models import BusinessLine, Channel, Team
from tests.analytics.sample_reports import EchoReport

# 2026-03-10 00:30 in Shanghai, still 2026-03-09 in UTC and New York.
NOW = dt.datetime(2026, 3, 9, 16, 30, tzinfo=dt.UTC)
NO_FILTERS: dict[str, list[str]] = {name: [] for name in DIMENSIONS}


def _parse(query_string: str) -> tuple[ReportQuery, dict]:
    parsed = parse_report_parameters(EchoReport(), QueryDict(query_string), now=NOW)
    return parsed.query, parsed.echo


def _errors(query_string: str) -> dict[str, list[str]]:
    with pytest.raises(ReportParameterError) as raised:
        _parse(query_string)
    return raised.value.errors


@pytest.mark.django_db
def test_parse_nothing_given_takes_28_days_before_today_in_business_zone(
    settings,
) -> None:
    # Given the business zone, read when parameters are parsed
    settings.PEAKDESK_BUSINESS_TIME_ZONE = "Asia/Shanghai"

    # When no parameter is given
    query, echo = _parse("")

    # Then the range is the 28 whole days before today in that zone
    assert query == ReportQuery(
        start_date=dt.date(2026, 2, 10),
        end_date=dt.date(2026, 3, 10),
        zone=ZoneInfo("Asia/Shanghai"),
        slot_minutes=60,
        dimensions={},
        options={"label": "早高峰", "limit": 2, "detailed": True},
    )
    assert echo == {
        "from": "2026-02-10",
        "to": "2026-03-10",
        "tz": "Asia/Shanghai",
        "slot": 60,
        **NO_FILTERS,
        "label": "早高峰",
        "limit": 2,
        "detailed": True,
    }


@pytest.mark.django_db
def test_parse_only_tz_given_reads_today_in_that_zone() -> None:
    query, _echo = _parse("tz=America/New_York")

    assert (query.start_date, query.end_date) == (
        dt.date(2026, 2, 9),
        dt.date(2026, 3, 9),
    )


@pytest.mark.django_db
def test_parse_only_to_given_starts_28_days_earlier() -> None:
    query, _echo = _parse("to=2026-01-01")

    assert (query.start_date, query.end_date) == (
        dt.date(2025, 12, 4),
        dt.date(2026, 1, 1),
    )


@pytest.mark.django_db
def test_parse_only_from_given_on_or_after_today_blames_from() -> None:
    assert _errors("from=2026-03-10&tz=Asia/Shanghai") == {
        "from": [
            "`from` (2026-03-10) must be before today in Asia/Shanghai (2026-03-10), "
            "which is the default of `to`."
        ]
    }


@pytest.mark.django_db
def test_parse_several_codes_reach_query_as_sorted_ids_and_echo_as_codes() -> None:
    # Given dimension values
    web = Channel.objects.create(code="web", name="网站")
    app = Channel.objects.create(code="app", name="App")
    retail = BusinessLine.objects.create(code="retail", name="零售")
    finance = BusinessLine.objects.create(code="finance", name="金融")
    Team.objects.create(code="night", name="Night")

    # When channels are repeated, business lines comma-separated, and team is "none"
    query, echo = _parse(
        "channel=web&channel=app&business_line=retail,finance,retail&team=-"
    )

    # Then the query holds ids of the filtered dimensions only, echo their codes
    assert query.dimensions == {
        "channel": tuple(sorted([web.pk, app.pk])),
        "business_line": tuple(sorted([retail.pk, finance.pk])),
        "team": (0,),
    }
    assert {name: echo[name] for name in NO_FILTERS} == {
        **NO_FILTERS,
        "channel": ["app", "web"],
        "business_line": ["finance", "retail"],
        "team": ["-"],
    }


@pytest.mark.django_db
def test_parse_options_repeated_list_and_explicit_false_boolean() -> None:
    query, echo = _parse("weekdays=1&weekdays=7&detailed=false&label=晚高峰")

    assert query.options == {
        "label": "晚高峰",
        "limit": 2,
        "detailed": False,
        "weekdays": [1, 7],
    }
    assert (echo["label"], echo["detailed"], echo["weekdays"]) == (
        "晚高峰",
        False,
        [1, 7],
    )


@pytest.mark.django_db
def test_parse_every_mistake_reported_at_once() -> None:
    assert _errors("tz=Moon/Base&slot=5&colour=red&channel=fax&limit=0") == {
        "colour": [
            "Unknown parameter; the parameters are: business_line, channel, "
            "consultation_type, customer_tier, detailed, from, label, limit, "
            "product_category, slot, team, to, tz, weekdays."
        ],
        "tz": ["Unknown time zone Moon/Base; give an IANA name such as Asia/Shanghai."],
        "slot": ["Choose 15, 30 or 60 minutes, not 5."],
        "channel": ["Unknown code fax."],
        "limit": ["Ensure this value is greater than or equal to 1."],
    }


def test_describe_parameters_lists_shared_then_own(settings) -> None:
    settings.PEAKDESK_BUSINESS_TIME_ZONE = "Europe/Berlin"

    described = describe_parameters(EchoReport())

    assert [d.name for d in described] == [
        "from",
        "to",
        "tz",
        "slot",
        *NO_FILTERS,
        "label",
        "limit",
        "detailed",
        "weekdays",
    ]
    by_name = {d.name: d for d in described}
    assert by_name["tz"].default == "Europe/Berlin"
    assert by_name["slot"] == ParameterDescription(
        name="slot",
        type="integer",
        many=False,
        required=False,
        default=60,
        choices=[15, 30, 60],
        help="Slot length in minutes: 15, 30 or 60.",
    )
    assert by_name["channel"].help == (
        "Codes of the channels to keep; repeat the parameter or separate codes "
        "with commas."
    )
    assert by_name["team"].help == (
        "Codes of the teams to keep; repeat the parameter or separate codes with "
        'commas. The code "-" keeps consultations without one.'
    )
    assert by_name["label"] == ParameterDescription(
        name="label",
        type="string",
        many=False,
        required=False,
        default="早高峰",
        choices=["早高峰", "晚高峰"],
        help="Label of the first row.",
    )
    assert by_name["weekdays"] == ParameterDescription(
        name="weekdays",
        type="integer",
        many=True,
        required=False,
        default=None,
        choices=None,
        help="Weekdays",
    )
