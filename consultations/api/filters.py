"""
Query-string filters of the consultation API.

A filter that cannot read its value answers 400 naming the parameter; nothing is
silently ignored, because an integrator who mistypes `?converted=ture` or
`?chanel=web` would otherwise receive every record and believe it filtered.
"""

from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.utils import ErrorDict, ErrorList
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override

from consultations.models import (
    Agent,
    BusinessLine,
    Channel,
    Consultation,
    ConsultationType,
    CustomerTier,
    Dimension,
    ProductCategory,
    Team,
)

# Query parameters read by pagination and format negotiation rather than by the
# filters; every other parameter a filter set does not declare is an error.
NON_FILTER_PARAMETERS = frozenset({"page", "format"})

StrOrPromise = str | Promise

# The words ingestion reads as booleans.
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
SATISFACTION_CHOICES = [(score, str(score)) for score in range(1, 6)]


class StrictFilterSet(django_filters.FilterSet):
    """A filter set that also rejects query parameters it does not declare."""

    def unknown_parameters(self) -> list[str]:
        """Return the query parameters no filter reads, sorted."""
        given = set(self.data or ())
        return sorted(given - set(self.filters) - NON_FILTER_PARAMETERS)

    def is_valid(self) -> bool:
        return super().is_valid() and not self.unknown_parameters()

    @property
    def errors(self) -> ErrorDict:
        errors = ErrorDict(super().errors)
        known = ", ".join(sorted(self.filters))
        for name in self.unknown_parameters():
            message = _("Unknown filter parameter; the filters are: %(known)s.")
            errors[name] = ErrorList(
                [ValidationError(message, code="unknown", params={"known": known})]
            )
        return errors


class StrictBooleanField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        word = str(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(
            _("Enter true or false, not %(value)s."),
            code="invalid",
            params={"value": value},
        )


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean filter that refuses values other than true/false, 1/0, yes/no."""

    field_class = StrictBooleanField


class AwareDateTimeField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(
                _(
                    "Enter an ISO 8601 date and time with a UTC offset, e.g. "
                    "2024-05-01T09:00:00+08:00 (write + as %%2B in a URL), "
                    "not %(value)s."
                ),
                code="invalid",
                params={"value": value},
            )
        if parsed.tzinfo is None:
            raise ValidationError(
                _(
                    "%(value)s has no UTC offset; add one, e.g. "
                    "2024-05-01T09:30:00+08:00 or a trailing Z."
                ),
                code="naive",
                params={"value": value},
            )
        return parsed


class AwareDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 filter that refuses naive datetimes instead of guessing a zone."""

    field_class = AwareDateTimeField


class CodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Match any of several related rows, each named by a text key."""

    def __init__(
        self,
        *,
        field_name: str,
        model: type[Model],
        label: StrOrPromise,
        key: str = "code",
    ) -> None:
        super().__init__(
            field_name=field_name,
            queryset=model._default_manager.all(),
            to_field_name=key,
            label=label,
            # No relation here is multi-valued, so DISTINCT would only cost a sort.
            distinct=False,
            error_messages={"invalid_choice": _("Unknown value: %(value)s.")},
        )
        # The schema would otherwise give the type of the foreign key, an integer.
        set_override(self, "field", {"type": "string", "description": label})

    def get_filter_predicate(self, v: Model) -> dict[str, Model]:
        # Compare the foreign key with the row read during validation, not the
        # key text through a join.
        return {self.field_name: v}


class ConsultationFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        after = cleaned.get("started_after")
        before = cleaned.get("started_before")
        if after is not None and before is not None and before <= after:
            self.add_error("started_before", _("Must be later than started_after."))
        return cleaned


class ConsultationFilterSet(StrictFilterSet):
    started_after = AwareDateTimeFilter(
        field_name="started_at",
        lookup_expr="gte",
        label=_("Started at or after this instant (ISO 8601 with a UTC offset)"),
    )
    started_before = AwareDateTimeFilter(
        field_name="started_at",
        lookup_expr="lt",
        label=_("Started before this instant (ISO 8601 with a UTC offset)"),
    )
    source = django_filters.CharFilter(label=_("Source"))
    external_id = django_filters.CharFilter(label=_("External id"))
    channel = CodeFilter(
        field_name="channel", model=Channel, label=_("Channel codes (repeatable)")
    )
    consultation_type = CodeFilter(
        field_name="consultation_type",
        model=ConsultationType,
        label=_("Consultation type codes (repeatable)"),
    )
    business_line = CodeFilter(
        field_name="business_line",
        model=BusinessLine,
        label=_("Business line codes (repeatable)"),
    )
    product_category = CodeFilter(
        field_name="product_category",
        model=ProductCategory,
        label=_("Product category codes (repeatable)"),
    )
    customer_tier = CodeFilter(
        field_name="customer_tier",
        model=CustomerTier,
        label=_("Customer tier codes (repeatable)"),
    )
    team = CodeFilter(field_name="team", model=Team, label=_("Team codes (repeatable)"))
    agent = CodeFilter(
        field_name="agent",
        model=Agent,
        key="external_id",
        label=_("Agent external ids (repeatable)"),
    )
    converted = StrictBooleanFilter(label=_("Converted"))
    abandoned = StrictBooleanFilter(label=_("Abandoned"))
    satisfaction = django_filters.TypedMultipleChoiceFilter(
        choices=SATISFACTION_CHOICES,
        coerce=int,
        distinct=False,
        label=_("Satisfaction scores (repeatable)"),
    )

    class Meta:
        model = Consultation
        fields: list[str] = []
        form = ConsultationFilterForm


def dimension_filterset(model: type[Dimension]) -> type[StrictFilterSet]:
    """Return a filter set for a dimension's list: by state."""
    meta = type("Meta", (), {"model": model, "fields": []})
    return type(
        f"{model.__name__}FilterSet",
        (StrictFilterSet,),
        {"is_active": StrictBooleanFilter(label=_("Active")), "Meta": meta},
    )
