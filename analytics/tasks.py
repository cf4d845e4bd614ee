"""Celery entry points for keeping the aggregates current."""

import datetime as dt

from celery import group, shared_task

from . import services

REFRESH_TIME_LIMIT = 240
# Planning clears the aggregates and lists the days: quick unless a long report
# query holds the tables. A piece is one day: about 10 s for 30,000 consultations.
PLAN_TIME_LIMIT = 120
PIECE_TIME_LIMIT = 900


@shared_task(
    name="analytics.refresh_aggregates",
    acks_late=True,
    autoretry_for=(services.OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=REFRESH_TIME_LIMIT,
    time_limit=REFRESH_TIME_LIMIT + 30,
)
def refresh_aggregates_task() -> int:
    """Apply every pending change to the aggregates; return how many were applied.

    Idempotent and safe when redelivered after a worker died: each batch is one
    transaction under the fill-state lock.
    """
    return services.refresh_aggregates().changes_applied


@shared_task(
    name="analytics.rebuild_aggregates",
    acks_late=True,
    soft_time_limit=PLAN_TIME_LIMIT,
    time_limit=PLAN_TIME_LIMIT + 30,
)
def rebuild_aggregates_task() -> int:
    """Plan a full rebuild and hand each day to a worker; return the number of days."""
    days = services.start_rebuild()
    group(rebuild_piece_task.s(day.isoformat()) for day in days).apply_async()
    return len(days)


@shared_task(
    name="analytics.rebuild_piece",
    acks_late=True,
    autoretry_for=(services.OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=PIECE_TIME_LIMIT,
    time_limit=PIECE_TIME_LIMIT + 30,
)
def rebuild_piece_task(day: str) -> bool:
    """Recompute one UTC day of a rebuild; return False if it was already done."""
    ran = services.run_rebuild_piece(dt.date.fromisoformat(day))
    services.finish_rebuild_if_complete()
    return ran
