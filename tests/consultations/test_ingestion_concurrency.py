"""Two processes ingesting the same new keys at once."""

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from consultations.ingestion import ingest
from consultations.models import Channel, Consultation, Customer

from .ingestion_helpers import create_catalogue, record

ROWS = 3_000


@pytest.mark.django_db(transaction=True)
def test_ingest_concurrent_runs_of_the_same_new_keys_store_each_once(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    # Given one file of new consultations whose dimension values, agents and
    # customers do not exist yet either
    path = tmp_path / "same.csv"
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(record()))
        writer.writeheader()
        writer.writerows(
            record(f"c-{n}", customer=f"cust-{n % 50}", agent=f"agent-{n % 9}")
            for n in range(ROWS)
        )

    # When two processes import it at the same time, in small chunks
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "import_consultations",
                str(path),
                "--chunk-size",
                "500",
                "--rejects",
                str(tmp_path / f"{n}.csv"),
            ],
            cwd=settings.BASE_DIR,
            env=subprocess_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]

    # Then neither fails, every key is stored once, and each is counted as created
    # by exactly one of them and as unchanged by the other
    assert [process.returncode for process in processes] == [0, 0], outputs
    counts = [counts_of(stdout) for stdout, _stderr in outputs]
    assert [sum(column) for column in zip(*counts, strict=True)] == [
        ROWS,
        0,
        ROWS,
        0,
        0,
    ], outputs
    assert Consultation.objects.count() == ROWS
    assert Customer.objects.count() == 50
    assert list(Channel.objects.values_list("code", flat=True)) == ["web"]


def counts_of(summary: str) -> list[int]:
    """Return created, updated, unchanged, rejected, skipped from a summary."""
    words = summary.split(" in ")[0].split(", ")
    return [int(word.split()[0]) for word in words]


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        # The other run stores the same values: nothing left to change.
        ({}, [0, 0, 20, 0, 0]),
        # The other run stores other values: this one overwrites them.
        ({"satisfaction": 1}, [0, 20, 0, 0, 0]),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_ingest_keys_inserted_by_another_run_meanwhile_are_counted_truly(
    tmp_path: Path,
    subprocess_env: dict[str, str],
    theirs: dict[str, int],
    expected: list[int],
) -> None:
    # Given a file of twenty new consultations
    create_catalogue()
    rows = [record(f"c-{n}") for n in range(20)]
    path = tmp_path / "mine.csv"
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    # When another run inserts the same keys and commits only after the import
    # has planned them as new and is waiting on the other run's rows
    with transaction.atomic():
        ingest([row | theirs for row in rows], allow_new_dimensions=False)
        process = subprocess.Popen(
            [sys.executable, "manage.py", "import_consultations", str(path)],
            cwd=settings.BASE_DIR,
            env=subprocess_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_a_blocked_backend(process)
    stdout, stderr = process.communicate(timeout=120)

    # Then the import counts what its statement really did
    assert process.returncode == 0, stderr
    assert counts_of(stdout) == expected, stdout
    assert set(Consultation.objects.values_list("satisfaction", flat=True)) == {4}


def wait_for_a_blocked_backend(process: subprocess.Popen) -> None:
    """Wait until another connection waits for a lock; fail if the process ends."""
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            # Activity statistics are a snapshot per transaction unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the import never waited for the other run's rows")
