"""
Measure how an incremental refresh scales with the size of the store.

    .venv/bin/python benchmarks/refresh.py [--small 100000] [--large 10000000]
        [--new 1000] [--changed 100] [--changed-days 365] [--warm-up 2]
        [--rounds 7]
        [--server-url postgres://postgres@127.0.0.1:5432]
        [--database peakdesk_bench_refresh] [--reuse]

Two stores of the synthetic year (synthetic_year.py) live in the database
--database: the large one in the public schema, the small one in the schema
`small`. Each is migrated, generated and its aggregates rebuilt (timed). --reuse
takes the large store as it is from an existing database, such as the one
`reports.py --keep` leaves, and builds only the small one.

Then, in rounds that alternate between the stores, --new consultations of the
year's last day are inserted and --changed consultations drawn from the year's last
--changed-days days (by default the whole year) are changed, and the refresh that
absorbs them is timed. The first --warm-up rounds are not counted: they bring the
day that every round adds to into PostgreSQL's buffers, as five-minute refreshes
keep it there in service. It prints the median round per store and the ratio of
the large store's to the small one's. A database it created is dropped at the end,
also after a failure; a reused one loses only the schema of the small store.
"""

import argparse
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from synthetic_year import (
    DAYS,
    FIRST_DAY,
    ZONE,
    administer,
    count,
    dimension_ids,
    generate,
    insert,
    rebuild,
    setup_django,
)

SMALL_SCHEMA = "small"


@dataclass
class Store:
    """One store of consultations in its own schema, and its measured rounds."""

    schema: str
    size: int
    # Dimension value ids by dimension, as `synthetic_year.insert` takes them.
    ids: dict[str, list[int]] = field(default_factory=dict)
    rounds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)


def main() -> None:
    """Run the benchmark as the command line asks and print the figures."""
    options = _parse_arguments()
    server = options.server_url.rstrip("/")
    if not options.reuse:
        administer(server, f"DROP DATABASE IF EXISTS {options.database} WITH (FORCE)")
        administer(server, f"CREATE DATABASE {options.database}")
    setup_django(f"{server}/{options.database}")
    from django.db import connection, connections

    try:
        _measure(options)
    finally:
        if options.reuse:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {SMALL_SCHEMA} CASCADE")
        connections.close_all()
        if not options.reuse:
            administer(server, f"DROP DATABASE {options.database} WITH (FORCE)")


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--changed-days", type=int, default=DAYS)
    parser.add_argument("--warm-up", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=float, default=0.5)
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="peakdesk_bench_refresh")
    parser.add_argument("--reuse", action="store_true")
    return parser.parse_args()


def _measure(options: argparse.Namespace) -> None:
    large = Store("public", options.large)
    small = Store(SMALL_SCHEMA, options.small)
    if options.reuse:
        _use(large)
        large.size = count("consultations_consultation")
        large.ids = dimension_ids()
    else:
        _build(large, options.seed)
    _build(small, options.seed)

    # Rounds alternate between the stores, so that a busy spell of the machine
    # weighs on both alike.
    rng = np.random.default_rng(int(options.seed * 1000))
    for round_number in range(options.warm_up + options.rounds):
        for store in (small, large):
            seconds = _absorb(store, options, rng)
            if round_number >= options.warm_up:
                store.rounds.append(seconds)
    for store in (small, large):
        rounds = " ".join(f"{s * 1000:.0f}" for s in store.rounds)
        print(
            f"absorb {options.new:,} new + {options.changed:,} changed into "
            f"{store.size:,}: median {store.median * 1000:.0f} ms "
            f"(rounds, ms: {rounds})"
        )
    print(
        f"ratio {large.size:,} / {small.size:,}: "
        f"{large.median / small.median:.2f} (target at most 1.5)"
    )


def _build(store: Store, seed: float) -> None:
    from django.core.management import call_command

    print(f"building a store of {store.size:,} consultations in {store.schema}")
    _use(store, create=store.schema != "public")
    call_command("migrate", verbosity=0, skip_checks=True)
    store.ids = generate(store.size, seed)
    rebuild()


def _use(store: Store, *, create: bool = False) -> None:
    # The engine and its triggers name their tables unqualified, so the search
    # path decides which store they work on.
    from django.db import connection

    with connection.cursor() as cursor:
        if create:
            cursor.execute(f"CREATE SCHEMA {store.schema}")
        cursor.execute(f"SET search_path TO {store.schema}")


def _absorb(
    store: Store, options: argparse.Namespace, rng: np.random.Generator
) -> float:
    """Write one round of new and changed consultations; return the refresh time."""
    from analytics.services import refresh_aggregates

    _use(store)
    stored = count("consultations_consultation")
    insert(
        store.ids,
        range(DAYS - 1, DAYS),
        np.array([options.new]),
        np.array([stored]),
    )
    _change(rng, options.changed, options.changed_days)

    started = time.perf_counter()
    outcome = refresh_aggregates()
    seconds = time.perf_counter() - started
    assert outcome.changes_applied == options.new + 2 * options.changed, outcome
    return seconds


def _change(rng: np.random.Generator, changed: int, days: int) -> None:
    """
    Rate, flip the conversion of, lengthen and move the team of consultations of
    the year's last `days` days.
    """
    from django.db import connection

    day = date.fromisoformat(FIRST_DAY) + timedelta(days=DAYS - days)
    since = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(ZONE))
    with connection.cursor() as cursor:
        # Consultations are numbered in the order of their days.
        cursor.execute(
            "SELECT (SELECT id FROM consultations_consultation WHERE started_at >= "
            "%s ORDER BY started_at LIMIT 1), max(id) FROM consultations_consultation",
            [since],
        )
        first, last = cursor.fetchone()
        picked = first + rng.choice(last - first + 1, changed, replace=False)
        cursor.execute(
            "UPDATE consultations_consultation SET "
            "satisfaction = coalesce(satisfaction, 0) %% 5 + 1, "
            "converted = NOT converted, "
            "ended_at = ended_at + interval '5 minutes', "
            "team_id = (SELECT min(id) FROM consultations_team) "
            "WHERE id = ANY(%s)",
            [[int(pk) for pk in picked]],
        )


if __name__ == "__main__":
    main()
