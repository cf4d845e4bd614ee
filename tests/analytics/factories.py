"""
Seeded random consultations for the report tests, and the plain records read back.

The draw covers what reports must get right: starts on and just off bucket
boundaries, sessions crossing midnight and the range's ends, waits and durations
beyond the last histogram edge, sessions longer than the concurrency cap, open
sessions, and every dimension left empty now and then.
"""

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from analytics.engine.store import clear_aggregates
from analytics.grouping import DIMENSIONS
from analytics.models import ConsultationChange, FillState
from analytics.reporting.base import ReportQuery
from consultations.models import Consultation

VALUES_PER_DIMENSION = {
    "channel": 3,
    "consultation_type": 2,
    "business_line": 2,
    "product_category": 3,
    "customer_tier": 2,
    "team": 3,
}


@dataclass(frozen=True)
class Record:
    """A consultation as the reference computations read it (dimension 0 = none)."""

    started_at: dt.datetime
    first_response_at: dt.datetime | None
    ended_at: dt.datetime | None
    dimensions: dict[str, int]
    converted: bool
    abandoned: bool
    satisfaction: int | None


def dimension_model(name: str) -> type:
    return Consultation._meta.get_field(name).related_model


def create_dimension_values() -> dict[str, list[int]]:
    """Create a few values of every dimension; return their ids per dimension."""
    ids: dict[str, list[int]] = {}
    for name, count in VALUES_PER_DIMENSION.items():
        model = dimension_model(name)
        code = name.replace("_", "-")
        ids[name] = [
            model.objects.create(code=f"{code}-{i}", name=f"{name} {i}").pk
            for i in range(count)
        ]
    return ids


def create_consultations(
    seed: int,
    dimension_ids: dict[str, list[int]],
    windows: Sequence[tuple[dt.datetime, dt.datetime]],
    per_window: int,
) -> int:
    """Create `per_window` random consultations starting in each UTC window."""
    rng = random.Random(seed)
    consultations = [
        _draw(rng, dimension_ids, start, end, f"{number}-{i}")
        for number, (start, end) in enumerate(windows)
        for i in range(per_window)
    ]
    Consultation.objects.bulk_create(consultations, batch_size=2000)
    return len(consultations)


def load_records() -> list[Record]:
    """Return every stored consultation as a plain record."""
    columns = [f"{name}_id" for name in DIMENSIONS]
    rows = Consultation.objects.values_list(
        "started_at",
        "first_response_at",
        "ended_at",
        "converted",
        "abandoned",
        "satisfaction",
        *columns,
    )
    return [
        Record(
            started_at=row[0],
            first_response_at=row[1],
            ended_at=row[2],
            dimensions={name: row[6 + i] or 0 for i, name in enumerate(DIMENSIONS)},
            converted=row[3],
            abandoned=row[4],
            satisfaction=row[5],
        )
        for row in rows
    ]


def remove_everything() -> None:
    """Delete the consultations, dimension values and every aggregate."""
    Consultation.objects.all().delete()
    for name in DIMENSIONS:
        dimension_model(name).objects.all().delete()
    ConsultationChange.objects.all().delete()
    clear_aggregates()
    FillState.objects.all().delete()


def _draw(
    rng: random.Random,
    dimension_ids: dict[str, list[int]],
    start: dt.datetime,
    end: dt.datetime,
    external_id: str,
) -> Consultation:
    started_at = _start(rng, start, end)
    first_response_at = _first_response(rng, started_at)
    return Consultation(
        source="report-tests",
        external_id=external_id,
        started_at=started_at,
        first_response_at=first_response_at,
        ended_at=_end(rng, started_at, first_response_at),
        converted=rng.random() < 0.25,
        abandoned=first_response_at is None and rng.random() < 0.6,
        satisfaction=rng.randint(1, 5) if rng.random() < 0.6 else None,
        **{
            f"{name}_id": _dimension_value(rng, name, ids)
            for name, ids in dimension_ids.items()
        },
    )


def _start(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span_us = (end - start) // dt.timedelta(microseconds=1)
    moment = start + dt.timedelta(microseconds=rng.randrange(span_us))
    boundary = moment.replace(
        minute=moment.minute - moment.minute % 15, second=0, microsecond=0
    )
    roll = rng.random()
    if roll < 0.05:
        # Exactly on a bucket boundary, which belongs to the later bucket.
        return boundary
    if roll < 0.08:
        # The last microsecond of the bucket before.
        return boundary - dt.timedelta(microseconds=1)
    return moment


def _first_response(rng: random.Random, started_at: dt.datetime) -> dt.datetime | None:
    if rng.random() < 0.15:
        return None
    if rng.random() < 0.03:
        seconds = rng.uniform(3600, 5000)
    else:
        seconds = rng.expovariate(1 / 45)
    return started_at + dt.timedelta(seconds=seconds)


def _end(
    rng: random.Random, started_at: dt.datetime, first_response_at: dt.datetime | None
) -> dt.datetime | None:
    if rng.random() < 0.1:
        return None
    after = first_response_at or started_at
    roll = rng.random()
    if roll < 0.01:
        # Longer than the concurrency cap and the last duration edge.
        return after + dt.timedelta(hours=rng.uniform(10, 20))
    if roll < 0.03:
        return after
    return after + dt.timedelta(seconds=rng.expovariate(1 / 700))


def _dimension_value(rng: random.Random, name: str, ids: list[int]) -> int | None:
    if name != "channel" and rng.random() < 0.15:
        return None
    return rng.choice(ids)


# Report ranges (zone, first local day, day after the last) inside the windows of
# `conftest.WINDOWS`; New York's cross the 2026 spring-forward and fall-back days.
SCENARIOS: dict[str, tuple[str, dt.date, dt.date]] = {
    "shanghai": ("Asia/Shanghai", dt.date(2026, 3, 2), dt.date(2026, 3, 11)),
    "new-york-march": ("America/New_York", dt.date(2026, 3, 5), dt.date(2026, 3, 12)),
    "new-york-november": (
        "America/New_York",
        dt.date(2026, 10, 29),
        dt.date(2026, 11, 5),
    ),
    "kolkata": ("Asia/Kolkata", dt.date(2026, 3, 2), dt.date(2026, 3, 11)),
    "kathmandu": ("Asia/Kathmandu", dt.date(2026, 10, 28), dt.date(2026, 11, 4)),
}
# Filters by position of the value among those created (None for "none"). Three
# dimensions are read from the full grouping, the others from their own.
FILTERS: dict[str, dict[str, tuple[int | None, ...]]] = {
    "unfiltered": {},
    "one-value": {"channel": (0,)},
    "several-values": {"channel": (0, 2)},
    "two-dimensions": {"business_line": (1,), "team": (None, 1)},
    "three-dimensions": {
        "channel": (0, 1),
        "product_category": (2,),
        "customer_tier": (0,),
    },
}
SLOT_SIZES = (15, 30, 60)


def report_cases() -> list[tuple[str, int, str]]:
    """
    Return (scenario, slot minutes, filter) cases: every scenario with every slot
    size unfiltered, and every filter in every scenario with the slot size rotating.
    """
    cases = [(s, slot, "unfiltered") for s in SCENARIOS for slot in SLOT_SIZES]
    filtered = [(s, f) for f in FILTERS if f != "unfiltered" for s in SCENARIOS]
    cases += [
        (s, SLOT_SIZES[i % len(SLOT_SIZES)], f) for i, (s, f) in enumerate(filtered)
    ]
    return cases


def build_query(
    scenario: str,
    slot_minutes: int,
    dimensions: dict[str, tuple[int, ...]],
    **options: Any,
) -> ReportQuery:
    """Return the report query of a scenario of SCENARIOS."""
    zone, start_date, end_date = SCENARIOS[scenario]
    return ReportQuery(
        start_date=start_date,
        end_date=end_date,
        zone=ZoneInfo(zone),
        slot_minutes=slot_minutes,
        dimensions=dimensions,
        options=options,
    )


def schema_mismatches(report: Any, result: dict) -> dict:
    """
    Return what a report's result serializer rejects in a result, and the keys of
    the result and its rows that it does not document (empty when they agree).
    """
    serializer = report.result_serializer(data=result)
    serializer.is_valid()
    row_fields = serializer.fields["rows"].child.fields
    undocumented = sorted(set(result) - set(serializer.fields)) + sorted(
        {f"rows.{key}" for row in result["rows"] for key in row}
        - {f"rows.{name}" for name in row_fields}
    )
    mismatches = dict(serializer.errors)
    if undocumented:
        mismatches["undocumented"] = undocumented
    return mismatches
