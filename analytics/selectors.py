"""
Read aggregate sums grouped by a local calendar key, for a time range and a set of
dimension filters.

Reports never scan consultations: they read the stored grouping that matches their
filters (see `grouping.py`), and the database sums it per local key (slot of the
day, weekday and slot, local day, ...). The range is split into segments of
constant UTC offset (`localtime.offset_segments`), within which the key is integer
arithmetic on a bucket's epoch seconds, so that a year of 15-minute buckets comes
back as a few hundred rows rather than one row per bucket.

Summing a year of one series (35,040 buckets) takes 10 to 16 ms, depending on the
machine: about two thirds of it walking the key index, the rest reading the rows
and computing and hashing their local keys. With the request's own 5 to 8 ms
around it, the day distribution with two filters answers 49 to 59 times faster
than a raw GROUP BY of ten million consultations, so at times just short of the
50 aimed for (docs/benchmarks.md).
"""

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, models, transaction

from .buckets import from_us
from .grouping import DIMENSIONS, kept_dimensions, stored_grouping
from .localtime import LocalKey, OffsetSegment
from .models import (
    BIN_FIELDS,
    SAMPLE_FIELDS,
    FillState,
    LatencyHistogram,
    TrafficAggregate,
)

# A bucket's start in whole seconds since the epoch (buckets fall on whole
# minutes). PostgreSQL's date_part gives a double, exact for such integers and
# cheaper than the numeric that EXTRACT gives.
_EPOCH_SECONDS = {
    "postgresql": "date_part('epoch', bucket_start)::bigint",
    "sqlite": "CAST(strftime('%%s', bucket_start) AS INTEGER)",
}


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
class LocalScope:
    """
    What a selector reads and how it groups: the slice, the segments of constant
    offset that make up its range (in order), and the local key to sum by.
    """

    slice_filter: SliceFilter
    segments: Sequence[OffsetSegment]
    key: LocalKey


@dataclass(frozen=True)
class KeyedSums:
    """
    Sums per local key that has any rows, in key order: `values` has one column
    per name.
    """

    keys: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    def only(self, names: Sequence[str]) -> "KeyedSums":
        """Return the same keys with just the named columns, in that order."""
        columns = [self.names.index(name) for name in names]
        return KeyedSums(self.keys, self.values[:, columns], tuple(names))


def get_traffic_sums(scope: LocalScope, names: Sequence[str]) -> KeyedSums:
    """Return the sums of the named traffic measures per local key."""
    return _keyed_sums(TrafficAggregate, scope, tuple(names))


@dataclass(frozen=True)
class BreakdownSums(KeyedSums):
    """Sums per local key and value of one dimension; `ids` holds each row's value."""

    ids: np.ndarray


def get_traffic_breakdown(scope: LocalScope, dimension: str) -> BreakdownSums:
    """
    Return the volume per local key and value of one dimension.

    Only (key, value) pairs with volume appear; value 0 is "none". The dimension
    may also be filtered, which limits the values returned.
    """
    selection = _Selection.of(scope.slice_filter, also_keep=[dimension])
    key, key_parameters = _local_key(scope)
    rows = _fetch(
        f"SELECT {key}, {dimension}, {_summed('volume')} "
        f"FROM {TrafficAggregate._meta.db_table} WHERE {selection.where} "
        # Rows holding only load carry no volume, and maybe a value not reported.
        f"GROUP BY 1, 2 HAVING SUM(volume) <> 0 ORDER BY 1, 2",
        [*key_parameters, *selection.parameters],
    )
    array = _array(rows, 3)
    return BreakdownSums(array[:, 0], array[:, 2:], ("volume",), array[:, 1])


def get_load(scope: LocalScope) -> KeyedSums:
    """
    Return per local key the busy time (`busy_us`) and the highest number in
    progress at any minute of any one bucket (`peak`).

    Where the filter selects rows of several dimension values per bucket, their
    per-minute samples are summed per bucket before the maximum is taken.
    """
    selection = _Selection.of(scope.slice_filter)
    key, key_parameters = _local_key(scope)
    table = TrafficAggregate._meta.db_table
    if selection.one_row_per_bucket:
        rows_of_buckets = (
            f"SELECT bucket_start, busy_us AS busy, {_greatest(SAMPLE_FIELDS)} AS peak "
            f"FROM {table} WHERE {selection.where}"
        )
    else:
        samples = _greatest([f"SUM({name})" for name in SAMPLE_FIELDS])
        rows_of_buckets = (
            f"SELECT bucket_start, SUM(busy_us) AS busy, {samples} AS peak "
            f"FROM {table} WHERE {selection.where} GROUP BY bucket_start"
        )
    rows = _fetch(
        f"SELECT {key}, {_summed('busy')}, MAX(peak) "
        f"FROM ({rows_of_buckets}) AS per_bucket GROUP BY 1 ORDER BY 1",
        [*key_parameters, *selection.parameters],
    )
    array = _array(rows, 3)
    return KeyedSums(array[:, 0], array[:, 1:], ("busy_us", "peak"))


def get_latency_histograms(scope: LocalScope) -> KeyedSums:
    """
    Return per local key the counts in each bin of the wait and the duration
    histograms, a column per bin named as in `models.BIN_FIELDS`.
    """
    names = (*BIN_FIELDS["wait"], *BIN_FIELDS["duration"])
    return _keyed_sums(LatencyHistogram, scope, names)


def get_fill_state() -> FillState:
    """Return the aggregates' fill state (an unsaved blank one before any refresh)."""
    return FillState.objects.filter(pk=1).first() or FillState(pk=1)


@dataclass(frozen=True)
class _Selection:
    """
    The condition selecting a filter's rows from the smallest stored grouping that
    keeps every filtered dimension and `also_keep`, and its parameters.

    It fixes the grouping and every dimension id, and bounds the bucket: the
    equality and range of the unique key index that every read goes through.
    """

    where: str
    parameters: list
    # Whether the filter fixes every kept dimension to one value.
    one_row_per_bucket: bool

    @classmethod
    def of(
        cls, slice_filter: SliceFilter, *, also_keep: Sequence[str] = ()
    ) -> "_Selection":
        filtered = [name for name, ids in slice_filter.dimensions.items() if ids]
        grouping = stored_grouping([*filtered, *also_keep])
        kept = kept_dimensions(grouping)
        clauses, parameters = ["grouping = %s"], [grouping]
        for name in DIMENSIONS:
            if name in filtered:
                ids = [int(pk) for pk in slice_filter.dimensions[name]]
                clauses.append(f"{name} IN ({', '.join(['%s'] * len(ids))})")
                parameters += ids
            elif name not in kept:
                clauses.append(f"{name} = 0")
        clauses += ["bucket_start >= %s", "bucket_start < %s"]
        parameters += [_datetime(slice_filter.start), _datetime(slice_filter.end)]
        single = set(kept) <= set(filtered) and all(
            len(slice_filter.dimensions[name]) == 1 for name in filtered
        )
        return cls(" AND ".join(clauses), parameters, single)


def _keyed_sums(
    model: type[models.Model], scope: LocalScope, names: tuple[str, ...]
) -> KeyedSums:
    """Return the sums of the named columns of an aggregate per local key."""
    selection = _Selection.of(scope.slice_filter)
    key, key_parameters = _local_key(scope)
    sums = ", ".join(_summed(name) for name in names)
    with _grouping_by_hash():
        rows = _fetch(
            f"SELECT {key}, {sums} FROM {model._meta.db_table} "
            f"WHERE {selection.where} GROUP BY 1",
            [*key_parameters, *selection.parameters],
        )
    array = _array(rows, len(names) + 1)
    array = array[np.argsort(array[:, 0])]
    return KeyedSums(array[:, 0], array[:, 1:], names)


@contextmanager
def _grouping_by_hash() -> Iterator[None]:
    """
    Have PostgreSQL group the rows read inside by hashing their keys, not sorting.

    The planner estimates the rows of one series as if the dimension columns were
    independent of the grouping that fixes most of them to 0, and expects a few
    dozen where a year holds 35,040; for so few it sorts them by local key. Hashing
    them into the keys (24 for a day's hours) takes a quarter less time. With sorts
    ruled out every plan that needs one looks costly, which would start a JIT
    compilation longer than the query, so JIT is ruled out with them. Both settings
    last until the end of the transaction, or are restored within an outer one.
    """
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_sort'), current_setting('jit'), "
            "set_config('enable_sort', 'off', true), set_config('jit', 'off', true)"
        )
        sort, jit, _sort, _jit = cursor.fetchone()
        yield
        if nested:
            cursor.execute(
                "SELECT set_config('enable_sort', %s, true), "
                "set_config('jit', %s, true)",
                [sort, jit],
            )


def _local_key(scope: LocalScope) -> tuple[str, list]:
    """Return the SQL of the scope's local key of a row's bucket, and its parameters."""
    key = scope.key
    if not scope.segments:
        # An empty range selects no rows.
        return "0", []
    *earlier, last = scope.segments
    # The offset, plus the key's shift, of the segment the bucket falls in.
    shifts = [key.shift + last.offset_seconds]
    shift = "%s"
    if earlier:
        cases = " ".join("WHEN bucket_start < %s THEN %s" for _segment in earlier)
        shift = f"CASE {cases} ELSE %s END"
        shifts = [
            *(
                value
                for segment in earlier
                for value in (_utc(segment.end_us), key.shift + segment.offset_seconds)
            ),
            *shifts,
        ]
    sql = f"(({_EPOCH_SECONDS[connection.vendor]} + {shift}) / %s)"
    parameters = [*shifts, key.width]
    if key.modulus:
        sql = f"({sql} %% %s)"
        parameters.append(key.modulus)
    if key.base:
        sql = f"({sql} - %s)"
        parameters.append(key.base)
    return sql, parameters


def _summed(name: str) -> str:
    # A measure is NULL where it is zero, and so is the sum of NULLs alone.
    # PostgreSQL sums big integers as numeric; every total fits 64 bits.
    return f"CAST(COALESCE(SUM({name}), 0) AS BIGINT)"


def _greatest(values: Sequence[str]) -> str:
    """Return the SQL of the largest of several values of a row, NULL read as 0."""
    if connection.vendor == "postgresql":
        # GREATEST passes over NULLs, and is NULL only if every value is.
        return f"COALESCE(GREATEST({', '.join(values)}), 0)"
    # SQLite's max() of several values is NULL as soon as one of them is.
    return f"max({', '.join(f'COALESCE({value}, 0)' for value in values)})"


def _fetch(sql: str, parameters: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()


def _array(rows: list[tuple], width: int) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, width)


def _utc(micros: int) -> object:
    return _datetime(from_us(micros))


def _datetime(moment: dt.datetime) -> object:
    return connection.ops.adapt_datetimefield_value(moment)
