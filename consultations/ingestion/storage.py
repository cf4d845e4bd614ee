"""
Read and write consultation rows by their idempotency key, in bulk.

On PostgreSQL the rows of keys that were not stored when the chunk was planned are
copied (binary COPY) straight into the table. Should another run have stored one of
those keys since, the unique index refuses the COPY, which is rolled back to its
savepoint, and the chunk takes the way the other rows take: a binary COPY into a
temporary staging table and one INSERT ... ON CONFLICT (source, external_id) DO
UPDATE from there, which decides by the unique index and raises nothing. Rows go in
key order (code point order, the keys' collation) so that two runs lock overlapping
keys in the same order and cannot deadlock. Both statements fire the table's
triggers like any other INSERT. Other databases (SQLite for the demo) use the ORM's
bulk_create with update_conflicts.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime
from operator import itemgetter
from typing import Any

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from ..models import Consultation
from .queries import array_literal
from .reading import Key
from .rows import ROW_COLUMNS, Row

STAGE_TABLE = "consultations_ingest_stage"
KEY_COLUMNS = ("source", "external_id")
KEY_CONSTRAINT = "consultation_idempotency_key"
WRITE_COLUMNS = KEY_COLUMNS + ROW_COLUMNS
STAMP_COLUMNS = ("created_at", "updated_at")
# Binary COPY needs the PostgreSQL type of every column, in WRITE_COLUMNS order.
COPY_TYPES = (
    ("text", "text")
    + ("timestamptz",) * 3
    + ("text",)
    + ("int8",) * 8
    + ("bool", "int2", "bool", "int4")
)
PORTABLE_BATCH_SIZE = 500
_SOURCE, _EXTERNAL_ID = itemgetter(0), itemgetter(1)


def fetch_stored(keys: Iterable[Key]) -> dict[Key, Row]:
    """Return the stored rows of `keys` (those that exist)."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    if connection.vendor == "postgresql":
        return _fetch_postgresql(by_source)

    stored: dict[Key, Row] = {}
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), PORTABLE_BATCH_SIZE):
            found = Consultation.objects.filter(
                source=source,
                external_id__in=external_ids[start : start + PORTABLE_BATCH_SIZE],
            )
            for external_id, *row in found.order_by().values_list(
                "external_id", *ROW_COLUMNS
            ):
                stored[(source, external_id)] = tuple(row)
    return stored


def _fetch_postgresql(by_source: dict[str, list[str]]) -> dict[Key, Row]:
    # One index lookup per key, whatever the planner believes of the table: with
    # `external_id = ANY(...)` it may, its statistics lagging behind a table that
    # grows fast, scan every row of the source and test it against the list. A
    # plain psycopg cursor, because binary results load timestamps in C, some
    # twenty times faster than the text loader Django installs.
    sql = (
        f"SELECT key.external_id, {', '.join(f'row.{c}' for c in ROW_COLUMNS)} "
        f"FROM unnest(%s::text[]) AS key (external_id) "
        f"CROSS JOIN LATERAL (SELECT * FROM {Consultation._meta.db_table} stored "
        f"WHERE stored.source = %s AND stored.external_id = key.external_id "
        f"LIMIT 1) AS row"
    )
    stored: dict[Key, Row] = {}
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        for source, external_ids in by_source.items():
            cursor.execute(
                sql, (array_literal(external_ids), source), binary=True, prepare=False
            )
            for external_id, *values in cursor:
                stored[(source, external_id)] = tuple(values)
    return stored


def write_rows(rows: dict[Key, Row], *, new_keys: set[Key]) -> tuple[int, int]:
    """
    Insert or update `rows` by key; return how many were inserted and updated.

    `new_keys` are the keys that were not stored when the rows were planned. On
    PostgreSQL the counts are what the statements did: a key that a concurrent
    run inserted meanwhile counts as updated, or as neither when that run stored
    identical values. Call inside a transaction.
    """
    if not rows:
        return 0, 0
    if connection.vendor == "postgresql":
        return _write_postgresql(rows, new_keys)
    _write_portable(rows)
    return len(new_keys), len(rows) - len(new_keys)


def _write_postgresql(rows: dict[Key, Row], new_keys: set[Key]) -> tuple[int, int]:
    # The application's clock, as for every other write of these columns.
    now = timezone.now()
    if new_keys:
        try:
            with transaction.atomic():
                _copy_new(rows, in_lock_order(new_keys), now)
        except psycopg.errors.UniqueViolation as error:
            # Django wraps the errors of execute(), not those of copy().
            if error.diag.constraint_name != KEY_CONSTRAINT:
                raise
            return _upsert(rows, in_lock_order(rows), now)
    stored_keys = in_lock_order(rows.keys() - new_keys)
    if not stored_keys:
        return len(new_keys), 0
    inserted, updated = _upsert(rows, stored_keys, now)
    return len(new_keys) + inserted, updated


def in_lock_order(keys: Collection[Key]) -> list[Key]:
    """Return `keys` by source, then external id, as the upsert's ORDER BY has them."""
    # Two sorts of strings are cheaper than one of tuples: the second, by source,
    # finds long runs of equal sources and keeps the external ids in order.
    ordered = sorted(keys, key=_EXTERNAL_ID)
    ordered.sort(key=_SOURCE)
    return ordered


def _copy_new(rows: dict[Key, Row], keys: list[Key], now: datetime) -> None:
    stamps = (now, now)
    with connection.cursor() as cursor:
        _copy(
            cursor,
            Consultation._meta.db_table,
            WRITE_COLUMNS + STAMP_COLUMNS,
            COPY_TYPES + ("timestamptz",) * len(stamps),
            (key + rows[key] + stamps for key in keys),
        )


def _upsert(rows: dict[Key, Row], keys: list[Key], now: datetime) -> tuple[int, int]:
    columns = ", ".join(WRITE_COLUMNS)
    with connection.cursor() as cursor:
        # The table lives as long as the connection; each chunk empties it first
        # because chunks inside one outer transaction never reach ON COMMIT.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} "
            f"ON COMMIT DELETE ROWS AS SELECT {columns} "
            f"FROM {Consultation._meta.db_table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {STAGE_TABLE}")
        _copy(
            cursor,
            STAGE_TABLE,
            WRITE_COLUMNS,
            COPY_TYPES,
            (key + rows[key] for key in keys),
        )
        cursor.execute(UPSERT_SQL, {"now": now})
        inserted, updated = cursor.fetchone()
    return inserted, updated


def _copy(
    cursor: Any,
    table: str,
    columns: tuple[str, ...],
    types: tuple[str, ...],
    values: Iterable[tuple[Any, ...]],
) -> None:
    """Copy `values` (binary COPY) into `columns` of `table`."""
    with cursor.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(types)
        for row in values:
            copy.write_row(row)


def _upsert_sql() -> str:
    table = Consultation._meta.db_table
    columns = ", ".join(WRITE_COLUMNS)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in ROW_COLUMNS)
    current = ", ".join(f"{table}.{c}" for c in ROW_COLUMNS)
    incoming = ", ".join(f"EXCLUDED.{c}" for c in ROW_COLUMNS)
    # xmax is 0 exactly on the row versions this statement inserted; an update
    # leaves the id of the locking transaction there.
    return (
        f"WITH written AS ("
        f"INSERT INTO {table} ({columns}, {', '.join(STAMP_COLUMNS)}) "
        f"SELECT {columns}, %(now)s, %(now)s FROM {STAGE_TABLE} "
        f"ORDER BY source, external_id "
        f"ON CONFLICT (source, external_id) DO UPDATE SET {assignments}, "
        f"updated_at = EXCLUDED.updated_at "
        f"WHERE ({current}) IS DISTINCT FROM ({incoming}) "
        f"RETURNING xmax = 0 AS inserted) "
        f"SELECT count(*) FILTER (WHERE inserted), "
        f"count(*) FILTER (WHERE NOT inserted) FROM written"
    )


UPSERT_SQL = _upsert_sql()


def _write_portable(rows: dict[Key, Row]) -> None:
    Consultation.objects.bulk_create(
        [
            Consultation(
                source=key[0],
                external_id=key[1],
                **dict(zip(ROW_COLUMNS, rows[key], strict=True)),
            )
            for key in sorted(rows)
        ],
        batch_size=PORTABLE_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=KEY_COLUMNS,
        update_fields=(*ROW_COLUMNS, "updated_at"),
    )
