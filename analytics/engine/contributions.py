"""
Turn signed consultation rows into additive deltas for the aggregates.

A row is (sign, started_at, first_response_at, ended_at, six dimension ids,
converted, abandoned, satisfaction): +1 for a consultation that now exists, -1 for
one that no longer does (or no longer looks that way). Every figure is a sum of
per-consultation terms, so deltas from any batch of rows simply add up; incremental
refreshes and full rebuilds share this one computation.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..buckets import BUCKET_US, MINUTE_US, SAMPLES_PER_BUCKET, to_us
from ..grouping import DIMENSIONS, GROUPINGS
from ..histogram import EDGES
from ..models import BIN_FIELDS, LATENCY_MEASURES, TRAFFIC_MEASURES

MISSING = np.iinfo(np.int64).min
SECOND_US = 1_000_000
_BUSY = TRAFFIC_MEASURES.index("busy_us")
_FIRST_SAMPLE = _BUSY + 1
_MEASURED = LATENCY_MEASURES.index("measured")
_BIN_COLUMNS = {
    metric: np.array([LATENCY_MEASURES.index(name) for name in names])
    for metric, names in BIN_FIELDS.items()
}


@dataclass(frozen=True)
class Deltas:
    """
    Grouped deltas ready to add to the aggregate tables.

    Key columns: grouping, six dimension ids, bucket start (us); value columns:
    the measures of the table, in the order of its model.
    """

    traffic_keys: np.ndarray
    traffic_values: np.ndarray
    latency_keys: np.ndarray
    latency_values: np.ndarray


@dataclass(frozen=True)
class _Rows:
    sign: np.ndarray
    start: np.ndarray
    response: np.ndarray
    end: np.ndarray
    dims: np.ndarray
    converted: np.ndarray
    abandoned: np.ndarray
    satisfaction: np.ndarray


def compute_deltas(rows: Sequence[Sequence], *, max_span_us: int) -> Deltas:
    """
    Return the grouped deltas of a batch of signed consultation rows.

    A consultation counts as in progress from its start until its end, at most
    `max_span_us` after the start; one without an end adds no load.
    """
    data = _columns(rows)
    bucket, dims, values = _ungrouped_traffic(data, max_span_us)
    traffic_keys, traffic_values = _group_by_groupings(bucket, dims, values)
    latency_keys, latency_values = _group_by_groupings(
        data.start - data.start % BUCKET_US, data.dims, _latency_measures(data)
    )
    return Deltas(traffic_keys, traffic_values, latency_keys, latency_values)


def _moment_column(rows: Sequence[Sequence], index: int) -> np.ndarray:
    return np.fromiter(
        (MISSING if row[index] is None else to_us(row[index]) for row in rows),
        dtype=np.int64,
        count=len(rows),
    )


def _int_column(rows: Sequence[Sequence], index: int) -> np.ndarray:
    return np.fromiter(
        (int(row[index] or 0) for row in rows), dtype=np.int64, count=len(rows)
    )


def _columns(rows: Sequence[Sequence]) -> _Rows:
    dims = np.column_stack(
        [_int_column(rows, 4 + i) for i in range(len(DIMENSIONS))]
    ).reshape(len(rows), len(DIMENSIONS))
    return _Rows(
        sign=_int_column(rows, 0),
        start=_moment_column(rows, 1),
        response=_moment_column(rows, 2),
        end=_moment_column(rows, 3),
        dims=dims,
        converted=_int_column(rows, 10),
        abandoned=_int_column(rows, 11),
        satisfaction=_int_column(rows, 12),
    )


def _ungrouped_traffic(
    data: _Rows, max_span_us: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return bucket, dimensions and measures of every start and every load piece."""
    start_bucket, start_values = _start_measures(data)
    rows, load_bucket, load_values = _load_measures(data, max_span_us)
    bucket = np.concatenate([start_bucket, load_bucket])
    dims = np.concatenate([data.dims, data.dims[rows]])
    values = np.concatenate([start_values, load_values])
    return bucket, dims, values


def _start_measures(data: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """Return the bucket of each start and the figures counted where it starts."""
    sign = data.sign
    responded = data.response != MISSING
    ended = data.end != MISSING
    rated = data.satisfaction > 0
    wait = np.where(responded, data.response - data.start, 0)
    duration = np.where(ended, data.end - data.start, 0)
    values = np.zeros((len(sign), len(TRAFFIC_MEASURES)), dtype=np.int64)
    for name, column in (
        ("volume", sign),
        ("converted", sign * data.converted),
        ("abandoned", sign * data.abandoned),
        ("rated", sign * rated),
        ("satisfaction_sum", sign * data.satisfaction),
        ("satisfied", sign * (data.satisfaction >= 4)),
        ("responded", sign * responded),
        ("wait_us", sign * wait),
        ("ended", sign * ended),
        ("duration_us", sign * duration),
    ):
        values[:, TRAFFIC_MEASURES.index(name)] = column
    return data.start - data.start % BUCKET_US, values


def _load_measures(
    data: _Rows, max_span_us: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return, for every bucket a consultation is in progress in, its row, the bucket
    and its busy microseconds and per-minute presence there.
    """
    ended = data.end != MISSING
    span_end = np.where(ended, np.minimum(data.end, data.start + max_span_us), 0)
    active = np.flatnonzero(ended & (span_end > data.start))
    start, span_end = data.start[active], span_end[active]
    first = start - start % BUCKET_US
    last = (span_end - 1) - (span_end - 1) % BUCKET_US
    pieces = (last - first) // BUCKET_US + 1

    rows = np.repeat(active, pieces)
    offsets = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    bucket = np.repeat(first, pieces) + offsets * BUCKET_US
    start_r = data.start[rows]
    end_r = np.repeat(span_end, pieces)
    sign = data.sign[rows]

    values = np.zeros((len(rows), len(TRAFFIC_MEASURES)), dtype=np.int64)
    busy = np.minimum(end_r, bucket + BUCKET_US) - np.maximum(start_r, bucket)
    values[:, _BUSY] = sign * busy
    minutes = bucket[:, None] + np.arange(SAMPLES_PER_BUCKET) * MINUTE_US
    present = (start_r[:, None] <= minutes) & (minutes < end_r[:, None])
    values[:, _FIRST_SAMPLE:] = sign[:, None] * present
    return rows, bucket, values


def _latency_measures(data: _Rows) -> np.ndarray:
    """Return each row's signed histogram counts, in the order of LATENCY_MEASURES."""
    values = np.zeros((len(data.sign), len(LATENCY_MEASURES)), dtype=np.int64)
    measured = np.zeros(len(data.sign), dtype=bool)
    for metric, moment in (("wait", data.response), ("duration", data.end)):
        rows = np.flatnonzero(moment != MISSING)
        seconds = (moment[rows] - data.start[rows]) / SECOND_US
        edges = EDGES[metric]
        bins = np.clip(np.searchsorted(edges, seconds, side="right") - 1, 0, None)
        values[rows, _BIN_COLUMNS[metric][bins]] = data.sign[rows]
        measured[rows] = True
    values[:, _MEASURED] = data.sign * measured
    return values


def _group_by_groupings(
    bucket: np.ndarray, dims: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the sums of `values` per key for each stored grouping, without all-zero
    sums.

    Keys are grouping, six dimension ids (zeroed where rolled up), bucket.
    """
    bucket_ranks = _ranks(bucket)
    per_dimension = [_ranks(dims[:, i]) for i in range(len(DIMENSIONS))]

    # Sum by the finest key first: every grouping then works on fewer rows.
    first, values = _sum_by_code(_combined([bucket_ranks, *per_dimension]), values)
    bucket, dims = bucket[first], dims[first]
    bucket_ranks = (bucket_ranks[0][first], bucket_ranks[1])
    per_dimension = [(ranks[first], size) for ranks, size in per_dimension]

    key_parts, value_parts = [], []
    for grouping in GROUPINGS:
        kept = [(grouping >> i) & 1 for i in range(len(DIMENSIONS))]
        # Sorted by dimension values, then bucket, as the unique key is: a series
        # written together lands on few pages, which its reads then visit.
        ranks = [r for r, keep in zip(per_dimension, kept, strict=True) if keep]
        first, sums = _sum_by_code(_combined([*ranks, bucket_ranks]), values)
        key_parts.append(
            np.column_stack(
                [
                    np.full(len(first), grouping, dtype=np.int64),
                    dims[first] * np.array(kept, dtype=np.int64),
                    bucket[first],
                ]
            )
        )
        value_parts.append(sums)
    keys = np.concatenate(key_parts)
    sums = np.concatenate(value_parts)
    nonzero = np.any(sums != 0, axis=1)
    return keys[nonzero], sums[nonzero]


def _ranks(column: np.ndarray) -> tuple[np.ndarray, int]:
    """Return each value's rank among the distinct values, and how many there are."""
    distinct, ranks = np.unique(column, return_inverse=True)
    return ranks.astype(np.int64), len(distinct)


def _combined(ranks: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """Return one code per row, ordered as the rows' ranks are lexicographically."""
    code, span = ranks[0]
    for column, size in ranks[1:]:
        if span * size >= 2**62:
            # Keep the mixed-radix code within int64 by ranking it again.
            code, span = _ranks(code)
        code, span = code * size + column, span * size
    return code


def _sum_by_code(code: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the first row of each distinct code and the sums of its values."""
    if len(code) == 0:
        return code, values
    order = np.argsort(code, kind="stable")
    ordered = code[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    # One contiguous row per measure: reduceat along it is several times faster
    # than down the columns of a row-major matrix.
    sums = np.add.reduceat(values.T[:, order], starts, axis=1)
    return order[starts], sums.T
