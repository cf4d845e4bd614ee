"""
A year of synthetic consultations generated inside PostgreSQL, for the benchmarks.

The year is 2025 seen from Asia/Shanghai: a double daily peak with a consumer
evening, quieter weekends, growth over the year and three campaign days; six
channels, four types, three business lines, eight product categories, three tiers,
six teams; waits and durations drawn from log-normal laws per channel. Rows are
inserted by INSERT ... SELECT over generate_series, a run of days per statement, so
that the table is in time order as a live one is.

The functions work on Django's default connection: call setup_django() first.
"""

import os
import secrets
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


LOG_INSERTS = (
    "ALTER TABLE consultations_consultation "
    "{} TRIGGER analytics_log_consultation_insert"
)


def setup_django(database_url: str) -> None:
    """Configure Django for the database, handling requests as in production."""
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


def administer(server: str, statement: str) -> None:
    """Run a statement such as CREATE DATABASE on the server's maintenance database."""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(statement)


def generate(rows: int, seed: float) -> dict[str, list[int]]:
    """
    Create the dimension values and insert `rows` consultations over the year;
    return the values' ids as `insert` takes them.
    """
    from django.db import connection

    ids = _create_dimension_values()
    counts = _rows_per_day(rows)
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The change log is left out, as when a dump is restored: the rebuild
        # reads the consultations themselves.
        cursor.execute(LOG_INSERTS.format("DISABLE"))
        cursor.execute("SELECT setseed(%s)", [seed])
        for first_day in range(0, DAYS, DAYS_PER_STATEMENT):
            days = slice(first_day, min(first_day + DAYS_PER_STATEMENT, DAYS))
            insert(ids, range(DAYS)[days], counts[days], firsts[days])
        cursor.execute(LOG_INSERTS.format("ENABLE"))
        cursor.execute("VACUUM (ANALYZE) consultations_consultation")
    seconds = time.perf_counter() - started
    print(
        f"generated {rows:,} consultations in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s)",
        flush=True,
    )
    return ids


def insert(
    ids: dict[str, list[int]], days: range, counts: np.ndarray, firsts: np.ndarray
) -> None:
    """
    Insert counts[i] consultations on days[i] of the year (from 0), numbering their
    external ids from firsts[i] + 1.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            GENERATE,
            {
                **ids,
                **_draw_tables(),
                "days": list(days),
                "counts": [int(count) for count in counts],
                "firsts": [int(first) for first in firsts],
            },
        )


def dimension_ids() -> dict[str, list[int]]:
    """Return the stored dimension values' ids, in the order of DIMENSION_VALUES."""
    from consultations.models import Consultation

    ids = {}
    for name, values in DIMENSION_VALUES.items():
        model = Consultation._meta.get_field(name).related_model
        by_code = dict(model.objects.values_list("code", "pk"))
        ids[name] = [by_code[value.code] for value in values]
    return ids


def rebuild() -> float:
    """Rebuild the aggregates, print the rate, let them settle; return the seconds."""
    from analytics.services import rebuild_aggregates

    rows = count("consultations_consultation")
    started = time.perf_counter()
    rebuild_aggregates()
    seconds = time.perf_counter() - started
    print(
        f"rebuilt the aggregates of {rows:,} consultations in {seconds:.1f} s: "
        f"{rows / seconds:,.0f} consultations/s",
        flush=True,
    )
    started = time.perf_counter()
    vacuum("analytics_trafficaggregate", "analytics_latencyhistogram")
    print(f"vacuumed the aggregates in {time.perf_counter() - started:.1f} s")
    return seconds


def describe_store() -> None:
    """Print the sizes of the consultations and of the aggregates."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('analytics_trafficaggregate'), "
            "pg_total_relation_size('analytics_latencyhistogram'), "
            "pg_total_relation_size('consultations_consultation')"
        )
        traffic_bytes, latency_bytes, raw_bytes = cursor.fetchone()
    print(
        f"store: {count('consultations_consultation'):,} consultations "
        f"({raw_bytes / 2**20:,.0f} MiB); "
        f"{count('analytics_trafficaggregate'):,} traffic rows "
        f"({traffic_bytes / 2**20:,.0f} MiB), "
        f"{count('analytics_latencyhistogram'):,} latency rows "
        f"({latency_bytes / 2**20:,.0f} MiB)",
        flush=True,
    )


def count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def vacuum(*tables: str) -> None:
    # What autovacuum does soon after a bulk change: measurements then start from
    # a steady state rather than from freshly written pages.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


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
