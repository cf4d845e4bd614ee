"""
Migrations that change how aggregates are stored leave them complete: they plan a
rebuild that the next refresh runs.
"""

from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analytics.models import FillState, LatencyHistogram, RebuildPiece, TrafficAggregate
from analytics.services import rebuild_aggregates, refresh_aggregates
from consultations.models import Consultation
from tests.conftest import EPOCH

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_HISTOGRAM_ROWS = ("analytics", "0003_restore_change_triggers")
HISTOGRAM_ROWS = ("analytics", "0004_latency_histogram_rows")


@pytest.fixture
def migrate_to() -> Iterator[Callable[[tuple[str, str]], None]]:
    def migrate(target: tuple[str, str]) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate([target])

    yield migrate
    # Whatever happened, the next test finds the latest schema.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_histogram_rows_migration_has_the_next_refresh_count_everything_again(
    migrate_to: Callable[[tuple[str, str]], None],
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given consultations stored before the histograms moved to rows of their
    # own, and a traffic row left from an earlier refresh
    migrate_to(BEFORE_HISTOGRAM_ROWS)
    create_consultations(300, days=4)
    TrafficAggregate.objects.create(grouping=0, bucket_start=EPOCH, volume=99)

    # When the migration runs
    migrate_to(HISTOGRAM_ROWS)

    # Then a rebuild of every day is planned and the stale row is gone
    assert FillState.objects.get(pk=1).rebuilding
    assert RebuildPiece.objects.filter(done=False).count() >= 4
    assert not TrafficAggregate.objects.exists()

    # And the next refresh counts every consultation, histograms included
    refresh_aggregates()
    refreshed = aggregate_rows()
    assert LatencyHistogram.objects.exists()
    assert not FillState.objects.get(pk=1).rebuilding
    rebuild_aggregates()
    assert refreshed == aggregate_rows()
