"""
Map 15-minute UTC buckets to local time in any IANA zone.

A zone's UTC offset changes only at its transitions, a few times a year at most, so
a range of buckets splits into a handful of segments of constant offset. Within one,
a bucket's local calendar position is integer arithmetic on its epoch seconds, which
the database can do as well as numpy: `LocalKey` names such a position (slot of the
day, weekday and slot, local day, ...) and computes it from local seconds, and the
selectors compute the same in SQL, segment by segment. Local days are numbered from
1970-01-01.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from .buckets import BUCKET_US, DAY_US, from_us

SECOND_US = 1_000_000
DAY_SECONDS = 24 * 3600
WEEK_SECONDS = 7 * DAY_SECONDS
# 1970-01-01 was a Thursday: three days after the Monday that starts its ISO week.
MONDAY_SHIFT_SECONDS = 3 * DAY_SECONDS


@dataclass(frozen=True)
class OffsetSegment:
    """The buckets in [start_us, end_us), over which the zone is `offset_us` ahead."""

    start_us: int
    end_us: int
    offset_us: int

    @property
    def offset_seconds(self) -> int:
        return self.offset_us // SECOND_US


# A few hundred offset readings per year of range, the same for every report of a
# page or a refresh of it; the tz database does not change while a process runs.
@lru_cache(maxsize=256)
def offset_segments(
    start_us: int, end_us: int, zone: ZoneInfo
) -> tuple[OffsetSegment, ...]:
    """
    Return the segments of constant UTC offset that make up [start_us, end_us).

    Both ends must be on bucket boundaries. The offset is read at the start of
    every UTC day of the range and at its last bucket; where it differs from the
    previous reading, the change is found by bisection to the bucket. A change
    undone within the same UTC day would go unseen, which no zone of the tz
    database does.
    """
    if end_us <= start_us:
        return ()
    current = _offset_us(start_us, zone)
    starts = [(start_us, current)]
    checked = start_us
    first_midnight = start_us - start_us % DAY_US + DAY_US
    for point in [*range(first_midnight, end_us, DAY_US), end_us - BUCKET_US]:
        while (offset := _offset_us(point, zone)) != current:
            checked = _first_change(checked, point, current, zone)
            current = offset if checked == point else _offset_us(checked, zone)
            starts.append((checked, current))
        checked = point
    ends = [start for start, _offset in starts[1:]] + [end_us]
    return tuple(
        OffsetSegment(start, end, offset)
        for (start, offset), end in zip(starts, ends, strict=True)
    )


def _first_change(low: int, high: int, offset_us: int, zone: ZoneInfo) -> int:
    """
    Return a bucket in (low, high] that starts another offset than `offset_us`,
    the offset at `low`, right after a bucket at that offset; `high` must be at
    another offset.
    """
    while high - low > BUCKET_US:
        middle = low + (high - low) // BUCKET_US // 2 * BUCKET_US
        if _offset_us(middle, zone) == offset_us:
            low = middle
        else:
            high = middle
    return high


@dataclass(frozen=True)
class LocalKey:
    """
    A calendar position in local time, an integer computed from local seconds L
    (epoch seconds plus the UTC offset) as ((L + shift) // width) % modulus, without
    the modulus when it is 0.

    `shift` includes a whole week so that every instant from 1970 on gives a
    non-negative dividend: the database then needs no floor division, and a week
    changes no position that repeats daily or weekly. `base` is subtracted after
    the division to undo the week where the key counts periods.
    """

    width: int
    shift: int = WEEK_SECONDS
    modulus: int = 0
    base: int = 0

    @classmethod
    def slot_of_day(cls, slot_minutes: int) -> "LocalKey":
        """Return the key of the slot within the local day, from 0."""
        width = slot_minutes * 60
        return cls(width=width, modulus=DAY_SECONDS // width)

    @classmethod
    def weekday_slot(cls, slot_minutes: int) -> "LocalKey":
        """Return the key (ISO weekday - 1) x slots per day + slot of the day."""
        width = slot_minutes * 60
        return cls(
            width=width,
            shift=WEEK_SECONDS + MONDAY_SHIFT_SECONDS,
            modulus=WEEK_SECONDS // width,
        )

    @classmethod
    def day(cls) -> "LocalKey":
        """Return the key of the local day, numbered from 1970-01-01."""
        return cls(width=DAY_SECONDS, base=WEEK_SECONDS // DAY_SECONDS)

    @classmethod
    def slot(cls, slot_minutes: int) -> "LocalKey":
        """
        Return the key that counts slots from 1970-01-01 local: slots per day x
        day + slot of the day.
        """
        width = slot_minutes * 60
        return cls(width=width, base=WEEK_SECONDS // width)

    def of(self, local_seconds: np.ndarray) -> np.ndarray:
        """Return the key of each local instant given in seconds."""
        key = (local_seconds + self.shift) // self.width
        if self.modulus:
            key = key % self.modulus
        return key - self.base


@dataclass(frozen=True)
class LocalBuckets:
    """Local calendar positions of a sequence of UTC buckets."""

    seconds: np.ndarray

    @property
    def day(self) -> np.ndarray:
        """The local civil day of each bucket (days since 1970-01-01)."""
        return self.seconds // DAY_SECONDS

    @property
    def weekday(self) -> np.ndarray:
        """The ISO weekday of each bucket, 1 = Monday."""
        return (self.day + 3) % 7 + 1

    def key(self, key: LocalKey) -> np.ndarray:
        """Return the local key of each bucket."""
        return key.of(self.seconds)

    def date(self, index: int) -> dt.date:
        """Return the local civil date of one bucket."""
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(self.day[index]))


def localize(segments: Sequence[OffsetSegment]) -> LocalBuckets:
    """Return the local positions of every bucket of consecutive segments."""
    if not segments:
        return LocalBuckets(np.zeros(0, dtype=np.int64))
    start_us, end_us = segments[0].start_us, segments[-1].end_us
    buckets = bucket_grid(start_us, end_us) // SECOND_US
    lengths = [(s.end_us - s.start_us) // BUCKET_US for s in segments]
    offsets = np.repeat([s.offset_seconds for s in segments], lengths)
    return LocalBuckets(buckets + offsets)


def bucket_grid(start_us: int, end_us: int) -> np.ndarray:
    """Return the start of every bucket in [start_us, end_us)."""
    return np.arange(start_us, end_us, BUCKET_US, dtype=np.int64)


def _offset_us(micros: int, zone: ZoneInfo) -> int:
    offset = from_us(micros).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) * SECOND_US
