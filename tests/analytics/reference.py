"""
The core reports computed straight from consultation records, one by one.

Nothing here uses buckets, aggregates or numpy: every instant is converted with
zoneinfo, the calendar comes from walking the range minute by minute in UTC, and
the counting is done with Counter. The reports must agree with these results.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from analytics.histogram import DURATION_EDGES, WAIT_EDGES, bin_index, quantile
from analytics.reporting.base import ReportQuery
from analytics.statistics import wilson_interval

from .factories import Record

MINUTE = dt.timedelta(minutes=1)
MINUTE_US = 60_000_000
MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Scope:
    """A report request as the reference reads it."""

    start_date: dt.date
    end_date: dt.date
    zone: ZoneInfo
    slot_minutes: int
    dimensions: Mapping[str, Sequence[int]]

    @classmethod
    def of(cls, query: ReportQuery) -> "Scope":
        """Return the scope of a report query."""
        return cls(
            query.start_date,
            query.end_date,
            query.zone,
            query.slot_minutes,
            dict(query.dimensions),
        )

    @property
    def start(self) -> dt.datetime:
        return _local_midnight(self.start_date, self.zone)

    @property
    def end(self) -> dt.datetime:
        return _local_midnight(self.end_date, self.zone)

    def slot_of(self, moment: dt.datetime) -> tuple[dt.date, int]:
        local = moment.astimezone(self.zone)
        return local.date(), (local.hour * 60 + local.minute) // self.slot_minutes

    def label(self, slot: int) -> str:
        minutes = slot * self.slot_minutes
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    @property
    def slot_count(self) -> int:
        return 1440 // self.slot_minutes

    def matches(self, record: Record) -> bool:
        return all(
            record.dimensions[name] in ids for name, ids in self.dimensions.items()
        )

    def started(self, records: Iterable[Record]) -> list[Record]:
        """Return the records of the filter that start in the range."""
        return [
            r
            for r in records
            if self.start <= r.started_at < self.end and self.matches(r)
        ]

    def minutes(self) -> list[tuple[dt.datetime, dt.date, int]]:
        """Return every UTC minute of the range with its local date and slot."""
        walk, moment = [], self.start
        while moment < self.end:
            walk.append((moment, *self.slot_of(moment)))
            moment += MINUTE
        return walk


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _mean(count: int, days: int) -> float | None:
    return count / days if days else None


def day_distribution(records: Iterable[Record], scope: Scope) -> dict:
    started = scope.started(records)
    counts = Counter(scope.slot_of(r.started_at)[1] for r in started)
    walk = scope.minutes()
    days = defaultdict(set)
    for _moment, date, slot in walk:
        days[slot].add(date)

    rows = [
        {
            "slot": scope.label(slot),
            "count": counts[slot],
            "mean_per_day": _mean(counts[slot], len(days[slot])),
            "share": _share(counts[slot], len(started)),
        }
        for slot in range(scope.slot_count)
    ]
    all_days = {date for _moment, date, _slot in walk}
    return {"rows": rows, "total": len(started), "days": len(all_days)}


def weekday_hour(records: Iterable[Record], scope: Scope) -> dict:
    started = scope.started(records)
    counts: Counter = Counter()
    for record in started:
        date, slot = scope.slot_of(record.started_at)
        counts[date.isoweekday(), slot] += 1
    walk = scope.minutes()
    days = defaultdict(set)
    for _moment, date, slot in walk:
        days[date.isoweekday(), slot].add(date)

    rows = [
        {
            "weekday": weekday,
            "slot": scope.label(slot),
            "count": counts[weekday, slot],
            "mean_per_day": _mean(counts[weekday, slot], len(days[weekday, slot])),
            "share": _share(counts[weekday, slot], len(started)),
        }
        for weekday in range(1, 8)
        for slot in range(scope.slot_count)
    ]
    all_days = {date for _moment, date, _slot in walk}
    return {"rows": rows, "total": len(started), "days": len(all_days)}


def period_of(date: dt.date, granularity: str) -> str:
    if granularity == "week":
        year, week, _day = date.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return f"{date.year}-{date.month:02d}"
    return date.isoformat()


def trend(
    records: Iterable[Record],
    scope: Scope,
    granularity: str,
    breakdown: str = "",
    values: Sequence[tuple[int, str | None, str]] = (),
) -> dict:
    """
    Return the trend; with a breakdown, `values` lists (id, code, name) of the
    values to report, in order.
    """
    started = scope.started(records)
    periods = []
    date = scope.start_date
    while date < scope.end_date:
        if period_of(date, granularity) not in periods:
            periods.append(period_of(date, granularity))
        date += dt.timedelta(days=1)

    def period(record: Record) -> str:
        return period_of(scope.slot_of(record.started_at)[0], granularity)

    if breakdown:
        counts = Counter((period(r), r.dimensions[breakdown]) for r in started)
        rows = [
            {"period": p, "code": code, "name": name, "count": counts[p, pk]}
            for p in periods
            for pk, code, name in values
        ]
    else:
        counts = Counter(period(r) for r in started)
        rows = [{"period": p, "count": counts[p]} for p in periods]
    return {
        "rows": rows,
        "total": len(started),
        "granularity": granularity,
        "breakdown": breakdown or None,
    }


def concurrency(records: Iterable[Record], scope: Scope) -> dict:
    walk = scope.minutes()
    busy, samples = _minute_load(records, scope)

    def load(minutes: list[dt.datetime]) -> dict:
        total_us = sum(busy[minute] for minute in minutes)
        return {
            "mean": total_us / (len(minutes) * MINUTE_US) if minutes else None,
            "max": max((samples[minute] for minute in minutes), default=0),
        }

    by_slot, by_day = defaultdict(list), defaultdict(list)
    for moment, date, slot in walk:
        by_slot[slot].append(moment)
        by_day[date].append(moment)
    return {
        "rows": [
            {"slot": scope.label(slot), **load(by_slot[slot])}
            for slot in range(scope.slot_count)
        ],
        "per_day": [
            {"date": date.isoformat(), **load(by_day[date])} for date in sorted(by_day)
        ],
        "overall": load([moment for moment, _date, _slot in walk]),
    }


def _minute_load(records: Iterable[Record], scope: Scope) -> tuple[Counter, Counter]:
    """
    Return per UTC minute of the range the microseconds in progress and the number
    in progress at its first instant.
    """
    busy: Counter = Counter()
    samples: Counter = Counter()
    cap = dt.timedelta(hours=settings.PEAKDESK_CONCURRENCY_MAX_HOURS)
    for record in records:
        if record.ended_at is None or not scope.matches(record):
            continue
        start = record.started_at
        end = min(record.ended_at, start + cap)
        minute = max(start, scope.start).replace(second=0, microsecond=0)
        while minute < min(end, scope.end):
            piece = min(end, minute + MINUTE) - max(start, minute)
            busy[minute] += piece // MICROSECOND
            if start <= minute:
                samples[minute] += 1
            minute += MINUTE
    return busy, samples


QUALITY_BASES = {
    "conversion_rate": "volume",
    "abandonment_rate": "volume",
    "satisfaction_mean": "rated",
    "csat_share": "rated",
    "first_response_median": "responded",
    "first_response_p90": "responded",
    "wait_mean": "responded",
    "duration_mean": "ended",
    "duration_median": "ended",
}


def quality(records: Iterable[Record], scope: Scope) -> dict:
    started = scope.started(records)
    by_slot = defaultdict(list)
    for record in started:
        by_slot[scope.slot_of(record.started_at)[1]].append(record)
    return {
        "rows": [
            {"slot": scope.label(slot), **quality_figures(by_slot[slot])}
            for slot in range(scope.slot_count)
        ],
        "overall": quality_figures(started),
        "bases": QUALITY_BASES,
        "thin_count": settings.PEAKDESK_THIN_COUNT,
    }


def waits_us(records: Iterable[Record]) -> list[int]:
    return [
        (r.first_response_at - r.started_at) // MICROSECOND
        for r in records
        if r.first_response_at is not None
    ]


def durations_us(records: Iterable[Record]) -> list[int]:
    return [
        (r.ended_at - r.started_at) // MICROSECOND
        for r in records
        if r.ended_at is not None
    ]


def binned_quantile(
    values_us: list[int], edges: Sequence[int], q: float
) -> float | None:
    """Return the quantile read from a histogram filled from the raw values."""
    counts = [0] * len(edges)
    for value in values_us:
        counts[bin_index(value / 1_000_000, edges)] += 1
    return quantile(counts, edges, q)


def quality_figures(records: list[Record]) -> dict:
    thin = settings.PEAKDESK_THIN_COUNT
    volume = len(records)
    converted = sum(r.converted for r in records)
    abandoned = sum(r.abandoned for r in records)
    ratings = [r.satisfaction for r in records if r.satisfaction is not None]
    satisfied = sum(rating >= 4 for rating in ratings)
    waits, durations = waits_us(records), durations_us(records)
    return {
        "volume": volume,
        "volume_thin": volume < thin,
        "converted": converted,
        **_rate("conversion_rate", converted, volume),
        "abandoned": abandoned,
        **_rate("abandonment_rate", abandoned, volume),
        "rated": len(ratings),
        "rated_thin": len(ratings) < thin,
        "satisfaction_mean": sum(ratings) / len(ratings) if ratings else None,
        "satisfied": satisfied,
        **_rate("csat_share", satisfied, len(ratings)),
        "responded": len(waits),
        "responded_thin": len(waits) < thin,
        "first_response_median": binned_quantile(waits, WAIT_EDGES, 0.5),
        "first_response_p90": binned_quantile(waits, WAIT_EDGES, 0.9),
        "wait_mean": sum(waits) / (len(waits) * 1_000_000) if waits else None,
        "ended": len(durations),
        "ended_thin": len(durations) < thin,
        "duration_mean": (
            sum(durations) / (len(durations) * 1_000_000) if durations else None
        ),
        "duration_median": binned_quantile(durations, DURATION_EDGES, 0.5),
    }


def _rate(prefix: str, successes: int, trials: int) -> dict:
    low, high = wilson_interval(successes, trials) or (None, None)
    return {
        prefix: successes / trials if trials else None,
        f"{prefix}_low": low,
        f"{prefix}_high": high,
    }
