"""
Time the reports API over a year of consultations beside a plain GROUP BY.

    .venv/bin/python benchmarks/reports.py [--rows 10000000] [--calls 20]
        [--raw-runs 3] [--server-url postgres://postgres@127.0.0.1:5432]
        [--database peakdesk_bench_reports] [--covering-index] [--keep | --reuse]

Creates the database --database (dropping a leftover one), migrates it, generates
--rows consultations of the synthetic year (synthetic_year.py), rebuilds the
aggregates (timed, in consultations per second) and lets them settle (VACUUM
ANALYZE, as autovacuum would). Then, per scenario, it calls GET
/api/reports/<slug>/ through Django's test client as a logged-in user --calls times
after a warm-up, printing the median and the 95th percentile, and for the day
distribution and the heatmap runs the equivalent GROUP BY over the consultations
--raw-runs times and prints its median and the ratio.

--covering-index then adds an index of the traffic key that includes the volume and
times the day distribution and the heatmap again, to show what that schema change
would buy. --keep leaves the database for a later --reuse run, which measures an
existing one without generating or rebuilding; otherwise the database is dropped at
the end, also after a failure.
"""

import argparse
import math
import statistics
import time
from dataclasses import dataclass

from synthetic_year import (
    FIRST_DAY,
    ZONE,
    administer,
    describe_store,
    generate,
    rebuild,
    setup_django,
)


@dataclass(frozen=True)
class Scenario:
    """A report call to time; `raw` names the GROUP BY to compare it with."""

    label: str
    slug: str
    query: str
    raw: tuple[str, bool] | None = None


TWO_FILTERS = "&channel=web&business_line=retail"
YEAR = f"from={FIRST_DAY}&to=2026-01-01&tz={ZONE}"
SCENARIOS = (
    Scenario(
        "day distribution",
        "day-distribution",
        f"{YEAR}&slot=60",
        ("day-distribution", False),
    ),
    Scenario(
        "day distribution, 2 filters",
        "day-distribution",
        f"{YEAR}&slot=60{TWO_FILTERS}",
        ("day-distribution", True),
    ),
    Scenario("heatmap", "weekday-hour", f"{YEAR}&slot=60", ("weekday-hour", False)),
    Scenario(
        "heatmap, 2 filters",
        "weekday-hour",
        f"{YEAR}&slot=60{TWO_FILTERS}",
        ("weekday-hour", True),
    ),
    Scenario(
        "day distribution, 15 min, 2+1 values",
        "day-distribution",
        f"{YEAR}&slot=15&channel=web,app&business_line=retail",
    ),
    Scenario(
        "day distribution, New York",
        "day-distribution",
        f"from={FIRST_DAY}&to=2026-01-01&tz=America/New_York&slot=30",
    ),
    Scenario("trend per day", "trend", f"{YEAR}&granularity=day"),
    Scenario(
        "trend per month, 2 filters", "trend", f"{YEAR}&granularity=month{TWO_FILTERS}"
    ),
    Scenario("concurrency", "concurrency", f"{YEAR}&slot=60"),
    Scenario("concurrency, 2 filters", "concurrency", f"{YEAR}&slot=60{TWO_FILTERS}"),
    Scenario("quality", "quality", f"{YEAR}&slot=60"),
    Scenario("quality, 2 filters", "quality", f"{YEAR}&slot=60{TWO_FILTERS}"),
)
# What a covering index of the traffic key would add to the schema, to measure
# what it buys: the volume read without visiting the table.
COVERING_INDEX = (
    "CREATE INDEX bench_traffic_volume ON analytics_trafficaggregate "
    "(grouping, channel, consultation_type, business_line, product_category, "
    "customer_tier, team, bucket_start) INCLUDE (volume)"
)
LOCAL_START = f"started_at AT TIME ZONE '{ZONE}'"
RAW_GROUP_BY = {
    "day-distribution": f"extract(hour FROM {LOCAL_START})",
    "weekday-hour": f"extract(isodow FROM {LOCAL_START}), "
    f"extract(hour FROM {LOCAL_START})",
}
RAW_FILTER = (
    "AND channel_id = (SELECT id FROM consultations_channel WHERE code = 'web') "
    "AND business_line_id = "
    "(SELECT id FROM consultations_businessline WHERE code = 'retail')"
)


@dataclass(frozen=True)
class Timing:
    """Seconds of repeated runs of one measurement."""

    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


def main() -> None:
    """Run the benchmark as the command line asks and print the figures."""
    options = _parse_arguments()
    server = options.server_url.rstrip("/")
    fresh, dropped = not options.reuse, not (options.keep or options.reuse)
    if fresh:
        administer(server, f"DROP DATABASE IF EXISTS {options.database} WITH (FORCE)")
        administer(server, f"CREATE DATABASE {options.database}")
    try:
        _run(options, f"{server}/{options.database}")
    finally:
        if dropped:
            administer(
                server, f"DROP DATABASE IF EXISTS {options.database} WITH (FORCE)"
            )


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--raw-runs", type=int, default=3)
    parser.add_argument("--seed", type=float, default=0.25)
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="peakdesk_bench_reports")
    parser.add_argument("--covering-index", action="store_true")
    reuse = parser.add_mutually_exclusive_group()
    reuse.add_argument("--keep", action="store_true")
    reuse.add_argument("--reuse", action="store_true")
    return parser.parse_args()


def _run(options: argparse.Namespace, database_url: str) -> None:
    setup_django(database_url)
    from django.db import connections

    try:
        _measure(options)
    finally:
        connections.close_all()


def _measure(options: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    if not options.reuse:
        call_command("migrate", verbosity=0, skip_checks=True)
        generate(options.rows, options.seed)
        rebuild()
    describe_store()
    client = _logged_in_client()
    raw: dict[tuple[str, bool], Timing] = {}
    for scenario in SCENARIOS:
        _time_scenario(client, scenario, raw, options)
    if not options.covering_index:
        return

    with connection.cursor() as cursor:
        cursor.execute(COVERING_INDEX)
        cursor.execute("VACUUM (ANALYZE) analytics_trafficaggregate")
    print("with a covering index (key columns) INCLUDE (volume):", flush=True)
    try:
        for scenario in SCENARIOS:
            if scenario.raw is not None:
                _time_scenario(client, scenario, raw, options)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX bench_traffic_volume")


def _time_scenario(
    client, scenario: Scenario, raw: dict, options: argparse.Namespace
) -> None:
    """Time a scenario's API call, and once per run its raw GROUP BY; print both."""
    api = _time_api(client, scenario.slug, scenario.query, options.calls)
    line = (
        f"{scenario.label:<40} API median {api.median * 1000:7.1f} ms, "
        f"p95 {api.p95 * 1000:7.1f} ms"
    )
    if scenario.raw is not None:
        if scenario.raw not in raw:
            raw[scenario.raw] = _time_raw(*scenario.raw, options.raw_runs)
        plain = raw[scenario.raw]
        line += (
            f"; raw GROUP BY median {plain.median:6.2f} s "
            f"({', '.join(f'{s:.2f}' for s in plain.seconds)}), "
            f"ratio {plain.median / api.median:,.0f}x"
        )
    print(line, flush=True)


def _logged_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _created = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def _time_api(client, slug: str, query: str, calls: int) -> Timing:
    """Call the report's endpoint once to warm up, then `calls` times."""
    path = f"/api/reports/{slug}/?{query}"
    seconds = []
    for call in range(calls + 1):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        if call:
            seconds.append(elapsed)
    return Timing(seconds)


def _time_raw(slug: str, filtered: bool, runs: int) -> Timing:
    """Time the report's GROUP BY over the raw consultations of the year."""
    from django.db import connection

    keys = RAW_GROUP_BY[slug]
    statement = (
        f"SELECT {keys}, count(*) FROM consultations_consultation "
        f"WHERE started_at >= %s AND started_at < %s "
        f"{RAW_FILTER if filtered else ''} GROUP BY {keys}"
    )
    bounds = ["2024-12-31 16:00:00+00", "2025-12-31 16:00:00+00"]
    return Timing([_timed(connection, statement, bounds) for _run in range(runs)])


def _timed(connection, statement: str, parameters: list) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        cursor.fetchall()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
