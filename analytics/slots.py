"""
Place the local slots, days, weeks and months of a report on the buckets of its range.

The database sums aggregates per local key (see `selectors`); `LocalGrid` places
every bucket of the whole range in local time with the same keys, so that what the
calendar holds (on how many days a slot exists, which periods the range covers)
does not depend on where data falls. On a spring-forward day the skipped slots are
simply absent from the grid, and on a fall-back day the repeated ones appear twice
on the same local day.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from .buckets import to_us
from .localtime import LocalBuckets, LocalKey, OffsetSegment, localize, offset_segments
from .selectors import LocalScope, SliceFilter

MINUTES_PER_DAY = 24 * 60
SLOT_MINUTES: tuple[int, ...] = (15, 30, 60)
GRANULARITIES: tuple[str, ...] = ("day", "week", "month")
_EPOCH_DATE = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class LocalGrid:
    """Every bucket of [start, end) with its local day, slot and weekday."""

    start_us: int
    slot_minutes: int
    segments: tuple[OffsetSegment, ...]
    local: LocalBuckets

    @classmethod
    def build(
        cls, start: dt.datetime, end: dt.datetime, zone: ZoneInfo, slot_minutes: int
    ) -> "LocalGrid":
        """
        Return the grid of a UTC range in a zone.

        Both ends must be aware and on bucket boundaries; `slot_minutes` must divide
        a day (see SLOT_MINUTES).
        """
        start_us = to_us(start)
        segments = offset_segments(start_us, to_us(end), zone)
        return cls(start_us, slot_minutes, segments, localize(segments))

    def scope(self, slice_filter: SliceFilter, key: LocalKey) -> LocalScope:
        """Return what a selector needs to sum the slice by `key` over this grid."""
        return LocalScope(slice_filter, self.segments, key)

    @property
    def slot_count(self) -> int:
        return MINUTES_PER_DAY // self.slot_minutes

    @cached_property
    def slot(self) -> np.ndarray:
        """The slot of the local day of each bucket of the grid."""
        return self.local.key(LocalKey.slot_of_day(self.slot_minutes))

    @cached_property
    def day(self) -> np.ndarray:
        """The local day of each bucket of the grid."""
        return self.local.day

    @cached_property
    def days(self) -> np.ndarray:
        """The distinct local days of the range, in order."""
        if len(self.day) == 0:
            return self.day
        first_day = self.day.min()
        return np.flatnonzero(np.bincount(self.day - first_day)) + first_day

    def days_per_cell(self, cells: np.ndarray, size: int) -> np.ndarray:
        """
        Return on how many local days each cell occurs, given a cell per bucket.

        A cell repeated within one day (the hour a fall-back day has twice) counts
        that day once.
        """
        if len(cells) == 0:
            return np.zeros(size, dtype=np.int64)
        first_day = self.day.min()
        occurs = np.zeros((int(self.day.max() - first_day) + 1, size), bool)
        occurs[self.day - first_day, cells] = True
        return occurs.sum(axis=0)


def sum_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Return the integer sums of `values` rows grouped by `index` in [0, size)."""
    width = int(np.prod(values.shape[1:]))
    # A single unbuffered add over flat positions is several times faster than
    # adding whole rows, and stays in exact integers unlike a weighted bincount.
    flat = (index[:, None] * width + np.arange(width)).ravel()
    sums = np.zeros(size * width, dtype=np.int64)
    np.add.at(sums, flat, values.reshape(-1))
    return sums.reshape(size, *values.shape[1:])


def max_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Return the maximum of non-negative `values` grouped by `index` (0 if none)."""
    maxima = np.zeros(size, dtype=np.int64)
    np.maximum.at(maxima, index, values)
    return maxima


def slot_label(slot: int, slot_minutes: int) -> str:
    """Return the local start time of a slot as "HH:MM"."""
    hours, minutes = divmod(slot * slot_minutes, 60)
    return f"{hours:02d}:{minutes:02d}"


def slot_labels(slot_minutes: int) -> list[str]:
    """Return the labels of every slot of a local day."""
    return [slot_label(i, slot_minutes) for i in range(MINUTES_PER_DAY // slot_minutes)]


def day_date(day: int) -> dt.date:
    """Return the civil date of a day number (days since 1970-01-01)."""
    return _EPOCH_DATE + dt.timedelta(days=int(day))


def period_keys(days: np.ndarray, granularity: str) -> np.ndarray:
    """
    Return the period of each local day number: the day itself, the day number of
    its ISO week's Monday, or the number of months since January 1970.
    """
    if granularity == "day":
        return days
    if granularity == "week":
        # 1970-01-01 was a Thursday, three days after a Monday.
        return days - (days + 3) % 7
    if granularity == "month":
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    raise ValueError(f"unknown granularity {granularity!r}")


def period_label(key: int, granularity: str) -> str:
    """Return the label of a period key: "2026-03-01", "2026-W10" or "2026-03"."""
    if granularity == "day":
        return day_date(key).isoformat()
    if granularity == "week":
        year, week, _ = day_date(key).isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        year, month = divmod(int(key), 12)
        return f"{1970 + year}-{month + 1:02d}"
    raise ValueError(f"unknown granularity {granularity!r}")
