import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from analytics.reporting.base import ReportQuery
from analytics.reporting.registry import get_report
from analytics.reports import DayDistributionReport

from . import reference
from .factories import FILTERS, build_query, report_cases, schema_mismatches

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("scenario", "slot_minutes", "filter_name"), report_cases())
def test_day_distribution_any_zone_slot_and_filter_matches_raw_consultations(
    traffic, scenario: str, slot_minutes: int, filter_name: str
) -> None:
    # Given stored consultations, and a range in a zone with a slot size and filter
    query = build_query(scenario, slot_minutes, traffic.ids(FILTERS[filter_name]))

    # When the day distribution is computed from the aggregates
    result = DayDistributionReport().compute(query)

    # Then it equals the one counted from the raw consultations
    expected = reference.day_distribution(traffic.records, reference.Scope.of(query))
    assert result == expected


def test_day_distribution_spring_forward_day_has_no_skipped_hour(traffic) -> None:
    # Given the day New York skips 02:00-03:00
    query = ReportQuery(
        start_date=dt.date(2026, 3, 8),
        end_date=dt.date(2026, 3, 9),
        zone=NEW_YORK,
        slot_minutes=60,
    )

    # When the day distribution is computed
    result = DayDistributionReport().compute(query)

    # Then the skipped hour rests on no day and every other hour on that one day
    rows = {row["slot"]: row for row in result["rows"]}
    assert rows["02:00"] == {
        "slot": "02:00",
        "count": 0,
        "mean_per_day": None,
        "share": 0.0,
    }
    assert [
        row["mean_per_day"] for row in result["rows"] if row["slot"] != "02:00"
    ] == [float(row["count"]) for row in result["rows"] if row["slot"] != "02:00"]
    assert (len(result["rows"]), result["days"]) == (24, 1)


def test_day_distribution_fall_back_day_counts_both_repeated_hours_once_a_day(
    traffic,
) -> None:
    # Given the day New York repeats 01:00-02:00 (05:00-06:00 and 06:00-07:00 UTC)
    query = ReportQuery(
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 11, 2),
        zone=NEW_YORK,
        slot_minutes=60,
    )
    first = _started_between(traffic, dt.datetime(2026, 11, 1, 5, tzinfo=dt.UTC))
    second = _started_between(traffic, dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC))

    # When the day distribution is computed
    result = DayDistributionReport().compute(query)

    # Then 01:00 holds both hours' volume, as the mean of its one day
    row = next(row for row in result["rows"] if row["slot"] == "01:00")
    assert (first > 0, second > 0) == (True, True)
    assert row == {
        "slot": "01:00",
        "count": first + second,
        "mean_per_day": float(first + second),
        "share": (first + second) / result["total"],
    }


def test_day_distribution_range_without_data_is_all_zero(traffic) -> None:
    # Given two days in June, when nothing was recorded
    query = ReportQuery(
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2026, 6, 3),
        zone=ZoneInfo("Asia/Kathmandu"),
        slot_minutes=60,
    )

    # When the day distribution is computed
    result = DayDistributionReport().compute(query)

    # Then every hour is zero, resting on both days
    assert result == {
        "rows": [
            {"slot": f"{hour:02d}:00", "count": 0, "mean_per_day": 0.0, "share": 0.0}
            for hour in range(24)
        ],
        "total": 0,
        "days": 2,
    }


def test_day_distribution_is_registered_with_its_csv_columns_and_schema(
    traffic,
) -> None:
    # Given the registered report
    report = get_report("day-distribution")

    # When a result is computed
    result = report.compute(build_query("kolkata", 30, {}))

    # Then it is the class of this module, and its CSV columns are the row keys
    assert isinstance(report, DayDistributionReport)
    assert report.csv_columns(result) == list(result["rows"][0])
    assert schema_mismatches(report, result) == {}


def _started_between(traffic, start: dt.datetime) -> int:
    end = start + dt.timedelta(hours=1)
    return sum(start <= record.started_at < end for record in traffic.records)
