"""
The calendar of a demo run: which days are special and by how much.

Everything here is decided before a single consultation is drawn, from the options
alone, and is what the ground-truth file reports.
"""

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from .catalogue import LINES, WORKING_WEEKDAY_FACTORS

ADJUSTED_WORKING_DAY_FACTOR = 0.95
PRE_HOLIDAY_FACTOR = 1.1
POST_HOLIDAY_FACTOR = 1.2

MONTH_END_LINE = "finance"
MONTH_END_DAYS = 3
MONTH_END_FACTOR = 1.6
MONTH_START_DAYS = 2
MONTH_START_FACTOR = 1.3

# month, day, name, multiplier per business line
YEARLY_CAMPAIGNS: tuple[tuple[int, int, str, dict[str, float]], ...] = (
    (6, 18, "Mid-year sale (6.18)", {"retail": 2.2, "finance": 1.15}),
    (11, 11, "Singles' Day (11.11)", {"retail": 3.0, "finance": 1.3}),
)
FLASH_SALE = ("Flash sale", {"retail": 1.8})

OUTAGE_START_HOURS = (9, 10, 14)
OUTAGE_LENGTHS_MINUTES = (120, 150, 180, 210)
OUTAGE_VOLUME_FACTOR = 0.02


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    """What a demo run was asked for; the seed makes it reproducible."""

    days: int
    per_day: int
    seed: int
    end: date
    time_zone: str

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)


class DayKind(enum.StrEnum):
    WORKING = "working_day"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


@dataclass(frozen=True, kw_only=True)
class Campaign:
    day: date
    name: str
    multipliers: dict[str, float]

    def multiplier(self, line_code: str) -> float:
        return self.multipliers.get(line_code, 1.0)


@dataclass(frozen=True, kw_only=True)
class Outage:
    day: date
    start: datetime
    end: datetime
    volume_factor: float


@dataclass(frozen=True, kw_only=True)
class DayPlan:
    """How one day of the range differs from an ordinary working day."""

    day: date
    kind: DayKind
    factors: dict[str, float]
    campaign: Campaign | None = None


@dataclass(frozen=True, kw_only=True)
class Scenario:
    options: DemoOptions
    days: list[date]
    holidays: dict[date, str]
    adjusted_working_days: list[date]
    pre_holiday_days: list[date]
    post_holiday_days: list[date]
    campaigns: dict[date, Campaign]
    outages: list[Outage]
    plans: dict[date, DayPlan]


def build_scenario(options: DemoOptions) -> Scenario:
    """Return the calendar of the run: holidays, campaigns, month ends, outages."""
    days = [options.start + timedelta(days=n) for n in range(options.days)]
    calendar = holidays.China(
        years=range(options.start.year - 1, options.end.year + 2), language="en_US"
    )

    kinds = {day: _day_kind(calendar, day) for day in days}
    adjusted = [day for day in days if day in calendar.weekend_workdays]
    pre_holiday = [day for day in days if _borders_holiday(calendar, day, 1)]
    post_holiday = [day for day in days if _borders_holiday(calendar, day, -1)]
    campaigns, outages = _events(options, calendar, days)

    factor = {
        day: (PRE_HOLIDAY_FACTOR if day in pre_holiday else 1.0)
        * (POST_HOLIDAY_FACTOR if day in post_holiday else 1.0)
        * (ADJUSTED_WORKING_DAY_FACTOR if day in adjusted else 1.0)
        for day in days
    }
    return Scenario(
        options=options,
        days=days,
        holidays={day: calendar[day] for day in days if day in calendar},
        adjusted_working_days=adjusted,
        pre_holiday_days=pre_holiday,
        post_holiday_days=post_holiday,
        campaigns=campaigns,
        outages=outages,
        plans={
            day: _plan(day, kinds[day], factor[day], campaigns.get(day)) for day in days
        },
    )


def _day_kind(calendar: holidays.HolidayBase, day: date) -> DayKind:
    if calendar.is_working_day(day):
        return DayKind.WORKING
    if day in calendar:
        return DayKind.HOLIDAY
    return DayKind.WEEKEND


def _borders_holiday(calendar: holidays.HolidayBase, day: date, step: int) -> bool:
    """Tell whether a working day is next to a run of days off that has a holiday."""
    if not calendar.is_working_day(day):
        return False

    neighbour = day + timedelta(days=step)
    has_holiday = False
    while not calendar.is_working_day(neighbour):
        has_holiday = has_holiday or neighbour in calendar
        neighbour += timedelta(days=step)
    return has_holiday


def _events(
    options: DemoOptions, calendar: holidays.HolidayBase, days: list[date]
) -> tuple[dict[date, Campaign], list[Outage]]:
    """
    Return the campaigns and outages that fall in the range.

    Each month has one flash sale and one outage, drawn from the seed and the month
    alone: runs over overlapping ranges agree on every shared day, so a later run
    with another end date extends the data without contradicting it.
    """
    in_range = set(days)
    campaigns = {
        day: Campaign(day=day, name=name, multipliers=multipliers)
        for day in days
        for month, day_of_month, name, multipliers in YEARLY_CAMPAIGNS
        if (day.month, day.day) == (month, day_of_month)
    }
    outages = []
    for year, month in sorted({(day.year, day.month) for day in days}):
        rng = np.random.default_rng([options.seed, year, month])
        quiet = _quiet_days(calendar, year, month)
        sale = quiet[int(rng.integers(len(quiet)))]
        rest = [day for day in quiet if abs((day - sale).days) > 1]
        outage = _outage(options.time_zone, rest[int(rng.integers(len(rest)))], rng)
        if sale in in_range:
            name, multipliers = FLASH_SALE
            campaigns[sale] = Campaign(day=sale, name=name, multipliers=multipliers)
        if outage.day in in_range:
            outages.append(outage)
    return dict(sorted(campaigns.items())), outages


def _quiet_days(calendar: holidays.HolidayBase, year: int, month: int) -> list[date]:
    """Return the month's working weekdays that no other effect touches."""
    first = date(year, month, 1)
    month_days = [
        first + timedelta(days=n)
        for n in range(31)
        if (first + timedelta(days=n)).month == month
    ]
    fixed = {date(year, m, d) for m, d, _name, _factors in YEARLY_CAMPAIGNS}
    return [
        day
        for day in month_days
        if day.weekday() < 5
        and calendar.is_working_day(day)
        and not _borders_holiday(calendar, day, 1)
        and not _borders_holiday(calendar, day, -1)
        and month_position_factor(day) == 1.0
        and all(abs((day - campaign).days) > 1 for campaign in fixed)
    ]


def _outage(time_zone: str, day: date, rng: np.random.Generator) -> Outage:
    hour = int(rng.choice(OUTAGE_START_HOURS))
    minute = 15 * int(rng.integers(4))
    length = timedelta(minutes=int(rng.choice(OUTAGE_LENGTHS_MINUTES)))
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(time_zone))
    start = local.astimezone(UTC)
    return Outage(
        day=day, start=start, end=start + length, volume_factor=OUTAGE_VOLUME_FACTOR
    )


def _plan(
    day: date, kind: DayKind, factor: float, campaign: Campaign | None
) -> DayPlan:
    """Combine the effects of a day into one volume factor per business line."""
    factors = {}
    for line in LINES:
        if kind is DayKind.HOLIDAY:
            base = line.holiday_factor
        elif kind is DayKind.WEEKEND:
            base = line.weekend_factor
        elif day.weekday() >= 5:
            base = 1.0  # an adjusted working day; its own factor is in `factor`
        else:
            base = WORKING_WEEKDAY_FACTORS[day.weekday()]
        if line.code == MONTH_END_LINE:
            base *= month_position_factor(day)
        if campaign is not None:
            base *= campaign.multiplier(line.code)
        factors[line.code] = base * factor
    return DayPlan(day=day, kind=kind, factors=factors, campaign=campaign)


def month_position_factor(day: date) -> float:
    """Return the month-end (or month-start) factor of the month-end line on a day."""
    days_left = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - day
    if days_left.days <= MONTH_END_DAYS:
        return MONTH_END_FACTOR
    if day.day <= MONTH_START_DAYS:
        return MONTH_START_FACTOR
    return 1.0
