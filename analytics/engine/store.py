"""
Add grouped deltas to the aggregate tables.

One upsert per table adds each delta to its row (creating missing rows), then rows
left all zero are removed so that incremental refreshes and a full rebuild leave the
same rows behind. Zero measures travel and are stored as NULL (see `models.py`).
PostgreSQL receives the deltas through a binary COPY, encoded by numpy, into a
temporary table, and the upsert returns the rows it left empty; other databases get
a batched INSERT of the same statement and a batched DELETE of the same keys where
they are empty.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection

from ..buckets import from_us
from ..models import (
    KEY_FIELDS,
    LATENCY_MEASURES,
    TRAFFIC_MEASURES,
    LatencyHistogram,
    TrafficAggregate,
)
from .contributions import Deltas

# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
POSTGRES_EPOCH_US = 946_684_800 * 1_000_000
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"
# A field: its length in bytes (-1 for NULL), then the value.
COPY_FIELD = np.dtype([("length", ">i4"), ("value", ">i8")])


@dataclass(frozen=True)
class _Table:
    name: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    # Rows left with no consultation. Every upsert stores each measure of the rows
    # it writes as NULL or non-zero, so a written row never holds a 0.
    empty: str


TRAFFIC = _Table(
    TrafficAggregate._meta.db_table,
    KEY_FIELDS,
    TRAFFIC_MEASURES,
    "volume IS NULL AND busy_us IS NULL",
)
LATENCY = _Table(
    LatencyHistogram._meta.db_table, KEY_FIELDS, LATENCY_MEASURES, "measured IS NULL"
)


def apply_deltas(deltas: Deltas) -> int:
    """Add the deltas to the aggregates; return the number of rows touched."""
    touched = 0
    for table, keys, values in (
        (TRAFFIC, deltas.traffic_keys, deltas.traffic_values),
        (LATENCY, deltas.latency_keys, deltas.latency_values),
    ):
        if len(keys) == 0:
            continue
        if connection.vendor == "postgresql":
            _upsert_by_copy(table, keys, values)
        else:
            _upsert_by_insert(table, keys, values)
        touched += len(keys)
    return touched


def clear_aggregates() -> None:
    """Remove every aggregate row."""
    tables = [TRAFFIC.name, LATENCY.name]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _conflict_clause(table: _Table) -> str:
    # Either side may be NULL for zero: the sum where both are given, else the one
    # that is, and NULL again where the sum comes to zero.
    return f"ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET " + ", ".join(
        f"{m} = NULLIF(COALESCE({table.name}.{m} + EXCLUDED.{m}, "
        f"{table.name}.{m}, EXCLUDED.{m}), 0)"
        for m in table.measures
    )


def _upsert_by_copy(table: _Table, keys: np.ndarray, values: np.ndarray) -> None:
    staging = f"{table.name}_deltas"
    columns = [*table.keys, *table.measures]
    column_list = ", ".join(columns)
    types = ", ".join(
        f"{c} {'timestamptz' if c == 'bucket_start' else 'bigint'}" for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({types}) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(
            f"COPY {staging} ({column_list}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(_binary_rows(table.keys, keys, values))
        # The upsert reports the rows it left empty, so that removing them costs
        # one primary-key lookup each, however large the table.
        cursor.execute(
            f"WITH upserted AS (INSERT INTO {table.name} ({column_list}) "
            f"SELECT {column_list} FROM {staging} {_conflict_clause(table)} "
            f"RETURNING id, {table.empty} AS empty) "
            "SELECT id FROM upserted WHERE empty"
        )
        empty = [row[0] for row in cursor.fetchall()]
        if empty:
            cursor.execute(f"DELETE FROM {table.name} WHERE id = ANY(%s)", [empty])


def _binary_rows(names: Sequence[str], keys: np.ndarray, values: np.ndarray) -> bytes:
    """
    Encode key and measure columns as COPY BINARY rows of 8-byte fields, each zero
    measure as a NULL: a length of -1 with no value after it.
    """
    matrix = np.column_stack([keys, values]).astype(np.int64)
    matrix[:, list(names).index("bucket_start")] -= POSTGRES_EPOCH_US
    count, width = matrix.shape
    null = np.zeros((count, width), dtype=bool)
    null[:, len(names) :] = values == 0

    rows = np.empty(count, dtype=[("count", ">i2"), ("fields", COPY_FIELD, width)])
    rows["count"] = width
    rows["fields"]["length"] = np.where(null, -1, 8)
    rows["fields"]["value"] = matrix
    # Keep every byte but the value bytes of NULL fields, row after row.
    field_bytes = np.ones((count, width, COPY_FIELD.itemsize), dtype=bool)
    field_bytes[null, COPY_FIELD.fields["value"][1] :] = False
    count_bytes = np.ones((count, rows.dtype["count"].itemsize), dtype=bool)
    kept = np.column_stack([count_bytes, field_bytes.reshape(count, -1)])
    encoded = rows.view(np.uint8).reshape(count, -1)[kept]
    return COPY_HEADER + encoded.tobytes() + COPY_TRAILER


def _upsert_by_insert(table: _Table, keys: np.ndarray, values: np.ndarray) -> None:
    columns = [*table.keys, *table.measures]
    placeholders = ", ".join(["%s"] * len(columns))
    rows = list(_rows(table.keys, keys, values))
    same_key = " AND ".join(f"{name} = %s" for name in table.keys)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({placeholders}) {_conflict_clause(table)}",
            rows,
        )
        # Only the rows just touched can have become empty; each is one lookup.
        cursor.executemany(
            f"DELETE FROM {table.name} WHERE {same_key} AND {table.empty}",
            [row[: len(table.keys)] for row in rows],
        )


def _rows(
    keys: Sequence[str], key_values: np.ndarray, measure_values: np.ndarray
) -> Iterator[tuple]:
    bucket_column = list(keys).index("bucket_start")
    # In the database's own format: SQLite compares datetimes as text, so a bucket
    # written otherwise would not equal the same instant written by the ORM.
    adapt = connection.ops.adapt_datetimefield_value
    buckets = {
        int(b): adapt(from_us(int(b))) for b in np.unique(key_values[:, bucket_column])
    }
    for key, measures in zip(key_values.tolist(), measure_values.tolist(), strict=True):
        key[bucket_column] = buckets[key[bucket_column]]
        yield (*key, *(value or None for value in measures))
