import pytest

from analytics.reporting.registry import get_report
from analytics.reports import DayDistributionReport, WeekdayHourReport

from . import reference
from .factories import FILTERS, build_query, report_cases, schema_mismatches

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("scenario", "slot_minutes", "filter_name"), report_cases())
def test_weekday_hour_any_zone_slot_and_filter_matches_raw_consultations(
    traffic, scenario: str, slot_minutes: int, filter_name: str
) -> None:
    # Given stored consultations, and a range in a zone with a slot size and filter
    query = build_query(scenario, slot_minutes, traffic.ids(FILTERS[filter_name]))

    # When the heatmap is computed from the aggregates
    result = WeekdayHourReport().compute(query)

    # Then it equals the one counted from the raw consultations
    expected = reference.weekday_hour(traffic.records, reference.Scope.of(query))
    assert result == expected


def test_weekday_hour_summed_over_weekdays_is_the_day_distribution(traffic) -> None:
    # Given a week and a half in New York across the fall-back day
    query = build_query("new-york-november", 15, {})

    # When both reports are computed
    heatmap = WeekdayHourReport().compute(query)
    distribution = DayDistributionReport().compute(query)

    # Then each slot's count is the sum of its seven weekday cells
    by_slot: dict[str, int] = {}
    for row in heatmap["rows"]:
        by_slot[row["slot"]] = by_slot.get(row["slot"], 0) + row["count"]
    assert by_slot == {row["slot"]: row["count"] for row in distribution["rows"]}
    assert [row["weekday"] for row in heatmap["rows"][::96]] == list(range(1, 8))


def test_weekday_hour_is_registered_with_its_csv_columns_and_schema(traffic) -> None:
    report = get_report("weekday-hour")

    result = report.compute(build_query("shanghai", 60, {}))

    assert isinstance(report, WeekdayHourReport)
    assert report.csv_columns(result) == list(result["rows"][0])
    assert schema_mismatches(report, result) == {}
    assert len(result["rows"]) == 7 * 24
