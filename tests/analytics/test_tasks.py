"""
The Celery entry points: the beat schedule, the tasks run in this process, and the
same tasks executed by a real `celery worker` process on Redis.
"""

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db.models import Sum

from analytics.models import (
    ConsultationChange,
    FillState,
    RebuildPiece,
    TrafficAggregate,
)
from analytics.services import rebuild_aggregates, refresh_aggregates
from analytics.tasks import (
    rebuild_aggregates_task,
    rebuild_piece_task,
    refresh_aggregates_task,
)
from config.celery import app
from consultations.models import Consultation
from tests.conftest import EPOCH, CeleryWorker, wait_for

WORKER_SECONDS = 120


def test_beat_schedule_refreshes_every_five_minutes() -> None:
    # Given the default settings (no PEAKDESK_REFRESH_SECONDS)
    assert settings.PEAKDESK_REFRESH_SECONDS == 300

    # When Celery reads its beat schedule and discovers the tasks
    schedule = app.conf.beat_schedule
    names = {name for name in app.tasks if name.startswith("analytics.")}

    # Then the refresh runs every 300 s and a late run expires at the next one
    assert schedule == {
        "refresh-aggregates": {
            "task": "analytics.refresh_aggregates",
            "schedule": 300,
            "options": {"expires": 300},
        }
    }
    assert names == {
        "analytics.refresh_aggregates",
        "analytics.rebuild_aggregates",
        "analytics.rebuild_piece",
    }


def test_beat_schedule_follows_refresh_seconds_setting() -> None:
    # Given PEAKDESK_REFRESH_SECONDS=60 in a fresh process
    env = {**os.environ, "PEAKDESK_REFRESH_SECONDS": "60"}
    code = (
        "from config.celery import app; "
        "print(app.conf.beat_schedule['refresh-aggregates'])"
    )

    # When it reads the beat schedule
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # Then the refresh runs every minute
    assert result.stdout.strip() == (
        "{'task': 'analytics.refresh_aggregates', 'schedule': 60, "
        "'options': {'expires': 60}}"
    ), result.stderr


@pytest.mark.django_db
def test_refresh_task_twice_applies_changes_once(
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given logged inserts
    create_consultations(50)

    # When the refresh task runs twice in this process
    first = refresh_aggregates_task.apply().get()
    after_first = aggregate_rows()
    second = refresh_aggregates_task.apply().get()

    # Then the first applied them all and the second nothing
    assert (first, second) == (50, 0)
    assert aggregate_rows() == after_first
    assert _total_volume() == 50


@pytest.mark.django_db
def test_rebuild_task_in_process_runs_every_day_once(
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given refreshed aggregates of two days, and tasks run in this process
    create_consultations(60, days=2)
    refresh_aggregates()
    expected = aggregate_rows()
    monkeypatch.setitem(app.conf, "task_always_eager", True)

    # When the rebuild task runs, then a piece task for a day already done
    days = rebuild_aggregates_task.apply().get()
    again = rebuild_piece_task.apply(args=[EPOCH.date().isoformat()]).get()

    # Then both days were rebuilt, the repeat did nothing, and no row changed
    assert (days, again) == (2, False)
    assert not FillState.objects.get().rebuilding
    assert aggregate_rows() == expected


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_refresh_task(
    celery_worker: CeleryWorker,
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given logged inserts and empty aggregates
    create_consultations(200)
    assert aggregate_rows() == {"traffic": [], "latency": []}

    # When the refresh task is sent to the worker
    celery_worker.client.send_task("analytics.refresh_aggregates")

    # Then the worker applies every change, as a rebuild would
    wait_for(
        lambda: not ConsultationChange.objects.exists(),
        seconds=WORKER_SECONDS,
        what=f"the worker to refresh; its log:\n{celery_worker.log()}",
    )
    wait_for(
        lambda: FillState.objects.filter(changes_applied=200).exists(),
        seconds=WORKER_SECONDS,
        what="the refresh to commit its fill state",
    )
    refreshed = aggregate_rows()
    rebuild_aggregates()
    assert refreshed == aggregate_rows()
    assert "Task analytics.refresh_aggregates[" in celery_worker.log()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_rebuild_task_one_day_per_piece_task(
    celery_worker: CeleryWorker,
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given refreshed aggregates of four days of consultations
    create_consultations(400, days=4)
    refresh_aggregates()
    expected = aggregate_rows()
    pieces_before = _succeeded(celery_worker, "analytics.rebuild_piece")

    # When the rebuild task is sent to the worker
    celery_worker.client.send_task("analytics.rebuild_aggregates")

    # Then the worker runs one piece task per day and finishes with the same rows
    wait_for(
        lambda: FillState.objects.filter(rebuild_finished_at__isnull=False).exists(),
        seconds=WORKER_SECONDS,
        what=f"the worker to rebuild; its log:\n{celery_worker.log()}",
    )
    assert not RebuildPiece.objects.exists()
    assert aggregate_rows() == expected
    wait_for(
        lambda: (
            _succeeded(celery_worker, "analytics.rebuild_piece") == pieces_before + 4
        ),
        seconds=10,
        what=f"four piece tasks in the log:\n{celery_worker.log()}",
    )


def _succeeded(worker: CeleryWorker, task: str) -> int:
    lines = worker.log().splitlines()
    return sum(f"Task {task}[" in line and "succeeded" in line for line in lines)


def _total_volume() -> int | None:
    return TrafficAggregate.objects.filter(grouping=0).aggregate(Sum("volume"))[
        "volume__sum"
    ]
