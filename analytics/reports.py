"""
The core reports: distribution over the day, weekday x slot heatmap, trend,
concurrency per slot and quality per slot.

Each has the database sum aggregates per local key through `selectors` (a few
hundred rows for a year) and counts what the calendar holds with `slots.LocalGrid`;
none scans consultations. Figures that have no basis (a slot that does not exist in
the range, a rate without trials) are None.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.reporting.base import Report, ReportQuery
from analytics.reporting.registry import register
from consultations.models import Consultation

from .buckets import BUCKET_US
from .grouping import DIMENSIONS
from .localtime import LocalKey
from .models import BIN_FIELDS
from .quality import QUALITY_BASES, QUALITY_COLUMNS, QUALITY_MEASURES, quality_figures
from .report_results import (
    ConcurrencyResult,
    DayDistributionResult,
    QualityResult,
    TrendResult,
    WeekdayHourResult,
)
from .selectors import (
    KeyedSums,
    LocalScope,
    get_latency_histograms,
    get_load,
    get_traffic_breakdown,
    get_traffic_sums,
)
from .slots import (
    LocalGrid,
    day_date,
    max_by,
    period_keys,
    period_label,
    slot_label,
    slot_labels,
    sum_by,
)
from .statistics import ratio

_WEEKDAYS = range(1, 8)


def _grid(query: ReportQuery) -> LocalGrid:
    bounds = query.slice_filter
    return LocalGrid.build(bounds.start, bounds.end, query.zone, query.slot_minutes)


def _cell_volumes(
    query: ReportQuery, grid: LocalGrid, key: LocalKey, size: int
) -> tuple[list[dict], int]:
    """
    Return the count, mean per day and share of every cell of a local key that
    takes values in [0, size), and the total volume.
    """
    sums = get_traffic_sums(grid.scope(query.slice_filter, key), ["volume"])
    counts = _spread(sums, size)[:, 0].tolist()
    days = grid.days_per_cell(grid.local.key(key), size).tolist()
    total = sum(counts)
    figures = [
        {
            "count": count,
            "mean_per_day": ratio(count, days_of_cell),
            "share": ratio(count, total) or 0.0,
        }
        for count, days_of_cell in zip(counts, days, strict=True)
    ]
    return figures, total


def _spread(sums: KeyedSums, size: int) -> np.ndarray:
    """Return sums keyed in [0, size) as one row per key, zero where none came."""
    spread = np.zeros((size, sums.values.shape[1]), dtype=np.int64)
    spread[sums.keys] = sums.values
    return spread


@register
class DayDistributionReport(Report):
    """
    Report the volume per slot of the local day over the range.

    `mean_per_day` divides by the days on which the slot exists (a slot skipped by
    a spring-forward day does not count that day; the hour a fall-back day repeats
    counts both occurrences once each in `count` and the day once); it is None for
    a slot that does not exist in the range.
    """

    slug = "day-distribution"
    title = _("Distribution over the day")
    description = _(
        "Consultations started in each slot of the local day: the total, the mean "
        "per day on which the slot exists, and the share of all volume."
    )
    result_serializer = DayDistributionResult

    def compute(self, query: ReportQuery) -> dict:
        grid = _grid(query)
        key = LocalKey.slot_of_day(query.slot_minutes)
        figures, total = _cell_volumes(query, grid, key, grid.slot_count)

        rows = [
            {"slot": label, **cell}
            for label, cell in zip(
                slot_labels(query.slot_minutes), figures, strict=True
            )
        ]
        return {"rows": rows, "total": total, "days": len(grid.days)}

    def csv_columns(self, result: Mapping[str, Any]) -> list[str]:
        return ["slot", "count", "mean_per_day", "share"]


@register
class WeekdayHourReport(Report):
    """
    Report the volume per ISO weekday and slot of the local day.

    `mean_per_day` divides by the days of that weekday on which the slot exists;
    `share` is of all volume in the range.
    """

    slug = "weekday-hour"
    title = _("Weekday x hour heatmap")
    description = _(
        "Consultations started in each slot of each weekday (ISO, 1 = Monday): the "
        "total, the mean per day of that weekday, and the share of all volume."
    )
    result_serializer = WeekdayHourResult

    def compute(self, query: ReportQuery) -> dict:
        grid = _grid(query)
        size = 7 * grid.slot_count
        key = LocalKey.weekday_slot(query.slot_minutes)
        figures, total = _cell_volumes(query, grid, key, size)

        cells = [
            {"weekday": weekday, "slot": label}
            for weekday in _WEEKDAYS
            for label in slot_labels(query.slot_minutes)
        ]
        rows = [{**cell, **figure} for cell, figure in zip(cells, figures, strict=True)]
        return {"rows": rows, "total": total, "days": len(grid.days)}

    def csv_columns(self, result: Mapping[str, Any]) -> list[str]:
        return ["weekday", "slot", "count", "mean_per_day", "share"]


def _dimension_choices() -> list[tuple[str, str]]:
    return [
        (name, Consultation._meta.get_field(name).verbose_name) for name in DIMENSIONS
    ]


class TrendOptions(serializers.Serializer):
    granularity = serializers.ChoiceField(
        choices=[("day", _("day")), ("week", _("ISO week")), ("month", _("month"))],
        default="day",
        help_text=_("The length of each period."),
    )
    breakdown = serializers.ChoiceField(
        choices=_dimension_choices(),
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A dimension to split each period by, one row per value."),
    )


@register
class TrendReport(Report):
    """
    Report the volume per local day, ISO week or month, optionally per value of one
    dimension.

    Every period the range touches has a row, zero included; a week or month cut by
    the range counts only its days inside the range. With a breakdown there is one
    row per period and value: the filtered values of that dimension if it is
    filtered, else every active value and any other with volume in the range
    (code None for "none").
    """

    slug = "trend"
    title = _("Trend")
    description = _(
        "Consultations started per day, ISO week or month, optionally split by the "
        "values of one dimension."
    )
    options_serializer = TrendOptions
    result_serializer = TrendResult

    def compute(self, query: ReportQuery) -> dict:
        granularity = query.options.get("granularity") or "day"
        breakdown = query.options.get("breakdown") or ""
        grid = _grid(query)
        periods = Periods(np.unique(period_keys(grid.days, granularity)), granularity)
        scope = grid.scope(query.slice_filter, LocalKey.day())

        if breakdown:
            rows = _breakdown_rows(query, scope, periods, breakdown)
        else:
            sums = get_traffic_sums(scope, ["volume"])
            counts = sum_by(
                periods.of_days(sums.keys), sums.column("volume"), len(periods)
            )
            rows = [
                {"period": label, "count": count}
                for label, count in zip(periods.labels, counts.tolist(), strict=True)
            ]
        total = sum(row["count"] for row in rows)
        return {
            "rows": rows,
            "total": total,
            "granularity": granularity,
            "breakdown": breakdown or None,
        }

    def csv_columns(self, result: Mapping[str, Any]) -> list[str]:
        if result["breakdown"]:
            return ["period", "code", "name", "count"]
        return ["period", "count"]


@dataclass(frozen=True)
class Periods:
    """The periods a trend reports: their keys (see `period_keys`), in order."""

    keys: np.ndarray
    granularity: str

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def labels(self) -> list[str]:
        return [period_label(key, self.granularity) for key in self.keys]

    def of_days(self, days: np.ndarray) -> np.ndarray:
        """Return the index of the period of each local day of the range."""
        return np.searchsorted(self.keys, period_keys(days, self.granularity))


def _breakdown_rows(
    query: ReportQuery, scope: LocalScope, periods: Periods, dimension: str
) -> list[dict]:
    sums = get_traffic_breakdown(scope, dimension)
    values = _breakdown_values(dimension, query.dimensions.get(dimension), sums.ids)
    ids = np.array([pk for pk, _code, _name in values], dtype=np.int64)
    order = np.argsort(ids)
    value_of_row = order[np.searchsorted(ids, sums.ids, sorter=order)]
    cells = periods.of_days(sums.keys) * len(values) + value_of_row
    counts = sum_by(cells, sums.column("volume"), len(periods) * len(values))

    counts = counts.reshape(len(periods), len(values)).tolist()
    return [
        {"period": label, "code": code, "name": name, "count": counts[p][v]}
        for p, label in enumerate(periods.labels)
        for v, (_pk, code, name) in enumerate(values)
    ]


def _breakdown_values(
    dimension: str, filtered: tuple[int, ...] | None, seen: np.ndarray
) -> list[tuple[int, str | None, str]]:
    """Return (id, code, name) of each value to report, ordered by code, none last."""
    model = Consultation._meta.get_field(dimension).related_model
    if filtered:
        wanted = set(filtered)
    else:
        active = model.objects.filter(is_active=True).values_list("pk", flat=True)
        wanted = set(active) | set(np.unique(seen).tolist())
    named = {
        pk: (code, name)
        for pk, code, name in model.objects.filter(pk__in=wanted).values_list(
            "pk", "code", "name"
        )
    }
    values = [(pk, *named.get(pk, (None, gettext("(none)")))) for pk in wanted]
    return sorted(values, key=lambda value: (value[1] is None, value[1] or ""))


@register
class ConcurrencyReport(Report):
    """
    Report how many consultations are in progress per slot of the local day.

    `mean` is the time average of the number in progress over every occurrence of
    the slot in the range (busy time / time the slot existed, so the hour a
    fall-back day repeats weighs twice its length); `max` is the highest per-minute
    sample in the slot on any day. `per_day` gives the same for each local day.
    """

    slug = "concurrency"
    title = _("Concurrency per slot")
    description = _(
        "The mean and the maximum number of consultations in progress in each slot "
        "of the local day, and per day; the maximum is sampled every minute."
    )
    result_serializer = ConcurrencyResult

    def compute(self, query: ReportQuery) -> dict:
        grid = _grid(query)
        load = get_load(
            grid.scope(query.slice_filter, LocalKey.slot(query.slot_minutes))
        )
        busy, peak = load.column("busy_us"), load.column("peak")
        # The key counts local slots from 1970-01-01 local.
        slot_of_row = load.keys % grid.slot_count
        day_of_row = np.searchsorted(grid.days, load.keys // grid.slot_count)

        day_of_bucket = np.searchsorted(grid.days, grid.day)
        slot_rows = _load_rows(slot_of_row, grid.slot, busy, peak, grid.slot_count)
        day_rows = _load_rows(day_of_row, day_of_bucket, busy, peak, len(grid.days))
        return {
            "rows": [
                {"slot": slot_label(i, query.slot_minutes), **row}
                for i, row in enumerate(slot_rows)
            ],
            "per_day": [
                {"date": day_date(day).isoformat(), **row}
                for day, row in zip(grid.days.tolist(), day_rows, strict=True)
            ],
            "overall": {
                "mean": ratio(int(busy.sum()), len(grid.slot) * BUCKET_US),
                "max": int(peak.max(initial=0)),
            },
        }

    def csv_columns(self, result: Mapping[str, Any]) -> list[str]:
        return ["slot", "mean", "max"]


def _load_rows(
    cell_of_row: np.ndarray,
    cell_of_bucket: np.ndarray,
    busy: np.ndarray,
    peak: np.ndarray,
    size: int,
) -> list[dict]:
    """Return the mean and maximum load of each cell."""
    busy_us = sum_by(cell_of_row, busy, size).tolist()
    existing_us = (np.bincount(cell_of_bucket, minlength=size) * BUCKET_US).tolist()
    maxima = max_by(cell_of_row, peak, size).tolist()
    return [
        {"mean": ratio(busy_us[i], existing_us[i]), "max": maxima[i]}
        for i in range(size)
    ]


@register
class QualityReport(Report):
    """
    Report the quality figures of SPEC section 4 per slot of the local day.

    Rates carry a 95% Wilson interval (`<figure>_low`, `<figure>_high`); times are
    in seconds, quantiles read from the fixed histograms (error within one bin, see
    `histogram.py`). Each figure rests on the count named in `bases`, and
    `<count>_thin` marks a count below PEAKDESK_THIN_COUNT. `overall` holds the
    same figures for the whole range.
    """

    slug = "quality"
    title = _("Quality per slot")
    description = _(
        # xgettext:no-python-format
        "Conversion, satisfaction, CSAT, first-response time, duration and "
        "abandonment per slot of the local day, with the counts they rest on, 95% "
        "intervals and a mark on figures with too few observations."
    )
    result_serializer = QualityResult

    def compute(self, query: ReportQuery) -> dict:
        grid = _grid(query)
        scope = grid.scope(query.slice_filter, LocalKey.slot_of_day(query.slot_minutes))
        sums = _spread(get_traffic_sums(scope, QUALITY_MEASURES), grid.slot_count)
        latency = get_latency_histograms(scope)
        wait = _spread(latency.only(BIN_FIELDS["wait"]), grid.slot_count)
        duration = _spread(latency.only(BIN_FIELDS["duration"]), grid.slot_count)

        rows = [
            {
                "slot": slot_label(i, query.slot_minutes),
                **quality_figures(sums[i], wait[i], duration[i]),
            }
            for i in range(grid.slot_count)
        ]
        overall = quality_figures(
            sums.sum(axis=0), wait.sum(axis=0), duration.sum(axis=0)
        )
        return {
            "rows": rows,
            "overall": overall,
            "bases": dict(QUALITY_BASES),
            "thin_count": settings.PEAKDESK_THIN_COUNT,
        }

    def csv_columns(self, result: Mapping[str, Any]) -> list[str]:
        return ["slot", *QUALITY_COLUMNS]
