"""
Time the reports API over a year of consultations beside a plain GROUP BY.

    .venv/bin/python benchmarks/reports.py [--rows 10000000] [--calls 20]
        [--raw-runs 3] [--server-url postgres://postgres@127.0.0.1:5432]
        [--database peakdesk_bench_reports] [--covering-index] [--keep | --reuse]

Creates the database --database (dropping a leftover one), migrates it and
generates --rows consultations over 2025 inside PostgreSQL (INSERT ... SELECT over
generate_series, day by day so that the table is in time order as a live one is):
a double daily peak in Asia/Shanghai with a consumer evening, quieter weekends,
growth over the year and three campaign days; six channels, four types, three
business lines, eight product categories, three tiers, six teams; waits and
durations drawn from log-normal laws per channel. It rebuilds the aggregates (timed,
in consultations per second), lets them settle (VACUUM ANALYZE, as autovacuum would)
and then, per scenario, calls GET /api/reports/<slug>/ through Django's test client
as a logged-in user --calls times after a warm-up, printing the median and the 95th
percentile, and for the day distribution and the heatmap runs the equivalent
GROUP BY over the consultations --raw-runs times and prints its median and the ratio.

--covering-index then adds an index of the traffic key that includes the volume and
times the day distribution and the heatmap again, to show what that schema change
would buy. --keep leaves the database for a later --reuse run, which measures an
existing one without generating or rebuilding; otherwise the database is dropped at
the end, also after a failure.
"""

import argparse
import math
import os
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
YEAR_START = "2025-01-01 00:00:00+00"
FIRST_DAY = "2025-01-01"
DAYS = 365
DAYS_PER_STATEMENT = 30
ZONE = "Asia/Shanghai"
UTC_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving time
FIRST_WEEKDAY = 2  # 2025-01-01 was a Wednesday; 0 = Monday
CAMPAIGN_DAYS = {169: 2.5, 314: 4.0, 345: 2.0}  # 06-18, 11-11 and 12-12

# Shanghai local hour weights: morning and afternoon peaks, a consumer evening.
HOUR_WEIGHTS = (
    0.30, 0.15, 0.08, 0.05, 0.05, 0.08, 0.20, 0.55, 1.10, 2.40, 2.50, 1.40,
    1.00, 1.30, 2.30, 2.35, 1.40, 1.15, 1.20, 1.90, 2.10, 1.80, 1.00, 0.55,
)  # fmt: skip


@dataclass(frozen=True)
class Value:
    """A dimension value to create: its code, weight and channel traits."""

    code: str
    weight: float
    medium: str = ""
    median_wait_s: float = 0.0
    median_length_s: float = 0.0


CHANNELS = (
    Value("web", 0.28, "chat", 25, 540),
    Value("app", 0.26, "chat", 20, 480),
    Value("wechat", 0.16, "chat", 30, 600),
    Value("phone", 0.16, "voice", 45, 300),
    Value("email", 0.09, "message", 5400, 7200),
    Value("social", 0.05, "message", 1800, 3600),
)
DIMENSION_VALUES: dict[str, tuple[Value, ...]] = {
    "channel": CHANNELS,
    "consultation_type": tuple(
        Value(code, weight)
        for code, weight in (
            ("pre-sales", 0.30),
            ("after-sales", 0.40),
            ("complaint", 0.10),
            ("technical", 0.20),
        )
    ),
    "business_line": tuple(
        Value(code, weight)
        for code, weight in (("retail", 0.55), ("enterprise", 0.30), ("finance", 0.15))
    ),
    "product_category": tuple(Value(f"category-{n}", 1 / (n + 1)) for n in range(8)),
    "customer_tier": tuple(
        Value(code, weight)
        for code, weight in (("standard", 0.70), ("gold", 0.25), ("vip", 0.05))
    ),
    "team": tuple(
        Value(f"team-{n}", weight) for n, weight in enumerate((5, 4, 4, 3, 2, 2))
    ),
}

# Per row: the draws, then what follows from them. Each list of weights is passed
# as the lower bounds of its cumulative shares, so that width_bucket(random(), ...)
# picks an index from 1 with those probabilities.
GENERATE = """
INSERT INTO consultations_consultation (
    source, external_id, started_at, first_response_at, ended_at,
    customer_timezone, channel_id, consultation_type_id, business_line_id,
    product_category_id, customer_tier_id, team_id, converted, satisfaction,
    abandoned, message_count, created_at, updated_at)
SELECT
    'bench', 'r' || number, started,
    CASE WHEN NOT abandoned THEN started + wait END,
    CASE
        WHEN still_open THEN NULL
        WHEN abandoned THEN started + least(wait, length)
        ELSE started + wait + length
    END,
    '', (%(channel)s::bigint[])[channel], (%(consultation_type)s::bigint[])[kind],
    (%(business_line)s::bigint[])[line], (%(product_category)s::bigint[])[category],
    (%(customer_tier)s::bigint[])[tier],
    CASE WHEN NOT abandoned THEN (%(team)s::bigint[])[team] END,
    NOT abandoned AND u_converted < CASE kind WHEN 1 THEN 0.25 ELSE 0.05 END,
    CASE WHEN NOT abandoned AND u_rated < 0.35 THEN score END,
    abandoned, messages, now(), now()
FROM (
    SELECT *,
        %(year_start)s::timestamptz + day * interval '1 day'
            + (hour - %(utc_offset)s) * interval '1 hour'
            + u_minute * interval '1 hour' AS started,
        (%(median_wait)s::float8[])[channel] * exp(z_wait)
            * interval '1 second' AS wait,
        (%(median_length)s::float8[])[channel] * exp(0.8 * z_length)
            * interval '1 second' AS length,
        u_abandoned < CASE WHEN channel > 4 THEN 0.02 ELSE 0.06 END AS abandoned,
        channel > 4 AND u_open < 0.08 AS still_open
    FROM (
        SELECT d.first + n AS number, d.day,
            width_bucket(random(), %(hour)s::float8[]) - 1 AS hour,
            random() AS u_minute,
            width_bucket(random(), %(channel_cdf)s::float8[]) AS channel,
            width_bucket(random(), %(consultation_type_cdf)s::float8[]) AS kind,
            width_bucket(random(), %(business_line_cdf)s::float8[]) AS line,
            width_bucket(random(), %(product_category_cdf)s::float8[]) AS category,
            width_bucket(random(), %(customer_tier_cdf)s::float8[]) AS tier,
            width_bucket(random(), %(team_cdf)s::float8[]) AS team,
            width_bucket(random(), %(score_cdf)s::float8[]) AS score,
            random() AS u_abandoned, random() AS u_open, random() AS u_rated,
            random() AS u_converted,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z_wait,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z_length,
            1 + floor(random() * 30)::int AS messages
        FROM unnest(%(days)s::int[], %(counts)s::int[], %(firsts)s::bigint[])
            AS d(day, count, first)
        CROSS JOIN LATERAL generate_series(1, d.count) AS n
    ) AS draws
) AS rows
"""


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
LOG_INSERTS = (
    "ALTER TABLE consultations_consultation "
    "{} TRIGGER analytics_log_consultation_insert"
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
        _administer(server, f"DROP DATABASE IF EXISTS {options.database} WITH (FORCE)")
        _administer(server, f"CREATE DATABASE {options.database}")
    try:
        _run(options, f"{server}/{options.database}")
    finally:
        if dropped:
            _administer(
                server, f"DROP DATABASE IF EXISTS {options.database} WITH (FORCE)"
            )


def _administer(server: str, statement: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(statement)


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
    _setup_django(database_url)
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
        _generate(options.rows, options.seed)
        _rebuild()
    _describe_store()
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


def _setup_django(database_url: str) -> None:
    # Production-like request handling: no query log, no debug pages.
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(40)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _generate(rows: int, seed: float) -> None:
    """Insert `rows` consultations over the year, a statement per run of days."""
    from django.db import connection

    ids = _create_dimension_values()
    counts = _rows_per_day(rows)
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    parameters = {**ids, **_draw_tables()}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The change log is left out, as when a dump is restored: the rebuild
        # reads the consultations themselves.
        cursor.execute(LOG_INSERTS.format("DISABLE"))
        cursor.execute("SELECT setseed(%s)", [seed])
        for first_day in range(0, DAYS, DAYS_PER_STATEMENT):
            days = range(first_day, min(first_day + DAYS_PER_STATEMENT, DAYS))
            cursor.execute(
                GENERATE,
                {
                    **parameters,
                    "days": list(days),
                    "counts": counts[days.start : days.stop].tolist(),
                    "firsts": firsts[days.start : days.stop].tolist(),
                },
            )
        cursor.execute(LOG_INSERTS.format("ENABLE"))
        cursor.execute("VACUUM (ANALYZE) consultations_consultation")
    seconds = time.perf_counter() - started
    print(
        f"generated {rows:,} consultations in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s)",
        flush=True,
    )


def _create_dimension_values() -> dict[str, list[int]]:
    from consultations.models import Consultation

    ids = {}
    for name, values in DIMENSION_VALUES.items():
        model = Consultation._meta.get_field(name).related_model
        created = [
            model.objects.create(
                code=value.code,
                name=value.code,
                **({"medium": value.medium} if value.medium else {}),
            )
            for value in values
        ]
        ids[name] = [row.pk for row in created]
    return ids


def _draw_tables() -> dict[str, object]:
    tables: dict[str, object] = {
        f"{name}_cdf": _lower_bounds([value.weight for value in values])
        for name, values in DIMENSION_VALUES.items()
    }
    return {
        **tables,
        "hour": _lower_bounds(HOUR_WEIGHTS),
        "score_cdf": _lower_bounds([0.05, 0.05, 0.15, 0.35, 0.40]),
        "median_wait": [value.median_wait_s for value in CHANNELS],
        "median_length": [value.median_length_s for value in CHANNELS],
        "year_start": YEAR_START,
        "utc_offset": UTC_OFFSET_HOURS,
    }


def _lower_bounds(weights: tuple[float, ...] | list[float]) -> list[float]:
    shares = np.asarray(weights, dtype=float) / sum(weights)
    return np.concatenate([[0.0], np.cumsum(shares)[:-1]]).tolist()


def _rows_per_day(rows: int) -> np.ndarray:
    """Return how many consultations start on each day of the year."""
    day = np.arange(DAYS)
    weekday = (day + FIRST_WEEKDAY) % 7
    weights = np.select([weekday == 5, weekday == 6], [0.75, 0.65], 1.0)
    weights = weights * (1 + 0.25 * day / DAYS)
    for campaign_day, factor in CAMPAIGN_DAYS.items():
        weights[campaign_day] *= factor
    counts = np.floor(rows * weights / weights.sum()).astype(np.int64)
    counts[-1] += rows - counts.sum()
    return counts


def _rebuild() -> None:
    from django.db import connection

    from analytics.services import rebuild_aggregates

    rows = _count("consultations_consultation")
    started = time.perf_counter()
    rebuild_aggregates()
    seconds = time.perf_counter() - started
    print(
        f"rebuilt the aggregates of {rows:,} consultations in {seconds:.1f} s: "
        f"{rows / seconds:,.0f} consultations/s",
        flush=True,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("analytics_trafficaggregate", "analytics_latencybin"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"vacuumed the aggregates in {time.perf_counter() - started:.1f} s")


def _describe_store() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('analytics_trafficaggregate'), "
            "pg_total_relation_size('analytics_latencybin'), "
            "pg_total_relation_size('consultations_consultation')"
        )
        traffic_bytes, latency_bytes, raw_bytes = cursor.fetchone()
    print(
        f"store: {_count('consultations_consultation'):,} consultations "
        f"({raw_bytes / 2**20:,.0f} MiB); "
        f"{_count('analytics_trafficaggregate'):,} traffic rows "
        f"({traffic_bytes / 2**20:,.0f} MiB), "
        f"{_count('analytics_latencybin'):,} latency rows "
        f"({latency_bytes / 2**20:,.0f} MiB)",
        flush=True,
    )


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


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
