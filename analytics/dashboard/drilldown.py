"""
Links from a report row to the consultations behind it.

The target is the consultation change list, filtered by the same period, time
zone and dimension codes as the report, narrowed to the row's local time of day,
weekday or period; the list reads these parameters through the filters of
`consultations/admin_filters.py`. A row is recognised by its keys, so a
third-party report whose rows carry `slot`, `weekday`, `period` or `date` drills
down too.
"""

import datetime as dt
import re
from collections.abc import Mapping

from django.http import QueryDict
from django.urls import reverse

from analytics.grouping import DIMENSIONS
from analytics.reporting.base import ReportQuery
from analytics.reporting.parameters import NO_VALUE

_SLOT = re.compile(r"^(\d{2}):(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def changelist_url(admin_site_name: str = "admin") -> str:
    return reverse(
        "admin:consultations_consultation_changelist", current_app=admin_site_name
    )


def base_filters(
    start: dt.date, end: dt.date, zone_name: str, params: QueryDict
) -> QueryDict:
    """Return the change list filters that every row of a report shares."""
    filters = QueryDict(mutable=True)
    filters["local_from"] = start.isoformat()
    filters["local_to"] = end.isoformat()
    filters["tz"] = zone_name
    for name in DIMENSIONS:
        codes = params.getlist(name)
        if codes:
            filters.setlist(name, codes)
    return filters


def row_filters(
    base: QueryDict,
    row: Mapping,
    *,
    slot_minutes: int,
    breakdown: str | None = None,
) -> QueryDict | None:
    """
    Return the change list filters of one row, or None when a row names no place
    in time that the change list can select.
    """
    filters = base.copy()
    if not _narrow_in_time(filters, row, slot_minutes):
        return None
    if breakdown in DIMENSIONS and "code" in row:
        filters.setlist(breakdown, [row["code"] or NO_VALUE])
    return filters


def _narrow_in_time(filters: QueryDict, row: Mapping, slot_minutes: int) -> bool:
    slot = row.get("slot")
    if isinstance(slot, str) and _SLOT.match(slot):
        filters["local_time"] = slot
        filters["local_minutes"] = str(slot_minutes)
        weekday = row.get("weekday")
        if isinstance(weekday, int) and 1 <= weekday <= 7:
            filters["weekday"] = str(weekday)
        return True

    period = row.get("period", row.get("date"))
    bounds = period_bounds(period) if isinstance(period, str) else None
    if bounds is None:
        return False
    start = max(bounds[0], dt.date.fromisoformat(filters["local_from"]))
    end = min(bounds[1], dt.date.fromisoformat(filters["local_to"]))
    filters["local_from"] = start.isoformat()
    filters["local_to"] = end.isoformat()
    return True


def period_bounds(label: str) -> tuple[dt.date, dt.date] | None:
    """Return [start, end) of a day "2026-03-01", week "2026-W10" or month "2026-03"."""
    try:
        if _DAY.match(label):
            day = dt.date.fromisoformat(label)
            return day, day + dt.timedelta(days=1)
        if match := _WEEK.match(label):
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return monday, monday + dt.timedelta(days=7)
        if match := _MONTH.match(label):
            first = dt.date(int(match[1]), int(match[2]), 1)
            return first, (first + dt.timedelta(days=32)).replace(day=1)
    except ValueError:
        return None
    return None


def row_urls(
    query: ReportQuery, params: QueryDict, rows: list[Mapping], *, breakdown: str | None
) -> list[str | None]:
    """Return the drill-down link of every row (None where there is none)."""
    base = base_filters(query.start_date, query.end_date, query.zone.key, params)
    target = changelist_url()
    urls = []
    for row in rows:
        filters = row_filters(
            base, row, slot_minutes=query.slot_minutes, breakdown=breakdown
        )
        urls.append(None if filters is None else f"{target}?{filters.urlencode()}")
    return urls
