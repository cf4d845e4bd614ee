"""
Migrations that change how aggregates are stored leave them complete: they plan a
rebuild that the next refresh runs; and the aggregates' pages keep room for the
rows a refresh adds to.
"""

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

from analytics.buckets import to_us
from analytics.engine.contributions import Deltas
from analytics.engine.store import apply_deltas
from analytics.models import (
    KEY_FIELDS,
    LATENCY_MEASURES,
    TRAFFIC_MEASURES,
    FillState,
    LatencyHistogram,
    RebuildPiece,
    TrafficAggregate,
)
from analytics.services import rebuild_aggregates, refresh_aggregates
from consultations.models import Consultation
from tests.conftest import EPOCH

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_HISTOGRAM_ROWS = ("analytics", "0003_restore_change_triggers")
HISTOGRAM_ROWS = ("analytics", "0004_latency_histogram_rows")


@pytest.fixture
def migrate_to() -> Iterator[Callable[[tuple[str, str]], StateApps]]:
    """Migrate to a target; return the models as they are there."""

    def migrate(target: tuple[str, str]) -> StateApps:
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        return executor.loader.project_state(target).apps

    yield migrate
    # Whatever happened, the next test finds the latest schema.
    _migrate_to_latest()


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_histogram_rows_migration_has_the_next_refresh_count_everything_again(
    migrate_to: Callable[[tuple[str, str]], StateApps],
    create_consultations: Callable[..., list[Consultation]],
    aggregate_rows: Callable[[], dict],
) -> None:
    # Given consultations stored before the histograms moved to rows of their
    # own, and a traffic row left from an earlier refresh
    before = migrate_to(BEFORE_HISTOGRAM_ROWS)
    create_consultations(300, days=4)
    traffic_then = before.get_model("analytics", "TrafficAggregate")
    traffic_then.objects.create(grouping=0, bucket_start=EPOCH, volume=99)

    # When the migration runs
    migrate_to(HISTOGRAM_ROWS)

    # Then a rebuild of every day is planned and the stale row is gone
    assert FillState.objects.get(pk=1).rebuilding
    assert RebuildPiece.objects.filter(done=False).count() >= 4
    assert not TrafficAggregate.objects.exists()

    # And once the later migrations ran too, the next refresh counts every
    # consultation, histograms included
    _migrate_to_latest()
    refresh_aggregates()
    refreshed = aggregate_rows()
    assert LatencyHistogram.objects.exists()
    assert not FillState.objects.get(pk=1).rebuilding
    rebuild_aggregates()
    assert refreshed == aggregate_rows()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model, measure", [(TrafficAggregate, "rated"), (LatencyHistogram, "wait_00")]
)
def test_an_aggregate_row_grows_in_place_on_its_page(
    create_consultations: Callable[..., list[Consultation]],
    model: type[TrafficAggregate] | type[LatencyHistogram],
    measure: str,
) -> None:
    # Given aggregates rebuilt from enough consultations to fill many pages
    create_consultations(400, days=2)
    rebuild_aggregates()
    table = model._meta.db_table
    row = _first_row_of_first_page(table)

    # When a refresh adds to a row of the first page
    measures = LATENCY_MEASURES if model is LatencyHistogram else TRAFFIC_MEASURES
    values = np.zeros((1, len(measures)), dtype=np.int64)
    values[0, measures.index(measure)] = 1
    key = np.array([[*row[1:-1], to_us(row[-1])]], dtype=np.int64)
    empty = np.zeros((0, len(KEY_FIELDS)), dtype=np.int64)
    if model is TrafficAggregate:
        deltas = Deltas(key, values, empty, np.zeros((0, len(LATENCY_MEASURES))))
    else:
        deltas = Deltas(empty, np.zeros((0, len(TRAFFIC_MEASURES))), key, values)
    with transaction.atomic():
        apply_deltas(deltas)

    # Then its new version is written on the same page, which was left room
    # (a heap-only update, which touches no index)
    assert _page_of(table, row[0]) == 0
    stored = model.objects.get(pk=row[0])
    assert getattr(stored, measure) >= 1


def _first_row_of_first_page(table: str) -> tuple:
    """Return the id and key fields of the first row on the table's first page."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {', '.join(KEY_FIELDS)} FROM {table} "
            "WHERE ctid < '(1,0)'::tid ORDER BY ctid LIMIT 1"
        )
        return cursor.fetchone()


def _page_of(table: str, pk: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (ctid::text::point)[0]::int FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]
