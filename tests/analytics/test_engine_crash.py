"""
Refreshes and rebuilds killed with SIGKILL mid-way, then run again.

The killed work runs in a `manage.py refresh_analytics` child process on the test
database, killed as soon as its first transaction has committed; whatever it left
behind must be completed by the next run without losing or repeating a change.
"""

import signal
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.conf import settings

from analytics.models import ConsultationChange, FillState, RebuildPiece
from analytics.services import rebuild_aggregates, refresh_aggregates
from consultations.models import Consultation
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def kill_when(
    arguments: list[str], env: dict[str, str], condition: Callable[[], bool]
) -> None:
    """Run refresh_analytics with the arguments; SIGKILL it once condition holds."""
    child = subprocess.Popen(
        [sys.executable, "manage.py", "refresh_analytics", "--skip-checks", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(
            lambda: condition() or child.poll() is not None,
            seconds=120,
            what="the first committed step",
        )
    finally:
        child.send_signal(signal.SIGKILL)
        _, errors = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, errors.decode()


def test_refresh_killed_after_first_batch_then_rerun_equals_rebuild(
    create_consultations: Callable[..., list[Consultation]],
    subprocess_env: dict[str, str],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given a long change log of inserts and updates
    consultations = create_consultations(1500, days=5)
    Consultation.objects.filter(pk__in=[c.pk for c in consultations[::3]]).update(
        abandoned=True
    )
    logged = ConsultationChange.objects.count()

    # When a refresh in batches of 10 is killed once its first batch committed
    kill_when(
        ["--batch-size", "10"],
        subprocess_env,
        lambda: FillState.objects.filter(changes_applied__gt=0).exists(),
    )

    # Then exactly the committed batches were applied and removed from the log
    applied = FillState.objects.get().changes_applied
    assert 0 < applied < logged
    assert ConsultationChange.objects.count() == logged - applied

    # And a rerun applies the rest, giving the rows of a full rebuild
    assert refresh_aggregates().changes_applied == logged - applied
    refreshed = aggregate_rows()
    rebuild_aggregates()
    assert aggregate_rows() == refreshed


def test_rebuild_killed_after_first_day_then_refresh_completes_it(
    create_consultations: Callable[..., list[Consultation]],
    subprocess_env: dict[str, str],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given refreshed aggregates of 30 days of consultations
    create_consultations(3000, days=30)
    refresh_aggregates()
    expected = aggregate_rows()

    # When a rebuild is killed once its first day committed
    kill_when(
        ["--rebuild"],
        subprocess_env,
        lambda: RebuildPiece.objects.filter(done=True).exists(),
    )

    # Then the rebuild is unfinished, with days left to do
    assert FillState.objects.get().rebuilding
    remaining = RebuildPiece.objects.filter(done=False).count()
    assert 0 < remaining < 30

    # And the next refresh finishes exactly those days, giving the same rows
    outcome = refresh_aggregates()
    assert (outcome.changes_applied, outcome.rebuild_pieces) == (0, remaining)
    assert not FillState.objects.get().rebuilding
    assert aggregate_rows() == expected
