"""
Bulk writes of demo consultations that skip keys already stored.

On PostgreSQL rows are copied into a temporary table and inserted from there with
`ON CONFLICT DO NOTHING` on the idempotency key. Other databases get one
executemany of the backend's conflict-skipping INSERT. Both are plain INSERTs for the
consultation table, so its triggers fire as for any other write, and both skip the
ORM's per-object work, which costs more than the database does at a million rows.
"""

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models.constants import OnConflict

from ..models import Consultation
from .catalogue import SOURCE
from .dimensions import Lookup
from .records import Records

STAGE_TABLE = "demo_consultation_stage"
# Times travel as epoch seconds and become timestamps in the database.
STAGE_COLUMNS = {
    "started_at": "bigint",
    "first_response_at": "bigint",
    "ended_at": "bigint",
    "external_id": "varchar(128)",
    "customer_timezone": "varchar(64)",
    "channel_id": "bigint",
    "consultation_type_id": "bigint",
    "business_line_id": "bigint",
    "product_category_id": "bigint",
    "customer_tier_id": "bigint",
    "customer_id": "bigint",
    "agent_id": "bigint",
    "team_id": "bigint",
    "converted": "boolean",
    "satisfaction": "smallint",
    "abandoned": "boolean",
    "message_count": "integer",
}
TIMESTAMP_FIELDS = ("started_at", "first_response_at", "ended_at")


@dataclass(frozen=True)
class Chunk:
    """Consultations ready to write: epoch seconds (-1 for none) and field values."""

    times: dict[str, np.ndarray]
    values: dict[str, list]

    def __len__(self) -> int:
        return len(self.values["external_id"])


def to_chunk(parts: list[tuple[Records, list[str]]], lookup: Lookup) -> Chunk:
    """Join days of records with their external ids and resolve foreign keys."""
    column = {
        name: np.concatenate([getattr(records, name) for records, _ids in parts])
        for name in Records.__dataclass_fields__
        if name != "customer_timezone"
    }
    return Chunk(
        times={name: column[name] for name in TIMESTAMP_FIELDS},
        values={
            "external_id": [key for _records, ids in parts for key in ids],
            "customer_timezone": [
                zone for records, _ids in parts for zone in records.customer_timezone
            ],
            "channel_id": _keys(lookup.channel, column["channel"]),
            "consultation_type_id": _keys(
                lookup.consultation_type, column["consultation_type"]
            ),
            "business_line_id": _keys(lookup.business_line, column["business_line"]),
            "product_category_id": _keys(
                lookup.product_category, column["product_category"]
            ),
            "customer_tier_id": _keys(lookup.customer_tier, column["customer_tier"]),
            "customer_id": _keys(lookup.customer, column["customer"]),
            "agent_id": _keys(lookup.agent, column["agent"]),
            "team_id": _keys(lookup.team, column["team"]),
            "converted": column["converted"].tolist(),
            "satisfaction": _optional(column["satisfaction"], empty=0),
            "abandoned": column["abandoned"].tolist(),
            "message_count": column["message_count"].tolist(),
        },
    )


def _keys(keys: np.ndarray, positions: np.ndarray) -> list:
    """Return the primary key at each position, None where the position is -1."""
    return _optional(np.where(positions >= 0, keys[np.maximum(positions, 0)], -1))


def _optional(values: np.ndarray, *, empty: int = -1) -> list:
    boxed = values.astype(object)
    boxed[values == empty] = None
    return boxed.tolist()


class Writer(Protocol):
    created: int

    def write(self, chunk: Chunk) -> None: ...


@contextmanager
def consultation_writer(*, now: datetime) -> Iterator[Writer]:
    """
    Yield a writer of chunks; its `created` counts the rows that were new.

    All chunks are written in one transaction: an interrupted run stores nothing.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield InsertWriter(now=now)
        return

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE_TABLE} ("
            + ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS.items())
            + ")"
        )
        writer = CopyWriter(cursor, now=now)
        try:
            yield writer
        finally:
            writer.close()
        cursor.execute(f"DROP TABLE {STAGE_TABLE}")


class CopyWriter:
    """
    Copy each chunk into the stage table, then insert it in the background.

    The database inserts a chunk while the caller draws the next one, which keeps
    both cores of a small machine busy. The background thread uses the connection
    only between a copy and the next call, never at the same time as the caller.
    """

    def __init__(self, cursor: CursorWrapper, *, now: datetime) -> None:
        self.created = 0
        self._cursor = cursor
        self._now = now
        self._executor = ThreadPoolExecutor(max_workers=1)
        self._pending: Future[int] | None = None

    def write(self, chunk: Chunk) -> None:
        """Wait for the previous insert, copy the chunk and start its insert."""
        self.finish()
        columns = [*chunk.times, *chunk.values]
        times = [_optional(seconds) for seconds in chunk.times.values()]
        with self._cursor.copy(
            f"COPY {STAGE_TABLE} ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in zip(*times, *chunk.values.values(), strict=True):
                copy.write_row(row)
        keys = chunk.values["external_id"]
        self._pending = self._executor.submit(
            self._insert, columns, (min(keys), max(keys))
        )

    def finish(self) -> None:
        """Wait for the running insert, if any, and count its rows."""
        if self._pending is None:
            return
        pending, self._pending = self._pending, None
        self.created += pending.result()

    def close(self) -> None:
        """Wait for the running insert and stop the background thread."""
        try:
            self.finish()
        finally:
            self._executor.shutdown()

    def _insert(self, columns: list[str], key_range: tuple[str, str]) -> int:
        # The raw cursor: Django's wrapper belongs to the thread that opened it.
        cursor = self._cursor.cursor
        table = connection.ops.quote_name(Consultation._meta.db_table)

        # Resolving conflicts row by row costs a fifth of the insert; one probe of
        # the key index tells whether any row of the chunk can conflict at all. A
        # concurrent run storing the same keys makes the plain insert fail, never
        # duplicate.
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE source = %s "
            "AND external_id BETWEEN %s AND %s)",
            [SOURCE, *key_range],
        )
        (stored,) = cursor.fetchone()
        selected = ", ".join(
            f"to_timestamp({name})" if name in TIMESTAMP_FIELDS else name
            for name in columns
        )
        cursor.execute(
            f"INSERT INTO {table} (source, {', '.join(columns)}, created_at, "
            f"updated_at) SELECT %s, {selected}, %s, %s FROM {STAGE_TABLE} "
            + ("ON CONFLICT (source, external_id) DO NOTHING" if stored else ""),
            [SOURCE, self._now, self._now],
        )
        created = cursor.rowcount
        cursor.execute(f"TRUNCATE {STAGE_TABLE}")
        return created


class InsertWriter:
    """Insert each chunk with one executemany that skips keys already stored."""

    def __init__(self, *, now: datetime) -> None:
        self.created = 0
        self._stamp = connection.ops.adapt_datetimefield_value(now)

    def write(self, chunk: Chunk) -> None:
        """Insert the chunk; the backend's conflict clause skips existing keys."""
        ops = connection.ops
        names = ["source", *chunk.times, *chunk.values, "created_at", "updated_at"]
        fields = [Consultation._meta.get_field(name) for name in names]
        columns = ", ".join(ops.quote_name(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = (
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} "
            f"{ops.quote_name(Consultation._meta.db_table)} ({columns}) "
            f"VALUES ({placeholders}) "
            + ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
        )
        times = [self._adapted(seconds) for seconds in chunk.times.values()]
        constant = [[SOURCE] * len(chunk)]
        stamps = [[self._stamp] * len(chunk)] * 2
        rows = zip(*constant, *times, *chunk.values.values(), *stamps, strict=True)

        with connection.cursor() as cursor:
            cursor.executemany(sql, list(rows))
            self.created += cursor.rowcount

    def _adapted(self, seconds: np.ndarray) -> list:
        adapt = connection.ops.adapt_datetimefield_value
        return [
            None if moment < 0 else adapt(datetime.fromtimestamp(moment, UTC))
            for moment in seconds.tolist()
        ]
