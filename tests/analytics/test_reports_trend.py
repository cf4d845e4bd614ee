import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext

from analytics.reporting.base import ReportQuery
from analytics.reporting.registry import get_report
from analytics.reports import TrendOptions, TrendReport

from . import reference
from .factories import (
    FILTERS,
    SCENARIOS,
    build_query,
    dimension_model,
    schema_mismatches,
)

pytestmark = pytest.mark.django_db

GRANULARITIES = ("day", "week", "month")
# (breakdown, filter): a breakdown alone, and one whose dimension is also filtered,
# read from its own grouping, from a pair and from the full grouping.
BREAKDOWNS = (
    ("channel", "unfiltered"),
    ("channel", "several-values"),
    ("team", "two-dimensions"),
    ("customer_tier", "three-dimensions"),
    ("business_line", "one-value"),
)
_rotation = itertools.cycle(GRANULARITIES)
CASES = [(s, g, "", "unfiltered") for s in SCENARIOS for g in GRANULARITIES] + [
    (s, next(_rotation), breakdown, f) for s in SCENARIOS for breakdown, f in BREAKDOWNS
]


@pytest.mark.parametrize(("scenario", "granularity", "breakdown", "filter_name"), CASES)
def test_trend_any_zone_granularity_and_breakdown_matches_raw_consultations(
    traffic, scenario: str, granularity: str, breakdown: str, filter_name: str
) -> None:
    # Given stored consultations and a range in a zone, with a filter
    dimensions = traffic.ids(FILTERS[filter_name])
    query = build_query(
        scenario, 60, dimensions, granularity=granularity, breakdown=breakdown
    )

    # When the trend is computed from the aggregates
    result = TrendReport().compute(query)

    # Then it equals the one counted from the raw consultations
    scope = reference.Scope.of(query)
    values = _expected_values(traffic, scope, breakdown) if breakdown else ()
    expected = reference.trend(traffic.records, scope, granularity, breakdown, values)
    assert result == expected


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_trend_long_range_lists_every_period_with_zeros(traffic, granularity) -> None:
    # Given a range of nine months with data in only two fortnights of it
    query = ReportQuery(
        start_date=dt.date(2026, 2, 15),
        end_date=dt.date(2026, 11, 20),
        zone=ZoneInfo("Asia/Shanghai"),
        slot_minutes=15,
        options={"granularity": granularity},
    )

    # When the trend is computed
    result = TrendReport().compute(query)

    # Then every period appears once, in order, and the counts match the raw ones
    expected = reference.trend(traffic.records, reference.Scope.of(query), granularity)
    assert result == expected
    assert len(result["rows"]) == {"day": 278, "week": 41, "month": 10}[granularity]
    assert (
        result["rows"][0]["period"]
        == {
            "day": "2026-02-15",
            "week": "2026-W07",
            "month": "2026-02",
        }[granularity]
    )


def test_trend_without_options_counts_per_day(traffic) -> None:
    query = build_query("kathmandu", 30, {})

    result = TrendReport().compute(query)

    assert (result["granularity"], result["breakdown"]) == ("day", None)
    assert [row["period"] for row in result["rows"]] == [
        "2026-10-28",
        "2026-10-29",
        "2026-10-30",
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]


def test_trend_options_reject_an_unknown_breakdown() -> None:
    options = TrendOptions(data={"granularity": "year", "breakdown": "agent"})

    assert not options.is_valid()
    assert {
        name: [str(e) for e in errors] for name, errors in options.errors.items()
    } == {
        "granularity": ['"year" is not a valid choice.'],
        "breakdown": ['"agent" is not a valid choice.'],
    }


def test_trend_options_default_to_days_without_breakdown() -> None:
    options = TrendOptions(data={})

    assert options.is_valid()
    assert options.validated_data == {"granularity": "day", "breakdown": ""}


def test_trend_is_registered_with_csv_columns_and_schema_for_each_shape(
    traffic,
) -> None:
    report = get_report("trend")

    plain = report.compute(build_query("shanghai", 60, {}))
    split = report.compute(build_query("shanghai", 60, {}, breakdown="team"))

    assert isinstance(report, TrendReport)
    assert report.csv_columns(plain) == list(plain["rows"][0]) == ["period", "count"]
    assert report.csv_columns(split) == list(split["rows"][0])
    assert report.csv_columns(split) == ["period", "code", "name", "count"]
    assert schema_mismatches(report, plain) == {}
    assert schema_mismatches(report, split) == {}


def _expected_values(
    traffic, scope: reference.Scope, breakdown: str
) -> list[tuple[int, str | None, str]]:
    """Return the values the trend reports for a breakdown, as documented."""
    if breakdown in scope.dimensions:
        ids = set(scope.dimensions[breakdown])
    else:
        started = scope.started(traffic.records)
        ids = set(traffic.dimension_ids[breakdown])
        ids |= {record.dimensions[breakdown] for record in started}
    named = dict(
        (pk, (code, name))
        for pk, code, name in dimension_model(breakdown).objects.values_list(
            "pk", "code", "name"
        )
    )
    values = [(pk, *named.get(pk, (None, gettext("(none)")))) for pk in ids]
    return sorted(values, key=lambda value: (value[1] is None, value[1] or ""))
