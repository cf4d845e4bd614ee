"""The one way consultations get into the database, whatever the entry point."""

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta, tzinfo
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import timezone

from .fields import FieldError, max_future_minutes
from .merging import plan_chunk
from .reading import ParsedRecord, RecordReader
from .references import References
from .results import IngestResult, Rejection
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

    Each record is a mapping of record keys (see `reading.RecordReader`); a key it
    does not carry keeps the stored value (the default for a new consultation), a
    key given as null or "" clears it. Unknown dimension codes and agents are
    created on first use when `allow_new_dimensions`, rejected otherwise; customers
    are always created. Naive date-times are read in `naive_timezone`, or rejected
    without it. Rejections carry `start_index` plus the record's position.

    Records are processed in chunks of CHUNK_SIZE, each in its own transaction
    (or savepoint, inside an outer transaction). Nothing is raised for bad
    records; database errors propagate.
    """
    reader = RecordReader(
        naive_timezone=naive_timezone,
        latest=timezone.now() + timedelta(minutes=max_future_minutes()),
    )
    references = References(allow_new_dimensions=allow_new_dimensions)
    result = IngestResult()
    for first_index, chunk in _chunks(records, start_index):
        result.add(_ingest_chunk(chunk, first_index, reader, references))
    return result


def _chunks(
    records: Iterable[Mapping[str, Any]], start_index: int
) -> Iterator[tuple[int, list[Mapping[str, Any]]]]:
    iterator = iter(records)
    first_index = start_index
    while chunk := list(islice(iterator, CHUNK_SIZE)):
        yield first_index, chunk
        first_index += len(chunk)


def _ingest_chunk(
    chunk: list[Mapping[str, Any]],
    first_index: int,
    reader: RecordReader,
    references: References,
) -> IngestResult:
    started = time.monotonic()
    parsed, rejected = _read(chunk, first_index, reader)

    with transaction.atomic():
        stored = fetch_stored({record.key for record in parsed})
        references.look_up(parsed, stored)
        plan = plan_chunk(parsed, stored, references)
        references.create_pending(plan.rows.values())
        references.store_countries()
        inserted, updated = write_rows(plan.rows, new_keys=plan.new_keys)

    result = plan.result
    result.rejected = sorted(rejected + result.rejected, key=lambda r: r.index)
    _count_concurrent_writes(result, plan.new_keys, len(plan.rows), inserted, updated)
    logger.debug(
        "ingested %d records in %d ms: %d created, %d updated, %d unchanged, "
        "%d rejected",
        len(chunk),
        (time.monotonic() - started) * 1000,
        result.created,
        result.updated,
        result.unchanged,
        len(result.rejected),
    )
    return result


def _read(
    chunk: list[Mapping[str, Any]], first_index: int, reader: RecordReader
) -> tuple[list[ParsedRecord], list[Rejection]]:
    parsed: list[ParsedRecord] = []
    rejected: list[Rejection] = []
    for index, record in enumerate(chunk, first_index):
        try:
            parsed.append(reader.read(record, index))
        except FieldError as error:
            rejected.append(Rejection(index, error.field or "record", error.reason))
    return parsed, rejected


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
