"""
Arrivals: how many consultations start in each 15-minute slot of a day, and when.

A day is the business-local calendar day, so it has 23, 24 or 25 hours when the
business zone changes clocks. Overseas customers follow the shape of their own local
day, whatever hour that is in the business zone.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .catalogue import LINES, OVERSEAS_ZONES
from .profiles import hourly_shape, overseas_shape
from .scenario import DayKind, DayPlan, Outage

SLOT_SECONDS = 15 * 60
DAILY_NOISE_SD = 0.06


@dataclass(frozen=True)
class DayGrid:
    """The 15-minute slots of one business day and their local hours."""

    day: date
    slot_starts: np.ndarray  # epoch seconds, UTC
    business_hours: np.ndarray
    zone_hours: np.ndarray  # one row per overseas zone


@dataclass(frozen=True)
class Arrivals:
    """Start times of one day's consultations, ordered, with their line and zone."""

    started_at: np.ndarray  # epoch seconds, UTC
    slot: np.ndarray
    line: np.ndarray  # index into LINES
    zone: np.ndarray  # 0 for domestic, k for OVERSEAS_ZONES[k - 1]
    expected: dict[str, float]

    def __len__(self) -> int:
        return len(self.started_at)


def day_grid(day: date, time_zone: str) -> DayGrid:
    """Return the slots from local midnight to the next local midnight."""
    zone = ZoneInfo(time_zone)
    first = datetime.combine(day, time(), tzinfo=zone).timestamp()
    after = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).timestamp()
    slot_starts = np.arange(int(first), int(after), SLOT_SECONDS, dtype=np.int64)
    return DayGrid(
        day=day,
        slot_starts=slot_starts,
        business_hours=local_hours(slot_starts, zone),
        zone_hours=np.array(
            [local_hours(slot_starts, ZoneInfo(z.name)) for z in OVERSEAS_ZONES]
        ),
    )


def local_hours(instants: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Return the local hour of each epoch second, exact across offset changes."""
    ends = [datetime.fromtimestamp(int(instants[i]), zone) for i in (0, -1)]
    if ends[0].utcoffset() == ends[1].utcoffset():
        offsets = np.full(len(instants), ends[0].utcoffset().total_seconds())
    else:
        offsets = np.array(
            [
                datetime.fromtimestamp(int(moment), UTC)
                .astimezone(zone)
                .utcoffset()
                .total_seconds()
                for moment in instants
            ]
        )
    return ((instants + offsets.astype(np.int64)) // 3600) % 24


def draw_arrivals(
    plan: DayPlan,
    grid: DayGrid,
    *,
    per_day: int,
    outages: list[Outage],
    rng: np.random.Generator,
) -> Arrivals:
    """Draw Poisson arrivals per slot from the expected rates and order them in time."""
    rates = _rates(plan, grid, per_day, rng)
    for outage in outages:
        down = (grid.slot_starts >= outage.start.timestamp()) & (
            grid.slot_starts < outage.end.timestamp()
        )
        rates[:, :, down] *= outage.volume_factor

    counts = rng.poisson(rates)
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    lines, zones, slots = np.unravel_index(cells, counts.shape)
    started_at = grid.slot_starts[slots] + rng.integers(0, SLOT_SECONDS, len(cells))
    order = np.argsort(started_at, kind="stable")
    return Arrivals(
        started_at=started_at[order],
        slot=slots[order],
        line=lines[order],
        zone=zones[order],
        expected={
            line.code: float(rates[index].sum()) for index, line in enumerate(LINES)
        },
    )


def _rates(
    plan: DayPlan, grid: DayGrid, per_day: int, rng: np.random.Generator
) -> np.ndarray:
    """Return expected arrivals by line, zone (domestic first) and slot."""
    noise = rng.lognormal(0.0, DAILY_NOISE_SD, len(LINES))
    weekend = plan.kind is not DayKind.WORKING
    abroad = overseas_shape()
    rates = np.zeros((len(LINES), 1 + len(OVERSEAS_ZONES), len(grid.slot_starts)))
    for index, line in enumerate(LINES):
        volume = per_day * line.share * noise[index]
        shape = hourly_shape(
            line.code, weekend=weekend, campaign=plan.campaign is not None
        )
        domestic = volume * plan.factors[line.code] * (1 - line.overseas_share)
        rates[index, 0] = domestic * shape[grid.business_hours] / 4

        # Overseas demand ignores the Chinese calendar but not global campaigns.
        campaign = plan.campaign.multiplier(line.code) if plan.campaign else 1.0
        overseas = volume * campaign * line.overseas_share
        for k, zone in enumerate(OVERSEAS_ZONES, start=1):
            rates[index, k] = (
                overseas * zone.weight * abroad[grid.zone_hours[k - 1]] / 4
            )
    return rates
