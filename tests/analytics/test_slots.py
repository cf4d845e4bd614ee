import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.buckets import BUCKET_US, from_us
from analytics.slots import (
    LocalGrid,
    max_by,
    period_keys,
    period_label,
    slot_labels,
    sum_by,
)

NEW_YORK = ZoneInfo("America/New_York")


def _grid(start: dt.datetime, end: dt.datetime, zone: ZoneInfo, slot: int) -> LocalGrid:
    return LocalGrid.build(start, end, zone, slot)


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        (NEW_YORK, dt.datetime(2026, 3, 7, 5, tzinfo=dt.UTC)),
        (NEW_YORK, dt.datetime(2026, 10, 31, 4, tzinfo=dt.UTC)),
        (ZoneInfo("Asia/Kathmandu"), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
        (ZoneInfo("Australia/Lord_Howe"), dt.datetime(2026, 4, 4, tzinfo=dt.UTC)),
    ],
)
def test_local_grid_places_every_bucket_as_zoneinfo_does(
    zone: ZoneInfo, start: dt.datetime
) -> None:
    # Given three days of buckets around a zone's offset change
    grid = _grid(start, start + dt.timedelta(days=3), zone, 15)

    # When each bucket is converted on its own with zoneinfo
    moments = [
        from_us(grid.start_us + i * BUCKET_US).astimezone(zone)
        for i in range(len(grid.slot))
    ]

    # Then the grid holds the same local dates, slots and weekdays
    assert [grid.local.date(i) for i in range(len(moments))] == [
        m.date() for m in moments
    ]
    assert grid.slot.tolist() == [(m.hour * 60 + m.minute) // 15 for m in moments]
    assert grid.local.weekday.tolist() == [m.isoweekday() for m in moments]


def test_days_per_cell_fall_back_day_counts_the_repeated_hour_once() -> None:
    # Given New York's fall-back day of 2026, hourly slots
    grid = _grid(
        dt.datetime(2026, 11, 1, 4, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 2, 5, tzinfo=dt.UTC),
        NEW_YORK,
        60,
    )

    # When the days and buckets per slot are counted
    days = grid.days_per_cell(grid.slot, grid.slot_count)
    buckets = np.bincount(grid.slot, minlength=grid.slot_count)

    # Then every hour exists on the one day, 01:00 with twice the buckets
    assert days.tolist() == [1] * 24
    assert buckets.tolist() == [4, 8] + [4] * 22
    assert grid.days.tolist() == [(dt.date(2026, 11, 1) - dt.date(1970, 1, 1)).days]


def test_days_per_cell_spring_forward_day_lacks_the_skipped_hour() -> None:
    grid = _grid(
        dt.datetime(2026, 3, 7, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 9, 4, tzinfo=dt.UTC),
        NEW_YORK,
        30,
    )

    days = grid.days_per_cell(grid.slot, grid.slot_count)

    assert days.tolist() == [2] * 4 + [1, 1] + [2] * 42


def test_empty_grid_has_no_days() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    grid = _grid(start, start, ZoneInfo("UTC"), 60)

    assert (grid.days.tolist(), grid.days_per_cell(grid.slot, 24).tolist()) == (
        [],
        [0] * 24,
    )


def test_sum_by_adds_rows_and_columns_exactly() -> None:
    index = np.array([2, 0, 2])
    big = 2**62

    assert sum_by(index, np.array([1, 2, 3]), 3).tolist() == [2, 0, 4]
    assert sum_by(index, np.array([[big, 1], [5, 6], [1, 1]]), 3).tolist() == [
        [5, 6],
        [0, 0],
        [big + 1, 2],
    ]
    assert sum_by(index[:0], np.zeros((0, 2), dtype=np.int64), 2).tolist() == [
        [0, 0],
        [0, 0],
    ]


def test_max_by_keeps_the_largest_per_cell() -> None:
    assert max_by(np.array([1, 1, 3]), np.array([4, 9, 2]), 4).tolist() == [0, 9, 0, 2]


def test_slot_labels_name_each_slot_start() -> None:
    assert slot_labels(60)[:3] == ["00:00", "01:00", "02:00"]
    assert slot_labels(15)[-2:] == ["23:30", "23:45"]
    assert len(slot_labels(30)) == 48


@pytest.mark.parametrize(
    ("day", "granularity", "label"),
    [
        (dt.date(2026, 3, 1), "day", "2026-03-01"),
        (dt.date(2026, 3, 1), "week", "2026-W09"),
        (dt.date(2026, 3, 2), "week", "2026-W10"),
        (dt.date(2027, 1, 3), "week", "2026-W53"),
        (dt.date(2027, 1, 4), "week", "2027-W01"),
        (dt.date(1969, 12, 31), "week", "1970-W01"),
        (dt.date(2026, 12, 31), "month", "2026-12"),
        (dt.date(1969, 12, 31), "month", "1969-12"),
    ],
)
def test_period_label_of_a_day(day: dt.date, granularity: str, label: str) -> None:
    number = (day - dt.date(1970, 1, 1)).days

    key = period_keys(np.array([number]), granularity)[0]

    assert period_label(key, granularity) == label


def test_period_keys_unknown_granularity_raises() -> None:
    with pytest.raises(ValueError) as raised:
        period_keys(np.array([0]), "year")

    assert str(raised.value) == "unknown granularity 'year'"
