"""
Change list filters that the analytics dashboard drills down through.

They read plain query parameters, so a link can select "the consultations that
started between 09:00 and 09:30 local time on Mondays in March, on the web or app
channel": `local_from`, `local_to` (local dates, `local_to` exclusive), `tz`,
`local_time` ("HH:MM"), `local_minutes`, `weekday` (ISO, 1 = Monday), and one
parameter per dimension named after it whose values are codes.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractMinute
from django.http import HttpRequest
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Consultation, Dimension

# The value of a dimension parameter that selects consultations without a value.
NO_VALUE = "-"

LOCAL_TIME_PARAMETERS: tuple[str, ...] = (
    "local_from",
    "local_to",
    "tz",
    "local_time",
    "local_minutes",
    "weekday",
)


class LocalTimeFilter(admin.ListFilter):
    """Select consultations by local date range, time of day and weekday."""

    title = _("local time")

    def __init__(self, request, params, model, model_admin) -> None:
        super().__init__(request, params, model, model_admin)
        for name in LOCAL_TIME_PARAMETERS:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.selection = self._parse()

    def has_output(self) -> bool:
        return bool(self.used_parameters)

    def expected_parameters(self) -> list[str]:
        return list(LOCAL_TIME_PARAMETERS)

    def choices(self, changelist: ChangeList) -> Iterator[dict]:
        yield {
            "selected": False,
            "query_string": changelist.get_query_string(
                remove=list(LOCAL_TIME_PARAMETERS)
            ),
            "display": _("All"),
        }
        yield {
            "selected": True,
            "query_string": changelist.get_query_string(),
            "display": self.selection.describe(),
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return self.selection.apply(queryset) if self.used_parameters else queryset

    def _parse(self) -> "LocalTimeSelection":
        values = self.used_parameters
        try:
            return LocalTimeSelection(
                zone=zoneinfo.ZoneInfo(
                    values.get("tz") or settings.PEAKDESK_BUSINESS_TIME_ZONE
                ),
                start=_date_or_none(values.get("local_from")),
                end=_date_or_none(values.get("local_to")),
                time=_time_or_none(values.get("local_time")),
                minutes=int(values.get("local_minutes") or 60),
                weekday=int(values["weekday"]) if values.get("weekday") else None,
            )
        except (ValueError, zoneinfo.ZoneInfoNotFoundError) as error:
            raise IncorrectLookupParameters(error) from error


class LocalTimeSelection:
    def __init__(
        self,
        *,
        zone: zoneinfo.ZoneInfo,
        start: dt.date | None,
        end: dt.date | None,
        time: dt.time | None,
        minutes: int,
        weekday: int | None,
    ) -> None:
        if not 1 <= minutes <= 24 * 60:
            raise ValueError(f"local_minutes out of range: {minutes}")
        if weekday is not None and not 1 <= weekday <= 7:
            raise ValueError(f"weekday out of range: {weekday}")
        self.zone = zone
        self.start, self.end = start, end
        self.time, self.minutes, self.weekday = time, minutes, weekday

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.start is not None:
            queryset = queryset.filter(started_at__gte=self._midnight(self.start))
        if self.end is not None:
            queryset = queryset.filter(started_at__lt=self._midnight(self.end))
        if self.time is not None:
            first = self.time.hour * 60 + self.time.minute
            queryset = queryset.alias(
                local_minute=ExtractHour("started_at", tzinfo=self.zone) * 60
                + ExtractMinute("started_at", tzinfo=self.zone)
            ).filter(local_minute__gte=first, local_minute__lt=first + self.minutes)
        if self.weekday is not None:
            queryset = queryset.alias(
                local_weekday=ExtractIsoWeekDay("started_at", tzinfo=self.zone)
            ).filter(local_weekday=self.weekday)
        return queryset

    def describe(self) -> str:
        parts = []
        if self.start or self.end:
            parts.append(
                gettext("%(start)s to %(end)s")
                % {"start": self.start or "…", "end": self.end or "…"}
            )
        if self.weekday is not None:
            parts.append(str(WEEKDAYS[self.weekday - 1]))
        if self.time is not None:
            end = dt.datetime.combine(dt.date.min, self.time) + dt.timedelta(
                minutes=self.minutes
            )
            parts.append(
                gettext("%(start)s to %(end)s")
                % {"start": self.time.strftime("%H:%M"), "end": end.strftime("%H:%M")}
            )
        parts.append(self.zone.key)
        return ", ".join(parts)

    def _midnight(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone)


def _date_or_none(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _time_or_none(value: str | None) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


class DimensionCodeFilter(admin.ListFilter):
    """Select consultations by the codes of one dimension (several allowed)."""

    dimension: str = ""

    def __init__(self, request, params, model, model_admin) -> None:
        super().__init__(request, params, model, model_admin)
        self.codes: list[str] = params.pop(self.dimension, [])
        if self.codes:
            self.used_parameters[self.dimension] = self.codes
        self.values_model = Consultation._meta.get_field(self.dimension).related_model

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.dimension]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.codes:
            return queryset
        condition = Q(**{f"{self.dimension}__code__in": self.codes})
        if NO_VALUE in self.codes:
            condition |= Q(**{f"{self.dimension}__isnull": True})
        return queryset.filter(condition)

    def choices(self, changelist: ChangeList) -> Iterator[dict]:
        yield {
            "selected": not self.codes,
            "query_string": changelist.get_query_string(remove=[self.dimension]),
            "display": _("All"),
        }
        values = self.values_model.objects.order_by("name").values_list("code", "name")
        for code, name in [*values, (NO_VALUE, gettext("(none)"))]:
            yield {
                "selected": code in self.codes,
                "query_string": changelist.get_query_string({self.dimension: code}),
                "display": name,
            }


def dimension_fields() -> list[str]:
    """Return the consultation fields that point at a dimension, in model order."""
    return [
        field.name
        for field in Consultation._meta.concrete_fields
        if field.is_relation and issubclass(field.related_model, Dimension)
    ]


def dimension_code_filter(dimension: str) -> type[DimensionCodeFilter]:
    """Return the code filter class of one dimension of a consultation."""
    field = Consultation._meta.get_field(dimension)
    return type(
        f"{dimension.title().replace('_', '')}CodeFilter",
        (DimensionCodeFilter,),
        {"dimension": dimension, "title": field.verbose_name},
    )
