"""
Every field of a day's consultations, drawn in vectorised steps from its arrivals:
who asked about what through which channel, which team answered, how it went
(`service`), and whether it sold.
"""

from dataclasses import dataclass

import numpy as np

from . import service
from .catalogue import (
    CHANNEL_CODES,
    CHANNEL_MEDIA,
    LINES,
    OVERSEAS_CHANNELS,
    OVERSEAS_ZONES,
    TEAM_CODES,
    TYPE_CODES,
)
from .population import CustomerPool, Roster
from .profiles import STAFFED_FROM_HOUR, STAFFED_UNTIL_HOUR
from .scenario import DayPlan
from .volume import Arrivals, DayGrid

CHATBOT_CHANNELS = np.isin(CHANNEL_CODES, ["web", "app", "wechat"])
CHATBOT_SHARE_DAY = 0.15
CHATBOT_SHARE_NIGHT = 0.4
CAMPAIGN_PRE_SALES_WEIGHT = 1.6

# Conversion: per consultation type other than pre-sales, in the order of
# TYPE_CODES, and per tier (standard, vip, enterprise).
CONVERSION_OTHER_TYPES = np.array([0.0, 0.04, 0.0, 0.02])
CONVERSION_TIER_FACTOR = np.array([1.0, 1.3, 1.2])
CONVERSION_DELAY_SCALE = 60
CAMPAIGN_CONVERSION_FACTOR = 1.3
CHATBOT_CONVERSION_FACTOR = 0.6
# After the evening peak, fewer retail customers ask but more of them buy.
LATE_CONVERSION_LINE = "retail"
LATE_CONVERSION_HOURS = (22, 24)
LATE_CONVERSION_FACTOR = 1.6

LINE_TEAMS = {
    "retail": "retail_care",
    "enterprise": "enterprise_support",
    "finance": "finance_service",
}
PARTNER_TEAM = "partner_contact_centre"
# Share of a line's work sent to the partner by day, and its growth with overload.
PARTNER_SHARE = {"retail": (0.15, 0.3), "finance": (0.05, 0.2)}


@dataclass(frozen=True)
class Records:
    """One day's consultations as columns; -1 (or 0 for satisfaction) means empty."""

    started_at: np.ndarray
    first_response_at: np.ndarray
    ended_at: np.ndarray
    customer_timezone: list[str]
    channel: np.ndarray
    consultation_type: np.ndarray
    business_line: np.ndarray
    product_category: np.ndarray
    customer_tier: np.ndarray
    customer: np.ndarray
    agent: np.ndarray
    team: np.ndarray
    converted: np.ndarray
    satisfaction: np.ndarray
    abandoned: np.ndarray
    message_count: np.ndarray

    def __len__(self) -> int:
        return len(self.started_at)


@dataclass(frozen=True)
class Context:
    """What the records of a day depend on besides their arrivals."""

    plan: DayPlan
    grid: DayGrid
    capacity: np.ndarray  # per business hour
    customers: CustomerPool
    roster: Roster
    time_zone: str


def build_records(
    arrivals: Arrivals, context: Context, rng: np.random.Generator
) -> Records:
    """Draw the fields of every arrival; the same generator state gives the same day."""
    line, overseas = arrivals.line, arrivals.zone > 0
    channel = _choose(rng, _channel_weights(), line * 2 + overseas)
    kind = _choose(rng, _type_weights(context.plan), line)
    category = _choose(rng, np.array([ln.categories for ln in LINES]), line)
    customer = _pick_customers(rng, context.customers, line, arrivals.zone)
    tier = context.customers.tier[customer]

    load = _load(arrivals, context)
    hour = context.grid.business_hours[arrivals.slot]
    night = (hour < STAFFED_FROM_HOUR) | (hour >= STAFFED_UNTIL_HOUR)
    team = _teams(rng, line, overseas, channel, kind, load, night)
    chatbot = team == TEAM_CODES.index("virtual_assistant")
    time = service.timeline(rng, arrivals.started_at, channel, kind, load, chatbot)
    agent = _agents(rng, context.roster, team)

    answered = ~time.abandoned
    delay = service.delay(time.wait, channel)
    return Records(
        started_at=arrivals.started_at,
        first_response_at=time.responded,
        ended_at=time.ended,
        customer_timezone=_customer_zones(context.time_zone, arrivals.zone, channel),
        channel=channel,
        consultation_type=kind,
        business_line=line,
        product_category=category,
        customer_tier=tier,
        customer=customer,
        agent=np.where(answered, agent, -1),
        team=np.where(answered, team, -1),
        converted=answered
        & _converted(rng, context, arrivals, kind, tier, delay, chatbot),
        satisfaction=np.where(
            answered, service.satisfaction(rng, channel, kind, delay, load, chatbot), 0
        ),
        abandoned=time.abandoned,
        message_count=service.message_counts(rng, channel, time.handle, time.abandoned),
    )


def _choose(
    rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Return one column index per row, drawn with that row's weights."""
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    draws = rng.random(len(rows))
    chosen = (draws[:, None] >= cumulative[rows]).sum(axis=1)
    return np.minimum(chosen, weights.shape[1] - 1)


def _channel_weights() -> np.ndarray:
    # Row 2 * line is the line's domestic mix, row 2 * line + 1 its overseas mix.
    rows = []
    for line in LINES:
        rows += [line.channels, OVERSEAS_CHANNELS]
    return np.array(rows, dtype=float)


def _type_weights(plan: DayPlan) -> np.ndarray:
    weights = np.array([line.types for line in LINES], dtype=float)
    if plan.campaign is not None:
        for index, line in enumerate(LINES):
            if plan.campaign.multiplier(line.code) > 1:
                weights[index, TYPE_CODES.index("pre_sales")] *= (
                    CAMPAIGN_PRE_SALES_WEIGHT
                )
    return weights


def _pick_customers(
    rng: np.random.Generator, pool: CustomerPool, line: np.ndarray, zone: np.ndarray
) -> np.ndarray:
    # Skewed towards the first customers of a bucket: some customers return often.
    position = np.floor(rng.random(len(line)) ** 1.6 * pool.sizes[line, zone])
    return pool.offsets[line, zone] + position.astype(np.int64)


def _load(arrivals: Arrivals, context: Context) -> np.ndarray:
    slots = len(context.grid.slot_starts)
    arrived = np.bincount(arrivals.slot, minlength=slots)
    capacity = context.capacity[context.grid.business_hours]
    return (arrived / capacity)[arrivals.slot]


def _teams(
    rng: np.random.Generator,
    line: np.ndarray,
    overseas: np.ndarray,
    channel: np.ndarray,
    kind: np.ndarray,
    load: np.ndarray,
    night: np.ndarray,
) -> np.ndarray:
    """Route each consultation to a team: line team, partner, desk or chatbot."""
    team = np.array([TEAM_CODES.index(LINE_TEAMS[ln.code]) for ln in LINES])[line]

    by_partner = np.zeros(len(line), dtype=bool)
    overload = np.clip(load - 0.8, 0.0, 1.0)
    for index, ln in enumerate(LINES):
        if ln.code in PARTNER_SHARE:
            base, growth = PARTNER_SHARE[ln.code]
            share = np.where(night, 1.0, base + growth * overload)
            by_partner |= (line == index) & (rng.random(len(line)) < share)
    email = np.asarray(CHANNEL_MEDIA)[channel] == "message"
    team = np.where(by_partner & ~email, TEAM_CODES.index(PARTNER_TEAM), team)
    team = np.where(overseas, TEAM_CODES.index("international_desk"), team)

    eligible = CHATBOT_CHANNELS[channel] & np.isin(
        kind, [TYPE_CODES.index("pre_sales"), TYPE_CODES.index("tech_support")]
    )
    share = np.where(night, CHATBOT_SHARE_NIGHT, CHATBOT_SHARE_DAY)
    by_bot = eligible & (rng.random(len(line)) < share)
    return np.where(by_bot, TEAM_CODES.index("virtual_assistant"), team)


def _agents(rng: np.random.Generator, roster: Roster, team: np.ndarray) -> np.ndarray:
    """Pick one agent of each consultation's team, uniformly."""
    within = np.floor(rng.random(len(team)) * roster.sizes[team]).astype(np.int64)
    return roster.offsets[team] + within


def _converted(
    rng: np.random.Generator,
    context: Context,
    arrivals: Arrivals,
    kind: np.ndarray,
    tier: np.ndarray,
    delay: np.ndarray,
    chatbot: np.ndarray,
) -> np.ndarray:
    """Draw conversions: mostly pre-sales, fewer after a long wait or with the bot."""
    line = arrivals.line
    pre_sales = kind == TYPE_CODES.index("pre_sales")
    base = np.where(
        pre_sales,
        np.array([ln.pre_sales_conversion for ln in LINES])[line],
        CONVERSION_OTHER_TYPES[kind],
    )
    probability = (
        base * CONVERSION_TIER_FACTOR[tier] * np.exp(-delay / CONVERSION_DELAY_SCALE)
    )
    probability = np.where(
        chatbot, probability * CHATBOT_CONVERSION_FACTOR, probability
    )

    hour = context.grid.business_hours[arrivals.slot]
    late = (
        (line == [ln.code for ln in LINES].index(LATE_CONVERSION_LINE))
        & (arrivals.zone == 0)
        & (hour >= LATE_CONVERSION_HOURS[0])
        & (hour < LATE_CONVERSION_HOURS[1])
    )
    probability = np.where(late, probability * LATE_CONVERSION_FACTOR, probability)
    campaign = context.plan.campaign
    if campaign is not None:
        boosted = np.array([campaign.multiplier(ln.code) > 1 for ln in LINES])[line]
        probability = np.where(
            boosted & pre_sales, probability * CAMPAIGN_CONVERSION_FACTOR, probability
        )
    return rng.random(len(line)) < np.minimum(probability, 1.0)


def _customer_zones(time_zone: str, zone: np.ndarray, channel: np.ndarray) -> list[str]:
    """Return each record's customer zone; phone calls at home do not report one."""
    names = np.array([time_zone, *(z.name for z in OVERSEAS_ZONES)], dtype=object)
    zones = names[zone]
    zones[(zone == 0) & (channel == CHANNEL_CODES.index("phone"))] = ""
    return zones.tolist()
