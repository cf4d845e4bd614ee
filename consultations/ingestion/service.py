"""
The one way consultations get into the database, whatever the entry point.

Records go in chunks: parse, look up what they refer to and what is stored under
their keys, merge, create missing references, write. On PostgreSQL, outside a
transaction, the write of one chunk runs on a second connection while the next chunk
is being prepared, so that the database and Python work at the same time; the rows of
the chunk in flight stand in for what is stored until it commits.
"""

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from itertools import chain, islice
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from .fields import max_future_minutes
from .merging import Plan, plan_chunk
from .reading import ChunkReader, Key
from .references import References
from .results import IngestResult, Rejection
from .rows import Row
from .storage import fetch_stored, write_rows

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5_000


def ingest(
    records: Iterable[Mapping[str, Any]],
    *,
    allow_new_dimensions: bool,
    naive_timezone: tzinfo | None = None,
    start_index: int = 0,
) -> IngestResult:
    """
    Validate `records` and upsert the valid ones by (source, external_id).

    Each record is a mapping of record keys (see `records.RECORD_KEYS`); a key it
    does not carry keeps the stored value (the default for a new consultation), a
    key given as null or "" clears it. Unknown dimension codes and agents are
    created on first use when `allow_new_dimensions`, rejected otherwise; customers
    are always created. Naive date-times are read in `naive_timezone`, or rejected
    without it. Rejections carry `start_index` plus the record's position.

    Nothing is raised for bad records; database errors propagate. See
    `ingest_chunks` for how the work is divided into transactions.
    """
    result = IngestResult()
    for chunk_result in ingest_chunks(
        records,
        allow_new_dimensions=allow_new_dimensions,
        naive_timezone=naive_timezone,
        start_index=start_index,
    ):
        result.add(chunk_result)
    return result


def ingest_chunks(
    records: Iterable[Mapping[str, Any]],
    *,
    allow_new_dimensions: bool,
    naive_timezone: tzinfo | None = None,
    start_index: int = 0,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[IngestResult]:
    """
    Ingest `records` like `ingest`, yielding the result of each chunk in order.

    Chunk k holds records k * chunk_size up to the next chunk; its result is
    yielded once it is committed, so a caller can report progress and let go of
    the chunk's records. Each chunk is one transaction (a savepoint inside an outer
    transaction). The references a chunk creates are committed before its rows
    when it runs outside a transaction on PostgreSQL, where writes are pipelined.
    """
    reader = ChunkReader(
        naive_timezone=naive_timezone,
        latest=timezone.now() + timedelta(minutes=max_future_minutes()),
    )
    references = References(allow_new_dimensions=allow_new_dimensions)
    chunks = _chunks(records, start_index, chunk_size)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # A single chunk (an API request) is not worth a second connection.
        first, second = next(chunks, None), next(chunks, None)
        if second is not None:
            yield from _pipelined(chain([first, second], chunks), reader, references)
            return
        chunks = iter([first] if first is not None else [])

    for first_index, chunk in chunks:
        with transaction.atomic():
            prepared = _prepare(chunk, first_index, reader, references, {})
            written = write_rows(prepared.plan.rows, new_keys=prepared.plan.new_keys)
        yield prepared.finish(*written)


@dataclass(slots=True)
class PreparedChunk:
    """A chunk planned and ready to write, with what its result needs."""

    plan: Plan
    size: int
    rejected: list[Rejection]
    started: float

    def finish(self, inserted: int, updated: int) -> IngestResult:
        """Return the chunk's result, given what its write did."""
        plan = self.plan
        result = plan.result
        result.rejected = sorted(self.rejected + result.rejected, key=_index)
        _count_concurrent_writes(
            result, len(plan.new_keys), len(plan.rows), inserted, updated
        )
        logger.debug(
            "ingested %d records in %d ms: %d created, %d updated, %d unchanged, "
            "%d rejected",
            self.size,
            (time.monotonic() - self.started) * 1000,
            result.created,
            result.updated,
            result.unchanged,
            len(result.rejected),
        )
        return result


def _pipelined(
    chunks: Iterator[tuple[int, list[Mapping[str, Any]]]],
    reader: ChunkReader,
    references: References,
) -> Iterator[IngestResult]:
    # At most one chunk is in flight: it is waited for before the next one is
    # handed over, so every earlier chunk is committed when a chunk is prepared.
    in_flight: tuple[PreparedChunk, Future[tuple[int, int]]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest") as writer:
        try:
            for first_index, chunk in chunks:
                unwritten = in_flight[0].plan.rows if in_flight else {}
                prepared = _prepare(chunk, first_index, reader, references, unwritten)
                if in_flight is not None:
                    yield in_flight[0].finish(*in_flight[1].result())
                in_flight = (prepared, writer.submit(_write, prepared.plan))
            if in_flight is not None:
                yield in_flight[0].finish(*in_flight[1].result())
        finally:
            writer.submit(connections.close_all).result()


def _write(plan: Plan) -> tuple[int, int]:
    with transaction.atomic():
        return write_rows(plan.rows, new_keys=plan.new_keys)


def _prepare(
    chunk: list[Mapping[str, Any]],
    first_index: int,
    reader: ChunkReader,
    references: References,
    unwritten: dict[Key, Row],
) -> PreparedChunk:
    """Parse, merge and plan a chunk, `unwritten` standing in for stored rows."""
    started = time.monotonic()
    parsed, rejected = reader.read(chunk, first_index)
    keys = set(parsed.keys)
    stored = fetch_stored(keys)
    stored.update((key, unwritten[key]) for key in keys & unwritten.keys())
    references.look_up(parsed, stored)
    plan = plan_chunk(parsed, stored, references)
    references.create_pending(plan.rows)
    references.store_countries()
    return PreparedChunk(plan, len(chunk), rejected, started)


def _chunks(
    records: Iterable[Mapping[str, Any]], start_index: int, size: int
) -> Iterator[tuple[int, list[Mapping[str, Any]]]]:
    iterator = iter(records)
    first_index = start_index
    while chunk := list(islice(iterator, size)):
        yield first_index, chunk
        first_index += len(chunk)


def _index(rejection: Rejection) -> int:
    return rejection.index


def _count_concurrent_writes(
    result: IngestResult, new_keys: int, written: int, inserted: int, updated: int
) -> None:
    # Without a concurrent run the statement inserts the planned new keys and
    # updates the rest. A key another run inserted after the plan was made turns
    # an insert into an update (or into nothing, when that run stored the same
    # values): move those records to their real outcome.
    lost_inserts = new_keys - inserted
    lost_updates = (written - new_keys) + lost_inserts - updated
    result.created -= lost_inserts
    result.updated += lost_inserts - lost_updates
    result.unchanged += lost_updates
