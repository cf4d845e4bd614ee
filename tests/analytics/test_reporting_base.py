import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from analytics.reporting.base import ReportQuery, local_day_start
from analytics.selectors import SliceFilter

UTC = dt.UTC


def _utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def _day_query(zone: str, day: str, **kwargs) -> ReportQuery:
    start = dt.date.fromisoformat(day)
    return ReportQuery(
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        zone=ZoneInfo(zone),
        slot_minutes=60,
        **kwargs,
    )


def test_slice_filter_spring_forward_day_spans_23_hours() -> None:
    # Given the day New York moves its clocks from 02:00 to 03:00
    query = _day_query("America/New_York", "2026-03-08", dimensions={"team": (4, 7)})

    # When the query becomes a UTC slice
    window = query.slice_filter

    # Then it runs from midnight EST to midnight EDT, with the filters
    assert window == SliceFilter(
        start=_utc(2026, 3, 8, 5), end=_utc(2026, 3, 9, 4), dimensions={"team": (4, 7)}
    )
    assert window.end - window.start == dt.timedelta(hours=23)


def test_slice_filter_fall_back_day_spans_25_hours() -> None:
    window = _day_query("America/New_York", "2026-11-01").slice_filter

    assert (window.start, window.end) == (_utc(2026, 11, 1, 4), _utc(2026, 11, 2, 5))
    assert window.end - window.start == dt.timedelta(hours=25)


def test_slice_filter_quarter_hour_offset_starts_at_local_midnight() -> None:
    # Given Kathmandu at UTC+05:45
    window = _day_query("Asia/Kathmandu", "2026-01-01").slice_filter

    # Then the day starts at 18:15 UTC the evening before, on a bucket boundary
    assert (window.start, window.end) == (
        _utc(2025, 12, 31, 18, 15),
        _utc(2026, 1, 1, 18, 15),
    )


def test_slice_filter_several_days_keeps_dimensions_and_end_exclusive() -> None:
    query = ReportQuery(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 2, 1),
        zone=ZoneInfo("Asia/Shanghai"),
        slot_minutes=30,
        dimensions={"channel": (1,), "business_line": (2, 3)},
    )

    assert query.slice_filter == SliceFilter(
        start=_utc(2025, 12, 31, 16),
        end=_utc(2026, 1, 31, 16),
        dimensions={"channel": (1,), "business_line": (2, 3)},
    )


@pytest.mark.parametrize(
    ("zone", "day", "start"),
    [
        # Midnight is skipped (00:00 -> 01:00): the day starts at the transition.
        ("Asia/Beirut", "2026-03-29", _utc(2026, 3, 28, 22)),
        ("America/Havana", "2026-03-08", _utc(2026, 3, 8, 5)),
        # Clocks fall back at 24:00 to 23:00: midnight comes once, an hour later.
        ("America/Santiago", "2026-04-05", _utc(2026, 4, 5, 4)),
        # Samoa skipped 2011-12-30 entirely: it starts where 2011-12-31 does.
        ("Pacific/Apia", "2011-12-30", _utc(2011, 12, 30, 10)),
        ("Pacific/Apia", "2011-12-31", _utc(2011, 12, 30, 10)),
        # Liberia kept UTC-00:44:30 until 1972: the next bucket boundary.
        ("Africa/Monrovia", "1970-01-02", _utc(1970, 1, 2, 0, 45)),
    ],
)
def test_local_day_start_midnight_missing_or_odd_returns_first_bucket_of_day(
    zone: str, day: str, start: dt.datetime
) -> None:
    assert local_day_start(dt.date.fromisoformat(day), ZoneInfo(zone)) == start


def test_report_query_without_filters_or_options_has_empty_mappings() -> None:
    query = _day_query("UTC", "2026-01-01")

    assert (query.dimensions, query.options) == ({}, {})
    assert query.slice_filter.dimensions == {}
