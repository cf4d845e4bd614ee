"""
Bulk writes of demo consultations that skip keys already stored.

On PostgreSQL rows are copied into a temporary table and inserted from there with
`ON CONFLICT DO NOTHING` on the idempotency key, which is several times faster than
the ORM's bulk_create for a million rows; both paths fire the table's triggers like
any INSERT. Other databases use bulk_create with ignore_conflicts.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

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
ORM_BATCH_SIZE = 2000
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


@contextmanager
def consultation_writer(*, now: datetime) -> Iterator[Callable[[Chunk], int]]:
    """
    Yield a function that stores a chunk and returns how many rows were new.

    All chunks are written in one transaction: an interrupted run stores nothing.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield partial(_insert_chunk, now=now)
        return

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE_TABLE} ("
            + ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS.items())
            + ")"
        )
        with _foreign_keys_validated_at_end(cursor):
            yield partial(_copy_chunk, cursor, now=now)
        cursor.execute(f"DROP TABLE {STAGE_TABLE}")


@contextmanager
def _foreign_keys_validated_at_end(cursor: CursorWrapper) -> Iterator[None]:
    """
    Drop the consultation table's foreign keys and add them back, validated.

    Checking eight foreign keys row by row costs more than everything else of a
    million-row load; adding a key back checks all rows in one join per key. The
    drop takes an exclusive lock on the table until the transaction ends, which a
    demo load can afford, and a failure rolls the keys back with the data.
    """
    table = Consultation._meta.db_table
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table],
    )
    keys = cursor.fetchall()
    quoted = connection.ops.quote_name
    if keys:
        cursor.execute(
            f"ALTER TABLE {quoted(table)} "
            + ", ".join(f"DROP CONSTRAINT {quoted(name)}" for name, _sql in keys)
        )

    yield

    if keys:
        cursor.execute(
            f"ALTER TABLE {quoted(table)} "
            + ", ".join(f"ADD CONSTRAINT {quoted(name)} {sql}" for name, sql in keys)
        )


def _copy_chunk(cursor: CursorWrapper, chunk: Chunk, *, now: datetime) -> int:
    """Copy the chunk into the stage table and insert the keys not stored yet."""
    columns = [*chunk.times, *chunk.values]
    names = ", ".join(columns)
    times = [_optional(seconds) for seconds in chunk.times.values()]
    with cursor.copy(f"COPY {STAGE_TABLE} ({names}) FROM STDIN") as copy:
        for row in zip(*times, *chunk.values.values(), strict=True):
            copy.write_row(row)

    selected = ", ".join(
        f"to_timestamp({name})" if name in chunk.times else name for name in columns
    )
    table = connection.ops.quote_name(Consultation._meta.db_table)
    cursor.execute(
        f"INSERT INTO {table} (source, {names}, created_at, updated_at) "
        f"SELECT %s, {selected}, %s, %s FROM {STAGE_TABLE} "
        "ON CONFLICT (source, external_id) DO NOTHING",
        [SOURCE, now, now],
    )
    created = cursor.rowcount
    cursor.execute(f"TRUNCATE {STAGE_TABLE}")
    return created


def _insert_chunk(chunk: Chunk, *, now: datetime) -> int:
    """Insert the chunk with executemany and the backend's skip-on-conflict form."""
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
    stamp = ops.adapt_datetimefield_value(now)
    times = [
        [
            None
            if moment < 0
            else ops.adapt_datetimefield_value(datetime.fromtimestamp(moment, UTC))
            for moment in seconds.tolist()
        ]
        for seconds in chunk.times.values()
    ]
    rows = zip(
        [SOURCE] * len(chunk),
        *times,
        *chunk.values.values(),
        [stamp] * len(chunk),
        [stamp] * len(chunk),
        strict=True,
    )

    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))
        return cursor.rowcount
