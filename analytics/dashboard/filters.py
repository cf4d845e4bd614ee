"""
The filter bar shared by every dashboard page.

The bar only presents choices; the report parameters it submits are validated by
the same code as the API's. Its whole state lives in the query string, so a view can
be bookmarked and shared.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from analytics.grouping import DIMENSIONS
from analytics.reporting.parameters import (
    DEFAULT_SLOT_MINUTES,
    SHARED_PARAMETERS,
    SLOT_CHOICES,
)
from consultations.models import Consultation

QUICK_RANGE_DAYS: tuple[int, ...] = (7, 30, 90)

# Asks a report page for its result region only, for auto-refresh.
FRAGMENT_KEY = "fragment"
# Query string keys that belong to the page, not to the report.
PAGE_KEYS: frozenset[str] = frozenset({FRAGMENT_KEY})


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class MultiSelect:
    name: str
    label: str
    choices: list[Choice]


@dataclass(frozen=True)
class QuickRange:
    label: str
    query: str
    active: bool


@dataclass(frozen=True)
class OptionField:
    """One report option: a select, a multiple select, a number or a text input."""

    name: str
    label: str
    help_text: str
    kind: str
    value: str
    choices: list[Choice]


def business_zone_name() -> str:
    return settings.PEAKDESK_BUSINESS_TIME_ZONE


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_choices(selected: str) -> list[Choice]:
    """Return the business zone first, then every IANA zone in name order."""
    business = business_zone_name()
    names = [business, *(name for name in _zone_names() if name != business)]
    return [Choice(name, name, name == selected) for name in names]


def selected_zone(params: QueryDict) -> zoneinfo.ZoneInfo:
    """Return the zone the query asks for, or the business zone when it is unusable."""
    try:
        return zoneinfo.ZoneInfo(params.get("tz") or business_zone_name())
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return zoneinfo.ZoneInfo(business_zone_name())


def local_today(zone: zoneinfo.ZoneInfo) -> dt.date:
    return timezone.now().astimezone(zone).date()


def last_days(today: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """Return [start, end) covering the `days` whole local days before today."""
    return today - dt.timedelta(days=days), today


def this_month(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def quick_ranges(params: QueryDict) -> list[QuickRange]:
    """Return the quick picks as links that keep every other filter."""
    return [
        _quick_range(params, label, {"from": start, "to": end})
        for label, (start, end) in _picks(local_today(selected_zone(params)))
    ]


def comparison_quick_ranges(params: QueryDict) -> list[QuickRange]:
    """Return the quick picks of a comparison: B the period, A the one before it."""
    picks = []
    for label, (start, end) in _picks(local_today(selected_zone(params))):
        before = _preceding(start, end)
        bounds = {"from_a": before[0], "to_a": before[1], "from_b": start, "to_b": end}
        picks.append(_quick_range(params, label, bounds))
    return picks


def _picks(today: dt.date) -> list[tuple[str, tuple[dt.date, dt.date]]]:
    picks = [
        (_("Last %(days)d days") % {"days": days}, last_days(today, days))
        for days in QUICK_RANGE_DAYS
    ]
    picks.append((_("This month"), this_month(today)))
    return picks


def _preceding(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Return the period of the same length before [start, end), or the month."""
    if start.day == 1 and end.day == 1 and (end - start).days in range(28, 32):
        return (start - dt.timedelta(days=1)).replace(day=1), start
    return start - (end - start), start


def _quick_range(
    params: QueryDict, label: str, bounds: dict[str, dt.date]
) -> QuickRange:
    query = report_params(params)
    for key, day in bounds.items():
        query[key] = day.isoformat()
    active = all(params.get(key) == day.isoformat() for key, day in bounds.items())
    return QuickRange(label=str(label), query=query.urlencode(), active=active)


def slot_choices(params: QueryDict) -> list[Choice]:
    selected = params.get("slot") or str(DEFAULT_SLOT_MINUTES)
    return [
        Choice(
            str(minutes),
            pgettext_lazy("slot size", "%(minutes)d minutes") % {"minutes": minutes},
            str(minutes) == selected,
        )
        for minutes in SLOT_CHOICES
    ]


def dimension_selects(params: QueryDict) -> list[MultiSelect]:
    """Return one multi-select per dimension, its options read from its table."""
    selects = []
    for name in DIMENSIONS:
        model = Consultation._meta.get_field(name).related_model
        selected = set(params.getlist(name))
        rows = model.objects.order_by("name").values_list("code", "name")
        selects.append(
            MultiSelect(
                name=name,
                label=str(model._meta.verbose_name),
                choices=[Choice(code, label, code in selected) for code, label in rows],
            )
        )
    return selects


def option_fields(
    serializer_class: type[serializers.Serializer] | None, params: QueryDict
) -> list[OptionField]:
    """Return the inputs for a report's own options, read from its serializer."""
    if serializer_class is None:
        return []
    return [
        _option_field(name, field, params)
        for name, field in serializer_class().fields.items()
        if not field.read_only
    ]


def _option_field(
    name: str, field: serializers.Field, params: QueryDict
) -> OptionField:
    default = "" if field.default is serializers.empty else field.default
    value = params.get(name, str(default))
    if isinstance(field, serializers.BooleanField):
        # A select rather than a checkbox: an unticked box sends nothing, which
        # would mean the default, not "no".
        value = "true" if value.lower() in _TRUE_WORDS else "false"
        kind = "select"
        choices = _option_choices([("true", _("yes")), ("false", _("no"))], [value])
    elif isinstance(field, serializers.MultipleChoiceField):
        kind = "multiselect"
        chosen = params.getlist(name) or [str(v) for v in (default or ())]
        choices = _option_choices(field.choices.items(), chosen)
    elif isinstance(field, serializers.ChoiceField):
        kind = "select"
        # Blank stands for "none" where an option may be left out without a default.
        blank = [("", "—")] if default == "" and not field.required else []
        choices = _option_choices([*blank, *field.choices.items()], [value])
    elif isinstance(field, serializers.IntegerField | serializers.FloatField):
        kind, choices = "number", []
    else:
        kind, choices = "text", []
    return OptionField(
        name=name,
        label=str(field.label or name.replace("_", " ").capitalize()),
        help_text=str(field.help_text or ""),
        kind=kind,
        value=str(value),
        choices=choices,
    )


_TRUE_WORDS = frozenset({"1", "true", "on", "yes"})


def _option_choices(
    items: Iterable[tuple[object, object]], chosen: list[str]
) -> list[Choice]:
    return [Choice(str(key), str(label), str(key) in chosen) for key, label in items]


def report_params(params: QueryDict) -> QueryDict:
    """Return the query without the page's own keys, as the report API takes it."""
    cleaned = params.copy()
    for key in PAGE_KEYS:
        cleaned.pop(key, None)
    return cleaned


def shared_query(params: QueryDict, *, keep_range: bool = True) -> QueryDict:
    """Return only the parameters every report takes, to carry between pages."""
    kept = set(SHARED_PARAMETERS) if keep_range else {"tz", "slot", *DIMENSIONS}
    query = QueryDict(mutable=True)
    for key in params:
        if key in kept:
            query.setlist(key, params.getlist(key))
    return query


def with_values(params: QueryDict, echo: dict) -> QueryDict:
    """Return the query with the period, zone and slot a report actually used."""
    shown = params.copy()
    for key in ("from", "to", "tz", "slot"):
        shown[key] = str(echo[key])
    return shown


def active_dimension_filters(params: QueryDict) -> bool:
    return any(params.getlist(name) for name in DIMENSIONS)
