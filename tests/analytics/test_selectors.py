import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection

from analytics.buckets import BUCKET_US, from_us, to_us
from analytics.grouping import grouping_of
from analytics.histogram import DURATION_EDGES
from analytics.localtime import LocalKey, localize, offset_segments
from analytics.models import BIN_FIELDS, LatencyHistogram, TrafficAggregate
from analytics.selectors import (
    LocalScope,
    SliceFilter,
    get_latency_histograms,
    get_load,
    get_traffic_breakdown,
    get_traffic_sums,
)

pytestmark = pytest.mark.django_db

# Casablanca leaves +01:00 for Ramadan from 2026-02-15 to 2026-03-22: a range of
# three segments.
CASABLANCA = ZoneInfo("Africa/Casablanca")
START = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)
END = dt.datetime(2026, 3, 25, tzinfo=dt.UTC)
CHANNEL = grouping_of(["channel"])


def _scope(key: LocalKey, dimensions: dict | None = None) -> LocalScope:
    return LocalScope(
        SliceFilter(START, END, dimensions or {}),
        offset_segments(to_us(START), to_us(END), CASABLANCA),
        key,
    )


def _buckets() -> np.ndarray:
    return np.arange(to_us(START), to_us(END), BUCKET_US)


@pytest.mark.parametrize(
    "key",
    [
        LocalKey.slot_of_day(30),
        LocalKey.weekday_slot(60),
        LocalKey.day(),
        LocalKey.slot(15),
    ],
)
def test_get_traffic_sums_any_key_across_changes_equals_local_buckets(
    key: LocalKey,
) -> None:
    # Given a volume in every bucket of a range across two offset changes, and one
    # outside it
    volumes = _buckets() // BUCKET_US % 7 + 1
    TrafficAggregate.objects.bulk_create(
        [
            TrafficAggregate(grouping=0, bucket_start=from_us(bucket), volume=volume)
            for bucket, volume in zip(
                _buckets().tolist(), volumes.tolist(), strict=True
            )
        ]
        + [TrafficAggregate(grouping=0, bucket_start=END, volume=1000)]
    )
    scope = _scope(key)

    # When the database sums the volume by the local key
    sums = get_traffic_sums(scope, ["volume"])

    # Then it equals the volumes summed by the key of each bucket in numpy
    cells = localize(scope.segments).key(key)
    keys = np.unique(cells)
    expected = [int(volumes[cells == cell].sum()) for cell in keys]
    assert (sums.keys.tolist(), sums.column("volume").tolist()) == (
        keys.tolist(),
        expected,
    )


def test_get_traffic_sums_filter_reads_its_own_grouping() -> None:
    # Given the same bucket in the unfiltered grouping and per channel
    TrafficAggregate.objects.bulk_create(
        [
            TrafficAggregate(grouping=0, bucket_start=START, volume=100),
            TrafficAggregate(grouping=CHANNEL, channel=1, bucket_start=START, volume=5),
            TrafficAggregate(grouping=CHANNEL, channel=2, bucket_start=START, volume=7),
            TrafficAggregate(grouping=CHANNEL, channel=3, bucket_start=START, volume=9),
        ]
    )

    # When the volume is summed for channels 1 and 3, and for all
    day = LocalKey.day()
    filtered = get_traffic_sums(_scope(day, {"channel": [1, 3]}), ["volume"])
    unfiltered = get_traffic_sums(_scope(day), ["volume"])

    # Then each reads its grouping: 5 + 9, and 100, on the local day of 00:00 UTC
    day_number = (START.astimezone(CASABLANCA).date() - dt.date(1970, 1, 1)).days
    assert (filtered.keys.tolist(), filtered.values.tolist()) == ([day_number], [[14]])
    assert unfiltered.values.tolist() == [[100]]


def test_get_load_takes_the_peak_of_the_samples_summed_per_bucket() -> None:
    # Given two channels in progress in the same bucket, peaking at other minutes,
    # and a quieter bucket after it
    TrafficAggregate.objects.bulk_create(
        [
            TrafficAggregate(
                grouping=CHANNEL,
                channel=1,
                bucket_start=START,
                busy_us=10,
                in_progress_00=3,
                in_progress_01=2,
            ),
            TrafficAggregate(
                grouping=CHANNEL,
                channel=2,
                bucket_start=START,
                busy_us=20,
                in_progress_01=4,
            ),
            TrafficAggregate(
                grouping=CHANNEL,
                channel=2,
                bucket_start=START + dt.timedelta(minutes=15),
                busy_us=5,
                in_progress_14=5,
            ),
        ]
    )

    # When the load of both channels, and of the second alone, is read per day
    both = get_load(_scope(LocalKey.day(), {"channel": [1, 2]}))
    second = get_load(_scope(LocalKey.day(), {"channel": [2]}))

    # Then the peak of both is minute 01's 2 + 4, not a sum of each row's peak,
    # and the second's is its own highest sample
    assert both.names == second.names == ("busy_us", "peak")
    assert (both.values.tolist(), second.values.tolist()) == ([[35, 6]], [[25, 5]])


def test_get_traffic_breakdown_keeps_values_with_volume() -> None:
    # Given two channels with volume on one day and one with load only
    TrafficAggregate.objects.bulk_create(
        [
            TrafficAggregate(grouping=CHANNEL, channel=2, bucket_start=START, volume=4),
            TrafficAggregate(grouping=CHANNEL, channel=1, bucket_start=START, volume=1),
            TrafficAggregate(
                grouping=CHANNEL, channel=3, bucket_start=START, busy_us=9
            ),
        ]
    )

    # When the volume is broken down by channel per local day
    sums = get_traffic_breakdown(_scope(LocalKey.day()), "channel")

    # Then the two channels with volume come back, in order
    assert (sums.ids.tolist(), sums.column("volume").tolist()) == ([1, 2], [1, 4])


def test_get_latency_histograms_counts_per_key_and_bin() -> None:
    # Given wait counts in two bins of one bucket and one bin of the next hour,
    # and a duration count beside them
    LatencyHistogram.objects.bulk_create(
        [
            LatencyHistogram(
                grouping=0, bucket_start=START, measured=3, wait_00=2, wait_03=1
            ),
            LatencyHistogram(
                grouping=0,
                bucket_start=START + dt.timedelta(hours=1),
                measured=5,
                wait_03=5,
                duration_01=7,
            ),
        ]
    )

    # When the histograms are read per local hour of the day (+01:00)
    histograms = get_latency_histograms(_scope(LocalKey.slot_of_day(60)))

    # Then each hour has its bins of each histogram
    assert histograms.keys.tolist() == [1, 2]
    wait = histograms.only(BIN_FIELDS["wait"]).values
    assert wait[:, :4].tolist() == [[2, 0, 0, 1], [0, 0, 0, 5]]
    assert wait[:, 4:].sum() == 0
    duration = histograms.only(BIN_FIELDS["duration"]).values
    assert duration.tolist() == [[0] * len(DURATION_EDGES), [0, 7] + [0] * 26]


def test_selectors_on_an_empty_range_return_nothing() -> None:
    # Given a stored bucket, and an empty range at it
    TrafficAggregate.objects.create(grouping=0, bucket_start=START, volume=1)
    scope = LocalScope(SliceFilter(START, START), (), LocalKey.slot_of_day(60))

    # When each selector reads the range
    results = [
        get_traffic_sums(scope, ["volume"]),
        get_load(scope),
        get_latency_histograms(scope),
    ]

    # Then none returns a key
    assert [len(result.keys) for result in results] == [0, 0, 0]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner settings are PostgreSQL's"
)
def test_summing_inside_a_transaction_leaves_its_planner_settings_as_they_were() -> (
    None
):
    # Given a transaction (the test's) whose planner may sort and compile
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")
    TrafficAggregate.objects.create(grouping=0, bucket_start=START, volume=3)

    # When sums are read, which rules out sorts and JIT for their own statement
    sums = get_traffic_sums(_scope(LocalKey.day()), ["volume"])

    # Then the transaction's later statements may sort and compile again
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_sort'), current_setting('jit')")
        assert cursor.fetchone() == ("on", "on")
    assert sums.values.tolist() == [[3]]
