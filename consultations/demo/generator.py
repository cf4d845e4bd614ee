"""Generate demo consultations for a range of days and record what was injected."""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.utils import timezone

from .dimensions import ensure_rows
from .population import CustomerPool, Roster, customer_pool, roster
from .profiles import capacity_by_hour
from .records import Context, Records, build_records
from .scenario import DemoOptions, Scenario, build_scenario
from .truth import build_truth
from .volume import Arrivals, day_grid, draw_arrivals
from .writer import consultation_writer, to_chunk

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class GenerationResult:
    scenario: Scenario
    generated: int
    created: int
    customers: int
    agents: int
    truth: dict


def generate_demo_data(
    options: DemoOptions,
    *,
    on_day: Callable[[int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> GenerationResult:
    """
    Generate and store the consultations of every day of the range.

    Each day draws from its own random stream, seeded by the seed and the date, so a
    day's content does not depend on how many days were generated before it. Keys
    already stored are skipped: running the same options twice adds nothing.
    `on_day` is called after each day with the number of consultations drawn.
    """
    started = time.monotonic()
    scenario = build_scenario(options)
    customers = customer_pool(options.per_day)
    agents = roster()
    lookup = ensure_rows(
        customers=customers, roster=agents, time_zone=options.time_zone
    )

    expected: dict[date, dict[str, float]] = {}
    pending: list[tuple[Records, list[str]]] = []
    generated = 0
    with consultation_writer(now=timezone.now()) as writer:
        for day, arrivals, records in _draw_days(scenario, customers, agents):
            expected[day] = arrivals.expected
            generated += len(records)
            pending.append((records, external_ids(options.seed, day, len(records))))
            if sum(len(part) for part, _ids in pending) >= chunk_rows:
                writer.write(to_chunk(pending, lookup))
                pending = []
            if on_day is not None:
                on_day(len(records))
        if pending:
            writer.write(to_chunk(pending, lookup))

    logger.info(
        "generated %d demo consultations (%d new) over %d days in %d ms",
        generated,
        writer.created,
        options.days,
        (time.monotonic() - started) * 1000,
    )
    return GenerationResult(
        scenario=scenario,
        generated=generated,
        created=writer.created,
        customers=len(customers.external_ids),
        agents=len(agents.agents),
        truth=build_truth(scenario, expected),
    )


def _draw_days(
    scenario: Scenario, customers: CustomerPool, agents: Roster
) -> Iterator[tuple[date, Arrivals, Records]]:
    """Yield each day's arrivals and records, drawn from the day's own stream."""
    options = scenario.options
    capacity = capacity_by_hour(options.per_day)
    for day in scenario.days:
        rng = np.random.default_rng([options.seed, day.toordinal()])
        grid = day_grid(day, options.time_zone)
        plan = scenario.plans[day]
        arrivals = draw_arrivals(
            plan, grid, per_day=options.per_day, outages=scenario.outages, rng=rng
        )
        context = Context(
            plan=plan,
            grid=grid,
            capacity=capacity,
            customers=customers,
            roster=agents,
            time_zone=options.time_zone,
        )
        yield day, arrivals, build_records(arrivals, context, rng)


def external_ids(seed: int, day: date, count: int) -> list[str]:
    """Return the external ids of a day's consultations: seed, date, sequence."""
    prefix = f"s{seed}-{day:%Y%m%d}-"
    return [f"{prefix}{n:06d}" for n in range(1, count + 1)]
