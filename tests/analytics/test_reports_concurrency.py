import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from analytics.reporting.base import ReportQuery
from analytics.reporting.registry import get_report
from analytics.reports import ConcurrencyReport
from analytics.services import refresh_aggregates
from consultations.models import Channel, Consultation

from . import reference
from .factories import FILTERS, build_query, report_cases, schema_mismatches

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.mark.parametrize(("scenario", "slot_minutes", "filter_name"), report_cases())
def test_concurrency_any_zone_slot_and_filter_matches_raw_consultations(
    traffic, scenario: str, slot_minutes: int, filter_name: str
) -> None:
    # Given stored consultations, some in progress since before the range or
    # longer than the cap, and a range in a zone with a slot size and filter
    query = build_query(scenario, slot_minutes, traffic.ids(FILTERS[filter_name]))

    # When the concurrency is computed from the aggregates
    result = ConcurrencyReport().compute(query)

    # Then it equals the one measured minute by minute from the raw consultations
    expected = reference.concurrency(traffic.records, reference.Scope.of(query))
    assert result == expected


def test_concurrency_fall_back_hour_averages_over_both_occurrences() -> None:
    # Given one session from 01:30 EDT to 01:30 EST on New York's fall-back day
    # of 2025, an hour of load in the two hours that read 01:00-02:00
    _consultation(
        dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
        dt.datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
    )
    refresh_aggregates()
    query = ReportQuery(
        start_date=dt.date(2025, 11, 2),
        end_date=dt.date(2025, 11, 3),
        zone=ZoneInfo("America/New_York"),
        slot_minutes=60,
    )

    # When the concurrency is computed
    result = ConcurrencyReport().compute(query)

    # Then 01:00 holds one in progress half of its two hours, the 25-hour day
    # one for an hour of 25
    idle = {"mean": 0.0, "max": 0}
    assert result == {
        "rows": [
            {
                "slot": f"{hour:02d}:00",
                **({"mean": 0.5, "max": 1} if hour == 1 else idle),
            }
            for hour in range(24)
        ],
        "per_day": [{"date": "2025-11-02", "mean": 1 / 25, "max": 1}],
        "overall": {"mean": 1 / 25, "max": 1},
    }


def test_concurrency_long_session_counts_up_to_the_cap(settings) -> None:
    # Given a session of a full day when load is counted for at most 12 hours
    settings.PEAKDESK_CONCURRENCY_MAX_HOURS = 12
    _consultation(
        dt.datetime(2025, 6, 1, tzinfo=UTC), dt.datetime(2025, 6, 2, tzinfo=UTC)
    )
    refresh_aggregates()
    query = ReportQuery(
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2025, 6, 3),
        zone=ZoneInfo("UTC"),
        slot_minutes=60,
    )

    # When the concurrency is computed
    result = ConcurrencyReport().compute(query)

    # Then the morning hours of the first day carry it, nothing after noon
    assert result["per_day"] == [
        {"date": "2025-06-01", "mean": 0.5, "max": 1},
        {"date": "2025-06-02", "mean": 0.0, "max": 0},
    ]
    assert [row["mean"] for row in result["rows"]] == [0.5] * 12 + [0.0] * 12
    assert result["overall"] == {"mean": 0.25, "max": 1}


def test_concurrency_spring_forward_hour_has_no_mean() -> None:
    # Given New York's spring-forward day of 2025, when 02:00-03:00 does not exist
    query = ReportQuery(
        start_date=dt.date(2025, 3, 9),
        end_date=dt.date(2025, 3, 10),
        zone=ZoneInfo("America/New_York"),
        slot_minutes=30,
    )

    # When the concurrency is computed without data
    result = ConcurrencyReport().compute(query)

    # Then the two skipped half hours have no mean and every other one a zero
    means = {row["slot"]: row["mean"] for row in result["rows"]}
    assert [slot for slot, mean in means.items() if mean is None] == ["02:00", "02:30"]
    assert set(means.values()) == {None, 0.0}


def test_concurrency_is_registered_with_its_csv_columns_and_schema(traffic) -> None:
    report = get_report("concurrency")

    result = report.compute(build_query("kolkata", 60, {}))

    assert isinstance(report, ConcurrencyReport)
    assert report.csv_columns(result) == list(result["rows"][0])
    assert schema_mismatches(report, result) == {}


def _consultation(started_at: dt.datetime, ended_at: dt.datetime) -> Consultation:
    channel, _created = Channel.objects.get_or_create(code="chat", name="Chat")
    return Consultation.objects.create(
        source="test",
        external_id=started_at.isoformat(),
        started_at=started_at,
        ended_at=ended_at,
        channel=channel,
    )
