"""
The change log written by database triggers, for every way a consultation is written.

Each counted write logs the old values negated and the new values; a write that
changes nothing counted logs nothing. The SQLite triggers are run in a child process
on a migrated temporary database, since the test database is PostgreSQL.
"""

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from analytics.grouping import GROUPINGS
from analytics.models import CHANGE_COLUMNS, ConsultationChange, TrafficAggregate
from analytics.services import rebuild_aggregates, refresh_aggregates
from consultations.models import Channel, Consultation
from tests.conftest import EPOCH, read_aggregate_rows

pytestmark = pytest.mark.django_db

LOGGED = ("sign", *CHANGE_COLUMNS)
TABLE = Consultation._meta.db_table


def logged() -> list[tuple]:
    return list(ConsultationChange.objects.order_by("id").values_list(*LOGGED))


def as_logged(sign: int, consultation: Consultation) -> tuple:
    return (sign, *(getattr(consultation, column) for column in CHANGE_COLUMNS))


def consultation(external_id: str, channel_id: int, **fields: Any) -> Consultation:
    defaults = {
        "started_at": EPOCH + dt.timedelta(hours=9),
        "first_response_at": EPOCH + dt.timedelta(hours=9, seconds=30),
        "ended_at": EPOCH + dt.timedelta(hours=9, minutes=12),
        "satisfaction": 4,
    }
    return Consultation(
        source="test",
        external_id=external_id,
        channel_id=channel_id,
        **{**defaults, **fields},
    )


@pytest.fixture
def channel(dimensions: dict[str, list[int | None]]) -> int:
    return dimensions["channel"][0]


@pytest.fixture
def stored(channel: int) -> Callable[..., Consultation]:
    """Return a factory of saved consultations whose insert is no longer logged."""

    def create(external_id: str, **fields: Any) -> Consultation:
        saved = consultation(external_id, channel, **fields)
        saved.save()
        ConsultationChange.objects.all().delete()
        return Consultation.objects.get(pk=saved.pk)

    return create


def test_trigger_orm_save_new_logs_its_values(channel: int) -> None:
    # Given a new consultation
    new = consultation("c-1", channel)

    # When it is saved
    new.save()

    # Then its values are logged once, counted positive
    assert logged() == [as_logged(1, Consultation.objects.get(pk=new.pk))]


def test_trigger_orm_save_changed_logs_old_negated_and_new(
    stored: Callable[..., Consultation],
) -> None:
    # Given a stored consultation
    before = stored("c-1")

    # When its end and satisfaction are changed and it is saved
    after = Consultation.objects.get(pk=before.pk)
    after.ended_at += dt.timedelta(minutes=5)
    after.satisfaction = 2
    after.save()

    # Then the old values are logged negated, then the new ones
    assert logged() == [as_logged(-1, before), as_logged(1, after)]


def test_trigger_bulk_create_logs_every_row(channel: int) -> None:
    # Given three new consultations
    new = [consultation(f"c-{n}", channel, converted=n == 1) for n in range(3)]

    # When they are created in one statement
    Consultation.objects.bulk_create(new)

    # Then each is logged once
    assert sorted(logged()) == sorted(as_logged(1, c) for c in new)


def test_trigger_bulk_update_logs_each_changed_row(
    stored: Callable[..., Consultation], dimensions: dict[str, list[int | None]]
) -> None:
    # Given two stored consultations
    before = [stored("c-1"), stored("c-2")]

    # When both move to another team and one becomes converted, in one statement
    after = [Consultation.objects.get(pk=c.pk) for c in before]
    for changed in after:
        changed.team_id = dimensions["team"][1]
    after[0].converted = True
    Consultation.objects.bulk_update(after, ["team", "converted"])

    # Then each row logs its old values negated and its new ones
    assert sorted(logged()) == sorted(
        [as_logged(-1, c) for c in before] + [as_logged(1, c) for c in after]
    )


def test_trigger_queryset_update_logs_only_matched_rows(
    stored: Callable[..., Consultation],
) -> None:
    # Given a rated and an unrated stored consultation
    rated, unrated = stored("c-1"), stored("c-2", satisfaction=None)

    # When the unrated ones are marked abandoned
    Consultation.objects.filter(satisfaction__isnull=True).update(abandoned=True)

    # Then only the unrated one is logged
    assert logged() == [
        as_logged(-1, unrated),
        as_logged(1, Consultation.objects.get(pk=unrated.pk)),
    ]
    assert Consultation.objects.get(pk=rated.pk).abandoned is False


def test_trigger_queryset_delete_logs_old_values_negated(
    stored: Callable[..., Consultation],
) -> None:
    # Given two stored consultations
    gone = [stored("c-1"), stored("c-2", converted=True)]

    # When both are deleted in one statement
    Consultation.objects.filter(pk__in=[c.pk for c in gone]).delete()

    # Then each is logged negated
    assert sorted(logged()) == sorted(as_logged(-1, c) for c in gone)


def test_trigger_raw_upsert_logs_insert_and_update(
    stored: Callable[..., Consultation], channel: int
) -> None:
    # Given one stored consultation
    before = stored("c-1")

    # When one statement inserts c-2 and, on conflict, rates c-1 at 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (source, external_id, started_at, "
            "channel_id, converted, abandoned, satisfaction, message_count, "
            "customer_timezone, created_at, updated_at) "
            "SELECT 'test', external_id, %s, %s, false, false, 1, 0, '', now(), now() "
            "FROM unnest(ARRAY['c-1', 'c-2']) AS external_id "
            "ON CONFLICT (source, external_id) "
            "DO UPDATE SET satisfaction = EXCLUDED.satisfaction",
            [EPOCH, channel],
        )

    # Then the insert and the update are both logged
    after = Consultation.objects.get(pk=before.pk)
    inserted = Consultation.objects.get(external_id="c-2")
    assert sorted(logged()) == sorted(
        [as_logged(1, inserted), as_logged(-1, before), as_logged(1, after)]
    )
    assert after.satisfaction == 1


def test_trigger_update_of_uncounted_fields_logs_nothing(
    stored: Callable[..., Consultation],
) -> None:
    # Given a stored consultation
    before = stored("c-1")

    # When only uncounted fields change, by save and by queryset update, and a
    # counted field is set to the value it has
    before.message_count = 12
    before.customer_timezone = "Asia/Shanghai"
    before.save()
    Consultation.objects.filter(pk=before.pk).update(message_count=13, satisfaction=4)

    # Then nothing is logged
    assert logged() == []


def test_trigger_missing_is_reinstalled_by_refresh_which_rebuilds(
    stored: Callable[..., Consultation], aggregate_rows: Callable[[], dict]
) -> None:
    # Given a refreshed consultation, then the update trigger dropped (as SQLite does
    # when a migration rebuilds the table) and an update made without it
    changed = stored("c-1")
    rebuild_aggregates()
    with connection.schema_editor() as editor:
        editor.execute(f"DROP TRIGGER analytics_log_consultation_update ON {TABLE}")
    Consultation.objects.filter(pk=changed.pk).update(converted=True)

    # When the aggregates are refreshed
    outcome = refresh_aggregates()

    # Then the trigger is back, and the unlogged update is counted by a rebuild
    assert (outcome.changes_applied, outcome.rebuild_pieces) == (0, 1)
    assert TrafficAggregate.objects.get(grouping=0).converted == 1
    Consultation.objects.filter(pk=changed.pk).update(abandoned=True)
    assert len(logged()) == 2


def test_trigger_sqlite_refresh_equals_rebuild(tmp_path: Path) -> None:
    # Given a migrated SQLite database in a child process
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'peakdesk.sqlite3'}"}
    scenario = (
        f"import django; django.setup(); import {__name__} as t; t.sqlite_scenario()"
    )

    # When consultations are inserted, updated and deleted there, refreshed after
    # each step, and the aggregates are then rebuilt
    result = subprocess.run(
        [sys.executable, "-c", scenario],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then the triggers exist, each change was logged and applied, and the
    # refreshed rows equal the rebuilt ones
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert (
        outcome["migrated triggers"]
        == outcome["triggers"]
        == [
            "analytics_log_consultation_delete",
            "analytics_log_consultation_insert",
            "analytics_log_consultation_update",
        ]
    )
    assert outcome["applied"] == [3, 2, 2, 0]
    assert outcome["volume at 09:00"] == 1
    # In progress for 12 of the bucket's 15 minutes: the others are NULL, not 0.
    assert outcome["most in progress"] == 1
    assert outcome["refreshed"] == outcome["rebuilt"]
    # One consultation left, within one bucket: a row per stored grouping.
    assert len(outcome["refreshed"]["traffic"]) == len(GROUPINGS)


def sqlite_scenario() -> None:
    """Run the SQLite half of the test above; print its outcome as JSON."""
    call_command("migrate", verbosity=0, skip_checks=True)
    # Migrations that rebuild the consultation table restore its triggers.
    migrated_triggers = _sqlite_triggers()
    # The periodic refresh of a fresh installation.
    refresh_aggregates()
    triggers = _sqlite_triggers()

    channel = Channel.objects.create(code="web", name="Web").pk
    Consultation.objects.bulk_create(
        consultation(f"c-{n}", channel, converted=n == 0) for n in range(3)
    )
    applied = [refresh_aggregates().changes_applied]
    Consultation.objects.filter(external_id="c-1").update(satisfaction=None)
    applied.append(refresh_aggregates().changes_applied)
    Consultation.objects.filter(external_id__in=["c-0", "c-2"]).delete()
    Consultation.objects.filter(external_id="c-1").update(message_count=5)
    applied.append(refresh_aggregates().changes_applied)
    refreshed = read_aggregate_rows()
    applied.append(rebuild_aggregates().changes_applied)

    nine = TrafficAggregate.objects.get(
        grouping=0, bucket_start=EPOCH + dt.timedelta(hours=9)
    )
    concurrency = io.StringIO()
    day = ["--from", EPOCH.date().isoformat(), "--to", "2024-03-02", "--tz", "UTC"]
    call_command("report", "concurrency", *day, stdout=concurrency)
    outcome = {
        "migrated triggers": migrated_triggers,
        "triggers": triggers,
        "applied": applied,
        "volume at 09:00": nine.volume,
        "most in progress": json.loads(concurrency.getvalue())["overall"]["max"],
        "refreshed": refreshed,
        "rebuilt": read_aggregate_rows(),
    }
    sys.stdout.write(json.dumps(outcome, default=str) + "\n")


def _sqlite_triggers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        )
        return [name for (name,) in cursor.fetchall()]
