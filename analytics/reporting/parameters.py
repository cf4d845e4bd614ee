"""
The parameters every report accepts, validated once for the API and the command line.

The shared parameters are a django-filter FilterSet over consultations: the range
`from`/`to` (local dates, `to` exclusive), the time zone `tz`, the slot length `slot`
and one multi-valued filter per dimension, each value given by its code. Reports read
aggregates, so the set only validates; its queryset is never evaluated. A report's own
parameters are the fields of its `options_serializer`. Any other parameter is an error
rather than silently ignored, since a mistyped filter would otherwise return
unfiltered figures that look filtered.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from analytics.grouping import DIMENSIONS
from consultations.models import Consultation

from .base import ReportQuery

if TYPE_CHECKING:
    from .base import Report

SLOT_CHOICES: tuple[int, ...] = (15, 30, 60)
DEFAULT_SLOT_MINUTES = 60
DEFAULT_RANGE_DAYS = 28
# A decade of 15-minute buckets is about 350,000 per series; a longer range is more
# likely a typing error than an analysis, and would cost memory in every report.
MAX_RANGE_DAYS = 3660
# Aggregate buckets count from the Unix epoch; the upper bound keeps date arithmetic
# clear of the end of the calendar.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
# The code that selects consultations without a value of an optional dimension;
# aggregates file those under id 0.
NO_VALUE = "-"
NO_VALUE_ID = 0
# Read by the API's content negotiation, not by a report.
FORMAT_PARAMETER = "format"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class IsoDateField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            if not _ISO_DATE.match(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                _("Enter a date as YYYY-MM-DD, not %(value)s."),
                code="invalid",
                params={"value": value},
            ) from None
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError(
                _("Enter a date from %(earliest)s to %(latest)s."),
                code="out_of_range",
                params={"earliest": EARLIEST_DATE, "latest": LATEST_DATE},
            )
        return day


class TimeZoneField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> ZoneInfo | None:
        if value in self.empty_values:
            return None
        name = str(value).strip()
        if name not in _zone_names():
            raise ValidationError(
                _(
                    "Unknown time zone %(value)s; give an IANA name such as "
                    "%(example)s."
                ),
                code="invalid",
                params={"value": value, "example": "Asia/Shanghai"},
            )
        return ZoneInfo(name)


@cache
def _zone_names() -> frozenset[str]:
    # Listing the zones walks the tz database on disk; the list does not change
    # while the process runs.
    return frozenset(available_timezones())


class CommaSeparatedMultiple(forms.SelectMultiple):
    """Read a multi-valued parameter given repeatedly, comma-separated, or both."""

    def value_from_datadict(
        self, data: Mapping[str, Any], files: Any, name: str
    ) -> list[str]:
        given = data.getlist(name) if isinstance(data, QueryDict) else data.get(name)
        if given is None:
            return []
        if isinstance(given, str):
            given = [given]
        parts = (part.strip() for value in given for part in value.split(","))
        return [part for part in parts if part]


class ParameterFilterMixin:
    """What describes a shared parameter to API clients and the command line."""

    value_type = "string"
    many = False

    def default_value(self) -> Any:
        return None


class IsoDateFilter(ParameterFilterMixin, django_filters.Filter):
    field_class = IsoDateField
    value_type = "date"


class TimeZoneFilter(ParameterFilterMixin, django_filters.Filter):
    field_class = TimeZoneField

    def default_value(self) -> str:
        return settings.PEAKDESK_BUSINESS_TIME_ZONE


class SlotFilter(ParameterFilterMixin, django_filters.TypedChoiceFilter):
    value_type = "integer"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=[(minutes, str(minutes)) for minutes in SLOT_CHOICES],
            coerce=int,
            error_messages={
                "invalid_choice": _("Choose 15, 30 or 60 minutes, not %(value)s.")
            },
            **kwargs,
        )

    def default_value(self) -> int:
        return DEFAULT_SLOT_MINUTES


class CodesFilter(ParameterFilterMixin, django_filters.ModelMultipleChoiceFilter):
    """Any of several values of one dimension, each named by its code."""

    many = True

    def __init__(self, dimension: str) -> None:
        relation = Consultation._meta.get_field(dimension)
        model = relation.related_model
        super().__init__(
            field_name=dimension,
            queryset=model._default_manager.all(),
            to_field_name="code",
            widget=CommaSeparatedMultiple,
            label=_codes_help(model._meta.verbose_name_plural, relation.null),
            error_messages={"invalid_choice": _("Unknown code %(value)s.")},
            null_label=_("none") if relation.null else None,
            null_value=NO_VALUE,
        )


def _format_codes_help(dimension: str, optional: bool) -> str:
    text = gettext(
        "Codes of the %(dimension)s to keep; repeat the parameter or separate "
        "codes with commas."
    ) % {"dimension": dimension}
    if optional:
        text += " " + gettext(
            'The code "%(code)s" keeps consultations without one.'
        ) % {"code": NO_VALUE}
    return text


_codes_help = lazy(_format_codes_help, str)


class ReportFilterSet(django_filters.FilterSet):
    """The shared report parameters; reports validate them with its form class."""

    # `from` is a Python keyword, so it is declared through the class namespace.
    locals()["from"] = IsoDateFilter(
        label=_("First local day, YYYY-MM-DD. Default: 28 days before `to`.")
    )
    to = IsoDateFilter(
        label=_(
            "Local day after the last, YYYY-MM-DD (exclusive). Default: today in "
            "`tz`, so that the range ends with yesterday."
        )
    )
    tz = TimeZoneFilter(
        label=_(
            "IANA time zone that days and slots are read in. Default: the "
            "business time zone."
        )
    )
    slot = SlotFilter(label=_("Slot length in minutes: 15, 30 or 60."))
    channel = CodesFilter("channel")
    consultation_type = CodesFilter("consultation_type")
    business_line = CodesFilter("business_line")
    product_category = CodesFilter("product_category")
    customer_tier = CodesFilter("customer_tier")
    team = CodesFilter("team")

    class Meta:
        model = Consultation
        fields: list[str] = []


SHARED_PARAMETERS: tuple[str, ...] = tuple(ReportFilterSet.base_filters)
RESERVED_PARAMETERS = frozenset({*SHARED_PARAMETERS, FORMAT_PARAMETER})


class ReportParameterError(Exception):
    """Parameters of a report request are invalid; `errors` maps names to reasons."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{name}: {' '.join(why)}" for name, why in errors.items())
        )


@dataclass(frozen=True)
class ParsedParameters:
    """A report's query and the parameters it rests on, as the response echoes them."""

    query: ReportQuery
    echo: dict[str, Any]


def parse_report_parameters(
    report: "Report", data: QueryDict, *, now: dt.datetime | None = None
) -> ParsedParameters:
    """
    Validate the parameters of a request for `report` and return its query.

    `data` holds every value of every parameter, as a query string does. Missing
    parameters take their defaults, the range relative to `now` (the current time
    unless given). Raise ReportParameterError naming each bad parameter.
    """
    cleaned, option_values = _validate(report, data)

    zone = cleaned["tz"] or ZoneInfo(settings.PEAKDESK_BUSINESS_TIME_ZONE)
    start, end = _date_range(cleaned["from"], cleaned["to"], zone, now)
    chosen = {name: _chosen(cleaned[name]) for name in DIMENSIONS}
    query = ReportQuery(
        start_date=start,
        end_date=end,
        zone=zone,
        slot_minutes=cleaned["slot"] or DEFAULT_SLOT_MINUTES,
        dimensions=MappingProxyType(
            {
                name: tuple(sorted(pk for _code, pk in pairs))
                for name, pairs in chosen.items()
                if pairs
            }
        ),
        options=MappingProxyType(option_values),
    )

    echo = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "tz": zone.key,
        "slot": query.slot_minutes,
        **{name: [code for code, _pk in pairs] for name, pairs in chosen.items()},
        **{name: _json_ready(value) for name, value in option_values.items()},
    }
    return ParsedParameters(query=query, echo=echo)


def _validate(report: "Report", data: QueryDict) -> tuple[dict, dict[str, Any]]:
    """Return the cleaned shared parameters and the report's validated options."""
    option_fields = _option_fields(report)
    shared = _shared_parameters_form()(data)
    options = _bind_options(report, option_fields, data)
    errors = _misused_parameters(option_fields, data)
    if not shared.is_valid():
        _merge(errors, shared.errors)
    if options is not None and not options.is_valid():
        _merge(errors, options.errors)
    if errors:
        raise ReportParameterError(errors)
    return shared.cleaned_data, dict(options.validated_data) if options else {}


@cache
def _shared_parameters_form() -> type[forms.Form]:
    """
    Return the form that validates the shared parameters, built once.

    Reports only validate with the filter set, so its form is all they need; a
    filter set per request would copy every filter and build a form class anew.
    """
    return ReportFilterSet(queryset=Consultation.objects.none()).get_form_class()


def _bind_options(
    report: "Report", option_fields: dict[str, serializers.Field], data: QueryDict
) -> serializers.Serializer | None:
    if report.options_serializer is None:
        return None
    # A plain dict rather than the QueryDict: DRF reads a missing boolean in form
    # data as false, where a missing query parameter means its default.
    given = {}
    for name, option in option_fields.items():
        if name in data:
            values = data.getlist(name)
            given[name] = values if _is_many(option) else values[-1]
    return report.options_serializer(data=given)


def _misused_parameters(
    option_fields: dict[str, serializers.Field], data: QueryDict
) -> dict[str, list[str]]:
    """Return an error for each unknown parameter and each repeated single one."""
    shared = ReportFilterSet.base_filters
    single = {name for name, declared in shared.items() if not declared.many}
    single |= {name for name, option in option_fields.items() if not _is_many(option)}
    known = {*shared, *option_fields}
    errors: dict[str, list[str]] = {}
    for name in data:
        if name == FORMAT_PARAMETER:
            continue
        if name not in known:
            errors[name] = [
                gettext("Unknown parameter; the parameters are: %(known)s.")
                % {"known": ", ".join(sorted(known))}
            ]
        elif name in single and len(data.getlist(name)) > 1:
            errors[name] = [
                gettext("Give one value, not %(count)d.")
                % {"count": len(data.getlist(name))}
            ]
    return errors


def _date_range(
    start: dt.date | None,
    end: dt.date | None,
    zone: ZoneInfo,
    now: dt.datetime | None,
) -> tuple[dt.date, dt.date]:
    """Fill in the range's defaults; raise ReportParameterError if it is unusable."""
    # A range that is wrong only because of a default is reported on the parameter
    # that was given, since that is the one to change.
    blamed = "to" if end is not None else "from"
    if end is None:
        end = (now or timezone.now()).astimezone(zone).date()
        order = gettext(
            "`from` (%(from)s) must be before today in %(tz)s (%(to)s), which is "
            "the default of `to`."
        )
    else:
        order = gettext("`from` (%(from)s) must be before `to` (%(to)s).")
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_RANGE_DAYS)

    if start >= end:
        reason = order % {"from": start, "to": end, "tz": zone.key}
        raise ReportParameterError({blamed: [reason]})
    if (end - start).days > MAX_RANGE_DAYS:
        reason = gettext(
            "The range spans %(days)d days; at most %(most)d are allowed."
        ) % {"days": (end - start).days, "most": MAX_RANGE_DAYS}
        raise ReportParameterError({blamed: [reason]})
    return start, end


def _chosen(values: Iterable[Model | str]) -> list[tuple[str, int]]:
    """Return the (code, id) of each chosen dimension value, by code."""
    # No choice arrives as `queryset.none()`, which need not even be compiled.
    if isinstance(values, QuerySet) and values.query.is_empty():
        return []
    return sorted(
        (NO_VALUE, NO_VALUE_ID) if value == NO_VALUE else (value.code, value.pk)
        for value in values
    )


def _merge(errors: dict[str, list[str]], more: Mapping[str, Any]) -> None:
    for name, reasons in more.items():
        errors.setdefault(name, []).extend(_messages(reasons))


def _messages(reasons: Any) -> list[str]:
    # A list option reports its bad items by position: {0: ["..."]}.
    if isinstance(reasons, Mapping):
        return [
            f"{position}: {message}"
            for position, nested in reasons.items()
            for message in _messages(nested)
        ]
    return [str(reason) for reason in reasons]


def _option_fields(report: "Report") -> dict[str, serializers.Field]:
    if report.options_serializer is None:
        return {}
    return dict(report.options_serializer().fields)


def _is_many(option: serializers.Field) -> bool:
    return isinstance(option, serializers.ListField | serializers.MultipleChoiceField)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class ParameterDescription:
    """One parameter of a report as clients see it: name, type, default, choices."""

    name: str
    type: str
    many: bool
    required: bool
    default: Any
    choices: list[Any] | None
    help: str


def describe_parameters(report: "Report") -> list[ParameterDescription]:
    """Return the shared parameters, then the report's own, in declaration order."""
    return [*describe_shared_parameters(), *describe_options(report)]


def describe_options(report: "Report") -> list[ParameterDescription]:
    """Return the report's own parameters, in declaration order."""
    return [
        _describe_option(name, option)
        for name, option in _option_fields(report).items()
    ]


def describe_shared_parameters() -> list[ParameterDescription]:
    """Return the parameters every report accepts, in declaration order."""
    return [
        ParameterDescription(
            name=name,
            type=declared.value_type,
            many=declared.many,
            required=False,
            default=declared.default_value(),
            choices=list(SLOT_CHOICES) if isinstance(declared, SlotFilter) else None,
            help=str(declared.label),
        )
        for name, declared in ReportFilterSet.base_filters.items()
    ]


def _describe_option(name: str, option: serializers.Field) -> ParameterDescription:
    single = option.child if isinstance(option, serializers.ListField) else option
    choices = (
        list(single.choices) if isinstance(single, serializers.ChoiceField) else None
    )
    default = option.default
    return ParameterDescription(
        name=name,
        type=_option_type(single, choices),
        many=_is_many(option),
        required=option.required,
        default=None if default is empty or callable(default) else _json_ready(default),
        choices=choices,
        help=str(option.help_text or option.label or ""),
    )


def _option_type(option: serializers.Field, choices: list[Any] | None) -> str:
    if choices is not None:
        return "integer" if all(isinstance(c, int) for c in choices) else "string"
    if isinstance(option, serializers.BooleanField):
        return "boolean"
    if isinstance(option, serializers.IntegerField):
        return "integer"
    if isinstance(option, serializers.FloatField | serializers.DecimalField):
        return "number"
    if isinstance(option, serializers.DateField):
        return "date"
    return "string"
