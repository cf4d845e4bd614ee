"""
Time arithmetic for aggregate buckets.

Aggregates are kept per 15-minute bucket in UTC. Every time zone in use today is offset
from UTC by a multiple of 15 minutes, so local slots of 15, 30 and 60 minutes, local
days, weeks and months are exact unions of buckets in any zone. Instants are handled
as integer microseconds since the Unix epoch so that sums stay exact.
"""

import datetime as dt

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = dt.timedelta(microseconds=1)
BUCKET_MINUTES = 15
BUCKET_US = BUCKET_MINUTES * 60 * 1_000_000
MINUTE_US = 60 * 1_000_000
SAMPLES_PER_BUCKET = BUCKET_MINUTES
DAY_US = 24 * 3600 * 1_000_000


def to_us(moment: dt.datetime) -> int:
    """Return an aware datetime as microseconds since the epoch."""
    return (moment - EPOCH) // MICROSECOND


def from_us(micros: int) -> dt.datetime:
    """Return microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + dt.timedelta(microseconds=int(micros))


def bucket_of(moment: dt.datetime) -> dt.datetime:
    """Return the start of the bucket that contains an aware datetime."""
    micros = to_us(moment)
    return from_us(micros - micros % BUCKET_US)
