"""
Map 15-minute UTC buckets to local time in any IANA zone.

Offsets change only at a zone's transitions, at most a few times a year, so each
UTC day is checked at its first and last bucket and only a day whose offset changes
is resolved bucket by bucket. Local values are returned as arrays: the local civil
day (days since 1970-01-01), minute of the local day and ISO weekday.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from .buckets import BUCKET_US, DAY_US, MINUTE_US, from_us

_SECOND_US = 1_000_000


@dataclass(frozen=True)
class LocalBuckets:
    """Local calendar positions of a sequence of UTC buckets."""

    day: np.ndarray
    minute: np.ndarray
    weekday: np.ndarray

    def slot(self, slot_minutes: int) -> np.ndarray:
        """Return the index of each bucket's slot within its local day."""
        return self.minute // slot_minutes

    def date(self, index: int) -> dt.date:
        """Return the local civil date of one bucket."""
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(self.day[index]))


def utc_offsets_us(bucket_us: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Return each bucket's UTC offset in microseconds in the given zone."""
    if len(bucket_us) == 0:
        return np.zeros(0, dtype=np.int64)
    days = bucket_us // DAY_US
    first_day = int(days.min())
    span = range(first_day, int(days.max()) + 1)
    # Looked up once per UTC day of the span rather than by grouping the buckets
    # per day, which costs more than the lookups for a year of buckets.
    first = np.array([_offset_us(day * DAY_US, zone) for day in span], dtype=np.int64)
    last = np.array(
        [_offset_us(day * DAY_US + DAY_US - BUCKET_US, zone) for day in span],
        dtype=np.int64,
    )
    offsets = first[days - first_day]
    for day in np.flatnonzero(first != last) + first_day:
        members = np.flatnonzero(days == day)
        offsets[members] = [_offset_us(int(b), zone) for b in bucket_us[members]]
    return offsets


def localize(bucket_us: np.ndarray, zone: ZoneInfo) -> LocalBuckets:
    """Return the local day, minute of day and ISO weekday of each bucket."""
    local = bucket_us + utc_offsets_us(bucket_us, zone)
    day = local // DAY_US
    # 1970-01-01 was a Thursday, ISO weekday 4.
    return LocalBuckets(
        day=day,
        minute=(local % DAY_US) // MINUTE_US,
        weekday=(day + 3) % 7 + 1,
    )


def bucket_grid(start_us: int, end_us: int) -> np.ndarray:
    """Return the start of every bucket in [start_us, end_us)."""
    return np.arange(start_us, end_us, BUCKET_US, dtype=np.int64)


def _offset_us(micros: int, zone: ZoneInfo) -> int:
    offset = from_us(micros).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) * _SECOND_US
