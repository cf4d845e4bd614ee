"""
Add grouped deltas to the aggregate tables.

One upsert per table adds each delta to its row (creating missing rows), then rows
left all zero are removed so that incremental refreshes and a full rebuild leave the
same rows behind. PostgreSQL receives the deltas through COPY into a temporary table;
other databases through a batched INSERT of the same statement.
"""

from collections.abc import Iterator, Sequence

import numpy as np
from django.db import connection

from ..buckets import from_us
from ..models import (
    KEY_FIELDS,
    LATENCY_KEY_FIELDS,
    TRAFFIC_MEASURES,
    LatencyBin,
    TrafficAggregate,
)
from .contributions import Deltas


def apply_deltas(deltas: Deltas) -> int:
    """Add the deltas to the aggregates; return the number of rows touched."""
    traffic = _upsert(
        TrafficAggregate._meta.db_table,
        KEY_FIELDS,
        TRAFFIC_MEASURES,
        deltas.traffic_keys,
        deltas.traffic_values,
    )
    latency = _upsert(
        LatencyBin._meta.db_table,
        LATENCY_KEY_FIELDS,
        ("count",),
        deltas.latency_keys,
        deltas.latency_values,
    )
    _delete_empty_rows()
    return traffic + latency


def clear_aggregates() -> None:
    """Remove every aggregate row."""
    tables = [TrafficAggregate._meta.db_table, LatencyBin._meta.db_table]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _delete_empty_rows() -> None:
    # Both conditions match the partial indexes declared on the models.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TrafficAggregate._meta.db_table} "
            "WHERE volume = 0 AND busy_us = 0"
        )
        cursor.execute(f"DELETE FROM {LatencyBin._meta.db_table} WHERE count = 0")


def _upsert(
    table: str,
    keys: Sequence[str],
    measures: Sequence[str],
    key_values: np.ndarray,
    measure_values: np.ndarray,
) -> int:
    if len(key_values) == 0:
        return 0
    columns = [*keys, *measures]
    rows = _rows(keys, key_values, measure_values)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(
        f"{m} = {table}.{m} + EXCLUDED.{m}" for m in measures
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _upsert_by_copy(cursor, table, columns, rows, conflict)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({placeholders}) {conflict}",
                list(rows),
            )
    return len(key_values)


def _upsert_by_copy(cursor, table: str, columns, rows, conflict: str) -> None:
    staging = f"{table}_delta"
    column_list = ", ".join(columns)
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "
        f"AS SELECT {column_list} FROM {table} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {staging}")
    with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table} ({column_list}) "
        f"SELECT {column_list} FROM {staging} {conflict}"
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
        yield (*key, *measures)
