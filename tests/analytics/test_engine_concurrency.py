"""
Refreshes and rebuild pieces run at the same time, each on its own connection.

Two refreshes must share the change log without applying a change twice; two
workers may run the pieces of one rebuild; and writes landing while a refresh or
a rebuild runs must be counted exactly once.
"""

import datetime as dt
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Coalesce

from analytics.models import ConsultationChange, TrafficAggregate
from analytics.services import (
    rebuild_aggregates,
    refresh_aggregates,
    run_rebuild_pieces,
    start_rebuild,
)
from consultations.models import Consultation

pytestmark = pytest.mark.django_db(transaction=True)

Result = TypeVar("Result")


def at_once(*jobs: Callable[[], Result]) -> list[Result]:
    """Run the jobs in threads released together; return results, raise errors."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], Result]) -> Result:
        try:
            barrier.wait(timeout=10)
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        return [future.result(timeout=120) for future in futures]


def test_refresh_two_at_once_apply_every_change_once(
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given a change log of inserts, updates and deletes
    consultations = create_consultations(1500, days=3)
    Consultation.objects.filter(pk__in=[c.pk for c in consultations[:200]]).update(
        converted=True, satisfaction=5
    )
    Consultation.objects.filter(pk__in=[c.pk for c in consultations[-100:]]).delete()
    logged = ConsultationChange.objects.count()

    # When two refreshes start at once, in small batches
    outcomes = at_once(
        lambda: refresh_aggregates(batch_size=50),
        lambda: refresh_aggregates(batch_size=50),
    )

    # Then they took turns, applied each change once, and match a rebuild
    assert [o.changes_applied > 0 for o in outcomes] == [True, True]
    assert sum(o.changes_applied for o in outcomes) == logged
    refreshed = aggregate_rows()
    rebuild_aggregates()
    assert refreshed == aggregate_rows()
    assert _total_volume() == 1400


def test_rebuild_pieces_two_workers_at_once_equal_one_worker(
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given aggregates rebuilt by one worker, from sessions crossing midnight
    create_consultations(1500, days=6)
    rebuild_aggregates()
    expected = aggregate_rows()

    # When a rebuild is planned and two workers run its pieces at once
    days = start_rebuild()
    ran = at_once(run_rebuild_pieces, run_rebuild_pieces)

    # Then every day ran once and the rows are the same
    assert sum(ran) == len(days) == 6
    assert refresh_aggregates().rebuild_pieces == 0
    assert aggregate_rows() == expected


@pytest.mark.parametrize("job", ["refresh", "rebuild"])
def test_writes_during_job_are_counted_once(
    job: str,
    create_consultations: Callable[..., list[Consultation]],
    dimensions: dict[str, list[int | None]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given stored consultations with logged changes
    create_consultations(1000, days=4)
    if job == "rebuild":
        start_rebuild()

    # When one thread refreshes (or runs the rebuild) while another writes
    stop = threading.Event()

    def keep_refreshing() -> None:
        # A refresh runs the pending rebuild pieces first.
        while not stop.is_set():
            refresh_aggregates(batch_size=20)

    def write() -> None:
        try:
            _write_randomly(dimensions, seed=7)
        finally:
            stop.set()

    at_once(keep_refreshing, write)
    refresh_aggregates()

    # Then the result equals a rebuild made after the writes
    refreshed = aggregate_rows()
    rebuild_aggregates()
    assert refreshed == aggregate_rows()
    assert _total_volume() == Consultation.objects.count()


def _write_randomly(dimensions: dict[str, list[int | None]], *, seed: int) -> None:
    """Update, move, delete and insert consultations, one small transaction each."""
    rng = random.Random(seed)
    ids = list(Consultation.objects.values_list("pk", flat=True))
    rng.shuffle(ids)
    for n, pk in enumerate(ids[:300]):
        rows = Consultation.objects.filter(pk=pk)
        if n % 4 == 0:
            rows.delete()
        elif n % 4 == 1:
            rows.update(started_at=_moved(rows.get().started_at, rng))
        elif n % 4 == 2:
            rows.update(team_id=rng.choice(dimensions["team"]), satisfaction=3)
        else:
            consultation = rows.get()
            consultation.pk = None
            consultation.external_id += "-copy"
            consultation.started_at -= dt.timedelta(days=2)
            consultation.first_response_at = consultation.ended_at = None
            consultation.save()


def _moved(start: dt.datetime, rng: random.Random) -> dt.datetime:
    # Earlier only, so that responses and ends stay after the start.
    return start - dt.timedelta(hours=rng.randrange(1, 48))


def _total_volume() -> int:
    # Rows holding only load have no volume (NULL).
    rows = TrafficAggregate.objects.filter(grouping=0)
    return rows.aggregate(total=Coalesce(Sum("volume"), 0))["total"]
