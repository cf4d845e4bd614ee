"""
Read summed aggregate series for a time range and a set of dimension filters.

Reports never scan consultations: they read one row per bucket from the stored
grouping that matches their filters (see `grouping.py`).
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import BigIntegerField, Func, Q, QuerySet, Sum

from .grouping import (
    DIMENSIONS,
    LATENCY_GROUPINGS,
    TRAFFIC_GROUPINGS,
    kept_dimensions,
    stored_grouping,
)
from .histogram import EDGES, METRIC_CODES
from .models import TRAFFIC_MEASURES, FillState, LatencyBin, TrafficAggregate


@dataclass(frozen=True)
class SliceFilter:
    """
    A half-open UTC range [start, end) and the dimension ids to keep.

    Both ends must be aware and on 15-minute boundaries; `dimensions` maps a name
    of `grouping.DIMENSIONS` to the ids allowed (a missing name allows all).
    """

    start: dt.datetime
    end: dt.datetime
    dimensions: Mapping[str, Sequence[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Series:
    """Sums per bucket: `buckets` in microseconds, `values` one column per name."""

    buckets: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


class BucketMicros(Func):
    """The bucket start as integer microseconds since the epoch."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Buckets fall on whole minutes, so whole seconds are exact.
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(strftime('%%s', %(expressions)s) AS INTEGER) * 1000000)",
            **extra,
        )


def get_traffic_series(
    slice_filter: SliceFilter, names: Sequence[str] = TRAFFIC_MEASURES
) -> Series:
    """Return the traffic sums per bucket that has any, in bucket order."""
    rows = (
        _filtered(TrafficAggregate.objects, slice_filter, TRAFFIC_GROUPINGS)
        .values(micros=BucketMicros("bucket_start"))
        .annotate(**{name: Sum(name) for name in names})
        .order_by("micros")
        .values_list("micros", *names)
    )
    array = np.array(list(rows), dtype=np.int64).reshape(-1, len(names) + 1)
    return Series(array[:, 0], array[:, 1:], tuple(names))


@dataclass(frozen=True)
class BreakdownSeries(Series):
    """Sums per bucket and value of one dimension; `ids` holds each row's value."""

    ids: np.ndarray


def get_traffic_breakdown(
    slice_filter: SliceFilter, dimension: str, names: Sequence[str] = ("volume",)
) -> BreakdownSeries:
    """
    Return the traffic sums per bucket and value of one dimension, in bucket order.

    Only (bucket, value) pairs that have data appear; value 0 is "none". The
    dimension may also be filtered, which limits the values returned.
    """
    rows = (
        _filtered(
            TrafficAggregate.objects,
            slice_filter,
            TRAFFIC_GROUPINGS,
            also_keep=[dimension],
        )
        .values(dimension, micros=BucketMicros("bucket_start"))
        .annotate(**{name: Sum(name) for name in names})
        .order_by("micros", dimension)
        .values_list("micros", dimension, *names)
    )
    array = np.array(list(rows), dtype=np.int64).reshape(-1, len(names) + 2)
    return BreakdownSeries(array[:, 0], array[:, 2:], tuple(names), array[:, 1])


def get_latency_histograms(slice_filter: SliceFilter, metric: str) -> Series:
    """Return per bucket the counts in each bin of the metric's histogram."""
    edges = EDGES[metric]
    rows = (
        _filtered(LatencyBin.objects, slice_filter, LATENCY_GROUPINGS)
        .filter(metric=METRIC_CODES[metric])
        .values("bin", micros=BucketMicros("bucket_start"))
        .annotate(total=Sum("count"))
        .order_by()
        .values_list("micros", "bin", "total")
    )
    triples = np.array(list(rows), dtype=np.int64).reshape(-1, 3)
    buckets, position = np.unique(triples[:, 0], return_inverse=True)
    counts = np.zeros((len(buckets), len(edges)), dtype=np.int64)
    np.add.at(counts, (position, triples[:, 1]), triples[:, 2])
    return Series(buckets, counts, tuple(f"bin_{i}" for i in range(len(edges))))


def get_fill_state() -> FillState:
    """Return the aggregates' fill state (an unsaved blank one before any refresh)."""
    return FillState.objects.filter(pk=1).first() or FillState(pk=1)


def _filtered(
    queryset: QuerySet,
    slice_filter: SliceFilter,
    available: tuple[int, ...],
    *,
    also_keep: Sequence[str] = (),
) -> QuerySet:
    """Select the rows of the filter from a grouping that also keeps `also_keep`."""
    filtered = [name for name, ids in slice_filter.dimensions.items() if ids]
    grouping = stored_grouping([*filtered, *also_keep], available)
    kept = kept_dimensions(grouping)
    condition = Q(
        grouping=grouping,
        bucket_start__gte=slice_filter.start,
        bucket_start__lt=slice_filter.end,
    )
    for name in DIMENSIONS:
        if name in filtered:
            condition &= Q(**{f"{name}__in": list(slice_filter.dimensions[name])})
        elif name not in kept:
            condition &= Q(**{name: 0})
    return queryset.filter(condition)
