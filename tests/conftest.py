"""
Fixtures shared by several test folders: dimension values, random consultations,
snapshots of the aggregate tables, and a real Celery worker on Redis.
"""

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from analytics.models import (
    KEY_FIELDS,
    LATENCY_MEASURES,
    TRAFFIC_MEASURES,
    LatencyHistogram,
    TrafficAggregate,
)
from consultations.models import (
    BusinessLine,
    Channel,
    Consultation,
    ConsultationType,
    CustomerTier,
    ProductCategory,
    Team,
)

# A fixed epoch: generated consultations start on or after it, never near the clock.
EPOCH = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
SPANS = (3600,) * 9 + (50_000,)
WORKER_START_SECONDS = 60
WORKER_STOP_SECONDS = 15


@pytest.fixture
def dimensions(db: None) -> dict[str, list[int | None]]:
    """Return the ids to pick from per consultation field; None where nullable."""
    models = {
        "channel": Channel,
        "consultation_type": ConsultationType,
        "business_line": BusinessLine,
        "product_category": ProductCategory,
        "customer_tier": CustomerTier,
        "team": Team,
    }
    values: dict[str, list[int | None]] = {}
    for field, model in models.items():
        ids = [
            model.objects.create(code=f"{field}-{n}", name=f"{field} {n}").pk
            for n in range(3 if field == "channel" else 2)
        ]
        values[field] = ids if field == "channel" else [None, *ids]
    return values


@pytest.fixture
def create_consultations(
    dimensions: dict[str, list[int | None]],
) -> Callable[..., list[Consultation]]:
    """Return a factory of varied consultations spread over days from EPOCH."""

    def create(count: int, *, days: int = 3, seed: int = 0) -> list[Consultation]:
        rng = random.Random(seed)
        records = []
        for _ in range(count):
            start = EPOCH + dt.timedelta(
                microseconds=rng.randrange(days * 86400 * 10**6)
            )
            records.append(
                Consultation(
                    source="test",
                    external_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                    started_at=start,
                    first_response_at=_later(rng, start, 900, missing=0.15),
                    # A few run past the 12 h concurrency cap and across midnight.
                    ended_at=_later(rng, start, rng.choice(SPANS), missing=0.1),
                    converted=rng.random() < 0.3,
                    abandoned=rng.random() < 0.1,
                    satisfaction=rng.choice([None, None, 1, 2, 3, 4, 5]),
                    **{
                        f"{name}_id": rng.choice(ids)
                        for name, ids in dimensions.items()
                    },
                )
            )
        return Consultation.objects.bulk_create(records)

    return create


def _later(
    rng: random.Random, start: dt.datetime, seconds: int, *, missing: float
) -> dt.datetime | None:
    if rng.random() < missing:
        return None
    return start + dt.timedelta(microseconds=rng.randrange(seconds * 10**6))


def read_aggregate_rows() -> dict[str, list[tuple]]:
    """Return every aggregate row, keys first, sorted."""
    traffic = TrafficAggregate.objects.values_list(*KEY_FIELDS, *TRAFFIC_MEASURES)
    latency = LatencyHistogram.objects.values_list(*KEY_FIELDS, *LATENCY_MEASURES)
    return {"traffic": sorted(traffic), "latency": sorted(latency)}


@pytest.fixture
def aggregate_rows() -> Callable[[], dict[str, list[tuple]]]:
    return read_aggregate_rows


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll a condition every 10 ms; fail the test when it is still false."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {seconds} s for {what}")
        time.sleep(0.01)


@pytest.fixture(scope="session")
def test_database_url(django_db_setup: None) -> str:
    """Return a DATABASE_URL that lets another process use the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("other processes share the test database only on PostgreSQL")
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (
        f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    )
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


@pytest.fixture(scope="session")
def subprocess_env(test_database_url: str) -> dict[str, str]:
    """Return the environment for a manage.py or celery child on the test database."""
    return {**os.environ, "DATABASE_URL": test_database_url}


@dataclass(frozen=True)
class CeleryWorker:
    """A running worker, the client app that sends it tasks, and its log file."""

    client: Celery
    name: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture(scope="module")
def celery_worker(
    subprocess_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """
    Start `celery -A config worker` on the Redis of REDIS_URL, return it once it
    answers a ping, and stop it (SIGTERM, then SIGKILL) when the module is done.
    """
    broker_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    client = Celery("peakdesk-tests", broker=broker_url)
    client.control.purge()
    name = f"peakdesk-tests-{uuid.uuid4().hex[:8]}@localhost"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"

    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker",
             "--hostname", name, "--pool", "prefork", "--concurrency", "2",
             "--without-mingle", "--without-gossip", "--loglevel", "INFO"],
            cwd=settings.BASE_DIR,
            env={**subprocess_env, "CELERY_BROKER_URL": broker_url},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_ping(client, name, process, log_path)
        yield CeleryWorker(client, name, log_path)
    finally:
        _stop(process)
        client.close()


def _wait_for_ping(
    client: Celery, name: str, process: subprocess.Popen, log_path: Path
) -> None:
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"celery worker exited:\n{log_path.read_text()}")
        if client.control.ping(destination=[name], timeout=1.0):
            return
    pytest.fail(f"celery worker did not answer a ping:\n{log_path.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    # The worker leads its own process group, so its pool children go with it.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(WORKER_STOP_SECONDS)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
