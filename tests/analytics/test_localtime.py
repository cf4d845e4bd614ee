import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.buckets import BUCKET_US, to_us
from analytics.localtime import (
    LocalKey,
    OffsetSegment,
    localize,
    offset_segments,
)

NEW_YORK = ZoneInfo("America/New_York")
HOUR_US = 3600 * 1_000_000


def _utc(*fields: int) -> int:
    return to_us(dt.datetime(*fields, tzinfo=dt.UTC))


def _segment(start: int, end: int, offset_minutes: int) -> OffsetSegment:
    return OffsetSegment(start, end, offset_minutes * 60 * 1_000_000)


def test_offset_segments_range_without_transition_is_one_segment() -> None:
    # Given a year of Asia/Shanghai, which keeps +08:00
    start, end = _utc(2025, 12, 31, 16), _utc(2026, 12, 31, 16)

    # When the range is split at the zone's transitions
    segments = offset_segments(start, end, ZoneInfo("Asia/Shanghai"))

    # Then it is one segment
    assert segments == (_segment(start, end, 8 * 60),)


def test_offset_segments_new_york_year_splits_at_two_local() -> None:
    # Given a local year of New York
    start, end = _utc(2026, 1, 1, 5), _utc(2027, 1, 1, 5)

    # When the range is split at the zone's transitions
    segments = offset_segments(start, end, NEW_YORK)

    # Then it splits where 02:00 local springs forward (07:00 UTC) and falls back
    # (06:00 UTC)
    spring, fall = _utc(2026, 3, 8, 7), _utc(2026, 11, 1, 6)
    assert segments == (
        _segment(start, spring, -5 * 60),
        _segment(spring, fall, -4 * 60),
        _segment(fall, end, -5 * 60),
    )


def test_offset_segments_lord_howe_moves_by_thirty_minutes() -> None:
    # Given the days around Lord Howe's change from +11:00 to +10:30 and back
    april = (_utc(2026, 4, 3), _utc(2026, 4, 6))
    october = (_utc(2026, 10, 2), _utc(2026, 10, 5))
    zone = ZoneInfo("Australia/Lord_Howe")

    # When each range is split
    segments = [offset_segments(*span, zone) for span in (april, october)]

    # Then each splits at 02:00 local, to the bucket
    ends_dst, starts_dst = _utc(2026, 4, 4, 15), _utc(2026, 10, 3, 15, 30)
    assert segments == [
        (_segment(april[0], ends_dst, 660), _segment(ends_dst, april[1], 630)),
        (_segment(october[0], starts_dst, 630), _segment(starts_dst, october[1], 660)),
    ]


def test_offset_segments_range_starting_on_a_transition_day() -> None:
    # Given New York's spring-forward day, from local midnight
    start, end = _utc(2026, 3, 8, 5), _utc(2026, 3, 9, 4)

    # When it is split
    segments = offset_segments(start, end, NEW_YORK)

    # Then its first two hours are one segment and the rest another
    change = _utc(2026, 3, 8, 7)
    assert segments == (
        _segment(start, change, -300),
        _segment(change, end, -240),
    )


@pytest.mark.parametrize(
    ("zone", "change", "offsets"),
    [
        # Jerusalem changes at 00:00 UTC, where a day's first reading falls.
        (ZoneInfo("Asia/Jerusalem"), _utc(2026, 3, 27), (120, 180)),
        (ZoneInfo("Europe/London"), _utc(2026, 3, 29, 1), (0, 60)),
    ],
)
def test_offset_segments_change_on_a_reading_or_a_range_end_is_exact(
    zone: ZoneInfo, change: int, offsets: tuple[int, int]
) -> None:
    # Given ranges that end at, start at and span a change
    before, after = change - 2 * HOUR_US, change + 2 * HOUR_US

    # When each is split
    ending = offset_segments(before, change, zone)
    starting = offset_segments(change, after, zone)
    spanning = offset_segments(before, after, zone)

    # Then the change is a segment boundary and never inside a segment
    assert (ending, starting, spanning) == (
        (_segment(before, change, offsets[0]),),
        (_segment(change, after, offsets[1]),),
        (_segment(before, change, offsets[0]), _segment(change, after, offsets[1])),
    )


def test_offset_segments_follow_two_changes_in_five_weeks() -> None:
    # Given Casablanca, which leaves +01:00 for Ramadan in 2026
    start, end = _utc(2026, 2, 1), _utc(2026, 4, 1)

    # When the range is split
    segments = offset_segments(start, end, ZoneInfo("Africa/Casablanca"))

    # Then it has three segments
    leaves, returns = _utc(2026, 2, 15, 2), _utc(2026, 3, 22, 2)
    assert segments == (
        _segment(start, leaves, 60),
        _segment(leaves, returns, 0),
        _segment(returns, end, 60),
    )


def test_offset_segments_empty_range_has_none() -> None:
    start = _utc(2026, 3, 8, 7)

    assert offset_segments(start, start, NEW_YORK) == ()


def test_localize_places_each_bucket_at_its_segment_offset() -> None:
    # Given New York's spring-forward change between two buckets
    change = _utc(2026, 3, 8, 7)
    segments = offset_segments(change - BUCKET_US, change + BUCKET_US, NEW_YORK)

    # When the buckets are placed in local time
    local = localize(segments)

    # Then 01:45 EST is followed by 03:00 EDT of the same day
    assert local.seconds.tolist() == [
        (change - BUCKET_US) // 1_000_000 - 5 * 3600,
        change // 1_000_000 - 4 * 3600,
    ]
    assert [local.date(0), local.date(1)] == [dt.date(2026, 3, 8)] * 2
    assert (local.day.tolist(), local.weekday.tolist()) == ([20520, 20520], [7, 7])


@pytest.mark.parametrize(
    "local",
    [
        dt.datetime(
            1969, 12, 31, 19, 0, tzinfo=dt.UTC
        ),  # a Wednesday, before the epoch
        dt.datetime(1970, 1, 1, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 8, 3, 45, tzinfo=dt.UTC),  # a Sunday
        dt.datetime(2026, 3, 9, 0, 15, tzinfo=dt.UTC),  # a Monday
        dt.datetime(2026, 11, 1, 1, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 23, 45, tzinfo=dt.UTC),
    ],
)
def test_local_key_reads_calendar_positions_of_local_time(local: dt.datetime) -> None:
    # Given a local wall time (written as UTC) as seconds since 1970-01-01 00:00
    seconds = np.array([to_us(local) // 1_000_000])
    day = (local.date() - dt.date(1970, 1, 1)).days
    minute = local.hour * 60 + local.minute

    # When every key is computed
    keys = {
        name: key.of(seconds).tolist()
        for name, key in {
            "quarter": LocalKey.slot_of_day(15),
            "half_hour": LocalKey.slot_of_day(30),
            "hour_of_week": LocalKey.weekday_slot(60),
            "quarter_of_week": LocalKey.weekday_slot(15),
            "day": LocalKey.day(),
            "half_hours": LocalKey.slot(30),
        }.items()
    }

    # Then they are the slot of the day, of the week and the day number
    weekday = local.isoweekday() - 1
    assert keys == {
        "quarter": [minute // 15],
        "half_hour": [minute // 30],
        "hour_of_week": [weekday * 24 + local.hour],
        "quarter_of_week": [weekday * 96 + minute // 15],
        "day": [day],
        "half_hours": [day * 48 + minute // 30],
    }
