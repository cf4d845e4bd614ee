"""
Serializers that describe the results of the core reports in the OpenAPI schema.

They are never used to produce a result, only to document one; the report tests
validate real results against them so that the schema cannot drift from the data.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .slots import GRANULARITIES

SLOT_HELP = _("Local start of the slot, HH:MM.")


class VolumeFigures(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Consultations started."))
    mean_per_day = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "The count divided by the local days in range on which the slot exists; "
            "null when it exists on none."
        ),
    )
    share = serializers.FloatField(
        help_text=_("The count's share of all volume in range (0 when there is none).")
    )


class DayDistributionRow(VolumeFigures):
    slot = serializers.CharField(help_text=SLOT_HELP)


class DayDistributionResult(serializers.Serializer):
    rows = DayDistributionRow(many=True)
    total = serializers.IntegerField(help_text=_("Consultations started in range."))
    days = serializers.IntegerField(help_text=_("Local days in range."))


class WeekdayHourRow(VolumeFigures):
    weekday = serializers.IntegerField(
        min_value=1, max_value=7, help_text=_("ISO weekday, 1 = Monday.")
    )
    slot = serializers.CharField(help_text=SLOT_HELP)


class WeekdayHourResult(DayDistributionResult):
    rows = WeekdayHourRow(many=True)


class TrendRow(serializers.Serializer):
    period = serializers.CharField(
        help_text=_('"2026-03-01", "2026-W10" (ISO week) or "2026-03".')
    )
    code = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=_('With a breakdown: the value\'s code, null for "none".'),
    )
    name = serializers.CharField(
        required=False, help_text=_("With a breakdown: the value's name.")
    )
    count = serializers.IntegerField(help_text=_("Consultations started."))


class TrendResult(serializers.Serializer):
    rows = TrendRow(many=True)
    total = serializers.IntegerField(help_text=_("Consultations started in range."))
    granularity = serializers.ChoiceField(choices=GRANULARITIES)
    breakdown = serializers.CharField(
        allow_null=True, help_text=_("The dimension split by, or null.")
    )


class LoadFigures(serializers.Serializer):
    mean = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Time average of the consultations in progress; null where the slot "
            "does not exist in range."
        ),
    )
    max = serializers.IntegerField(
        help_text=_("Most consultations in progress at any whole minute.")
    )


class ConcurrencyRow(LoadFigures):
    slot = serializers.CharField(help_text=SLOT_HELP)


class ConcurrencyDay(LoadFigures):
    date = serializers.DateField(help_text=_("Local date."))


class ConcurrencyResult(serializers.Serializer):
    rows = ConcurrencyRow(many=True)
    per_day = ConcurrencyDay(many=True)
    overall = LoadFigures()


def _count(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=help_text)


def _figure(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text)


def _thin() -> serializers.BooleanField:
    return serializers.BooleanField(
        help_text=_("Whether the count is below PEAKDESK_THIN_COUNT.")
    )


class QualityFigures(serializers.Serializer):
    volume = _count(_("Consultations started."))
    volume_thin = _thin()
    converted = _count(_("Consultations that converted."))
    conversion_rate = _figure(_("converted / volume."))
    conversion_rate_low = _figure(_("Lower bound of its 95% Wilson interval."))
    conversion_rate_high = _figure(_("Upper bound of its 95% Wilson interval."))
    abandoned = _count(_("Consultations abandoned before a reply."))
    abandonment_rate = _figure(_("abandoned / volume."))
    abandonment_rate_low = _figure(_("Lower bound of its 95% Wilson interval."))
    abandonment_rate_high = _figure(_("Upper bound of its 95% Wilson interval."))
    rated = _count(_("Consultations with a satisfaction rating."))
    rated_thin = _thin()
    satisfaction_mean = _figure(_("Mean rating, 1 to 5."))
    satisfied = _count(_("Ratings of 4 or 5."))
    csat_share = _figure(_("satisfied / rated."))
    csat_share_low = _figure(_("Lower bound of its 95% Wilson interval."))
    csat_share_high = _figure(_("Upper bound of its 95% Wilson interval."))
    responded = _count(_("Consultations with a first response."))
    responded_thin = _thin()
    first_response_median = _figure(
        _("Median seconds to the first response, read from a histogram.")
    )
    first_response_p90 = _figure(
        _("90th percentile of seconds to the first response, from a histogram.")
    )
    wait_mean = _figure(_("Mean seconds to the first response."))
    ended = _count(_("Consultations that ended."))
    ended_thin = _thin()
    duration_mean = _figure(_("Mean duration in seconds."))
    duration_median = _figure(_("Median duration in seconds, from a histogram."))


class QualityRow(QualityFigures):
    slot = serializers.CharField(help_text=SLOT_HELP)


class QualityResult(serializers.Serializer):
    rows = QualityRow(many=True)
    overall = QualityFigures()
    bases = serializers.DictField(
        child=serializers.CharField(),
        help_text=_("For each figure, the count it rests on."),
    )
    thin_count = serializers.IntegerField(
        help_text=_("Counts below this are marked thin.")
    )
