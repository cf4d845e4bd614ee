"""
Keep the aggregates current: incremental refreshes and full rebuilds.

A refresh consumes the change log in batches, one transaction per batch, holding the
fill-state row lock so that one runner works at a time; a second runner waits and
then finds nothing left. A rebuild clears the aggregates and recomputes them one UTC
day of consultations at a time; the days are independent pieces that any number of
workers may claim, and a piece reads the consultations and deletes the changes of its
day as of one moment, so that writes landing during a rebuild are counted exactly once.

A refresh's cost follows the changes, but not quite only them: the rows a change
to an old consultation touches lie on pages that a large store keeps outside
memory, and each such page is a read from the disk. Changes to the last week cost
1.17 to 1.29 times as much in ten million consultations as in 100,000; changes
spread over a year cost 1.65 to 2.17 times as much with PostgreSQL's default
buffer pool, and 1.45 to 1.47 times with one that holds the aggregates, where 1.5
is the aim (docs/benchmarks.md). Only a refresh that does not read those pages at
all, for instance one that queues deltas to old buckets for readers to add in and
folds them into the tables later in key order, would not depend on memory; that
is not built.
"""

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Max, Min, Value
from django.utils import timezone

from consultations.models import Consultation

from . import triggers
from .engine.contributions import compute_deltas
from .engine.store import apply_deltas, clear_aggregates
from .models import CHANGE_COLUMNS, ConsultationChange, FillState, RebuildPiece

logger = logging.getLogger(__name__)

PIECE_ATTEMPTS = 5


@dataclass(frozen=True)
class RefreshOutcome:
    changes_applied: int
    rebuild_pieces: int
    milliseconds: int


def refresh_aggregates(*, batch_size: int = 10_000) -> RefreshOutcome:
    """
    Add every logged change to the aggregates and return what was done.

    Missing change triggers are reinstalled and a rebuild planned; an interrupted
    rebuild is finished first. Safe to run concurrently and after a crash: each
    batch is one transaction, under the fill-state lock.
    """
    started = time.monotonic()
    _restore_change_logging()
    pieces = run_rebuild_pieces()
    applied = 0
    while True:
        with transaction.atomic():
            state = _locked_state()
            if state.rebuilding:
                break
            count = _apply_change_batch(batch_size)
            state.changes_applied += count
            if count == 0:
                state.last_refresh_finished_at = timezone.now()
            state.save()
        applied += count
        if count == 0:
            break
    outcome = RefreshOutcome(applied, pieces, _elapsed_ms(started))
    logger.info(
        "refreshed aggregates: %d changes, %d rebuild pieces in %d ms",
        outcome.changes_applied,
        outcome.rebuild_pieces,
        outcome.milliseconds,
        extra={"changes": applied, "pieces": pieces},
    )
    return outcome


def start_rebuild() -> list[dt.date]:
    """
    Clear the aggregates and plan one rebuild piece per UTC day; return the days.

    The pieces must then be run (`run_rebuild_pieces`, or one task per day);
    incremental refreshes finish them before doing anything else.
    """
    with transaction.atomic():
        state = _locked_state()
        clear_aggregates()
        RebuildPiece.objects.all().delete()
        days = _days_to_rebuild()
        RebuildPiece.objects.bulk_create(RebuildPiece(day=day) for day in days)
        state.rebuild_started_at = timezone.now()
        state.rebuild_finished_at = None
        state.save()
    logger.info("rebuild planned: %d days", len(days))
    return days


def rebuild_aggregates(*, batch_size: int = 10_000) -> RefreshOutcome:
    """Recompute every aggregate from the consultations in this process."""
    start_rebuild()
    return refresh_aggregates(batch_size=batch_size)


def run_rebuild_pieces() -> int:
    """Run rebuild pieces until none is left unclaimed; return how many ran."""
    ran = 0
    while run_rebuild_piece():
        ran += 1
    finish_rebuild_if_complete()
    return ran


def run_rebuild_piece(day: dt.date | None = None) -> bool:
    """
    Recompute one pending day (the given one, or any); return False if none was free.

    Pieces being run by other workers are skipped, not waited for.
    """
    for attempt in range(PIECE_ATTEMPTS):
        try:
            return _run_piece_once(day)
        except OperationalError:
            # Pieces add to the same rows where sessions cross midnight and take
            # their row locks in one key order, but a deadlock or a lost
            # connection can still end one; it then starts again a little later.
            if attempt == PIECE_ATTEMPTS - 1:
                raise
            logger.warning("rebuild piece failed, retrying", exc_info=True)
            time.sleep(random.uniform(0.1, 0.5) * (attempt + 1))
    return False


def _run_piece_once(day: dt.date | None) -> bool:
    with transaction.atomic():
        pending = RebuildPiece.objects.select_for_update(skip_locked=True).filter(
            done=False
        )
        if day is not None:
            pending = pending.filter(day=day)
        piece = pending.order_by("day").first()
        if piece is None:
            return False
        since = dt.datetime.combine(piece.day, dt.time(), tzinfo=dt.UTC)
        rows = _take_day(since, since + dt.timedelta(days=1))
        if rows:
            apply_deltas(compute_deltas(rows, max_span_us=_max_span_us()))
        piece.done = True
        piece.save(update_fields=["done"])
    logger.info("rebuilt %s: %d consultations", piece.day, len(rows))
    return True


def _take_day(since: dt.datetime, until: dt.datetime) -> list[tuple]:
    """
    Return the consultations starting in [since, until) as signed rows, and delete
    the logged changes of the same starts, both as of one moment.

    Changes committed after that moment stay logged for the next refresh, and the
    rows read do not show them: each write is counted exactly once.
    """
    if connection.vendor != "postgresql":
        # SQLite has one writer at a time: the read keeps others from committing.
        rows = list(
            Consultation.objects.filter(started_at__gte=since, started_at__lt=until)
            .order_by()
            .values_list(Value(1), *CHANGE_COLUMNS)
        )
        ConsultationChange.objects.filter(
            started_at__gte=since, started_at__lt=until
        ).delete()
        return rows

    # One statement reads with one snapshot, CTE included; the upserts that follow
    # may then run under read committed, where concurrent pieces wait for each
    # other's rows instead of failing to serialize.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH consumed AS (DELETE FROM {ConsultationChange._meta.db_table} "
            "WHERE started_at >= %s AND started_at < %s) "
            f"SELECT 1, {', '.join(CHANGE_COLUMNS)} "
            f"FROM {Consultation._meta.db_table} "
            "WHERE started_at >= %s AND started_at < %s",
            [since, until, since, until],
        )
        return cursor.fetchall()


def finish_rebuild_if_complete() -> None:
    """Mark the rebuild finished once every piece is done."""
    with transaction.atomic():
        state = _locked_state()
        if not state.rebuilding or RebuildPiece.objects.filter(done=False).exists():
            return
        state.rebuild_finished_at = timezone.now()
        state.save()
        RebuildPiece.objects.all().delete()
    logger.info("rebuild finished")


def _restore_change_logging() -> None:
    with transaction.atomic():
        _locked_state()
        missing = triggers.install_missing(connection)
        if not missing:
            return
        # Writes made while a trigger was missing were not logged: only a rebuild
        # can count them.
        logger.error(
            "change triggers were missing (%s): reinstalled, rebuilding",
            ", ".join(missing),
        )
        start_rebuild()


def _apply_change_batch(batch_size: int) -> int:
    batch = list(
        ConsultationChange.objects.order_by("id").values_list(
            "id", "sign", *CHANGE_COLUMNS
        )[:batch_size]
    )
    if not batch:
        return 0
    apply_deltas(compute_deltas([row[1:] for row in batch], max_span_us=_max_span_us()))
    # Delete exactly the rows read: a change committed meanwhile with a lower id
    # was not applied and must stay.
    ConsultationChange.objects.filter(id__in=[row[0] for row in batch]).delete()
    return len(batch)


def _locked_state() -> FillState:
    FillState.objects.bulk_create([FillState(pk=1)], ignore_conflicts=True)
    return FillState.objects.select_for_update().get(pk=1)


def _days_to_rebuild() -> list[dt.date]:
    bounds = [
        model.objects.aggregate(first=Min("started_at"), last=Max("started_at"))
        for model in (Consultation, ConsultationChange)
    ]
    firsts = [b["first"] for b in bounds if b["first"] is not None]
    lasts = [b["last"] for b in bounds if b["last"] is not None]
    if not firsts:
        return []
    first, last = min(firsts).date(), max(lasts).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _max_span_us() -> int:
    return settings.PEAKDESK_CONCURRENCY_MAX_HOURS * 3600 * 1_000_000


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
