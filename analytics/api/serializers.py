"""
Serializers of the reports API: the list of reports and their parameters, and the
envelope every report response shares (used for the schema).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from analytics.reporting.base import Report
from analytics.reporting.parameters import describe_parameters

PARAMETER_TYPES = ("date", "string", "integer", "number", "boolean")


class ParameterSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=PARAMETER_TYPES)
    many = serializers.BooleanField(help_text=_("Whether several values may be given."))
    required = serializers.BooleanField()
    default = serializers.JSONField(allow_null=True)
    choices = serializers.ListField(child=serializers.JSONField(), allow_null=True)
    help = serializers.CharField()


class ReportDescriptionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.SerializerMethodField()
    parameters = serializers.SerializerMethodField()

    def get_url(self, report: Report) -> str:
        return reverse(
            "report-detail",
            kwargs={"slug": report.slug},
            request=self.context.get("request"),
        )

    @extend_schema_field(ParameterSerializer(many=True))
    def get_parameters(self, report: Report) -> list[dict[str, Any]]:
        return ParameterSerializer(describe_parameters(report), many=True).data


class ReportEnvelopeSerializer(serializers.Serializer):
    """The keys every report response starts with; the report's own ones follow."""

    report = serializers.CharField(help_text=_("The report's slug."))
    parameters = serializers.DictField(
        help_text=_(
            "The parameters the figures rest on, defaults filled in; dimension "
            "filters by code."
        )
    )
    generated_at = serializers.DateTimeField()
    data_as_of = serializers.DateTimeField(
        allow_null=True,
        help_text=_(
            "When the last refresh of the aggregates finished; null before one."
        ),
    )
