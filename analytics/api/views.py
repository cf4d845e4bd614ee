"""
The reports API: the list of registered reports, and one endpoint per report.

Each registered report gets its own documented path, so that the schema shows its
options and result; one catch-all path serves reports registered later and answers
404 with the known slugs for any other name.
"""

import re

from django.http import Http404, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from analytics.reporting.base import Report
from analytics.reporting.export import csv_filename, report_table, run_report
from analytics.reporting.parameters import (
    FORMAT_PARAMETER,
    ParameterDescription,
    ParsedParameters,
    ReportParameterError,
    describe_parameters,
    parse_report_parameters,
)
from analytics.reporting.registry import ReportNotFound, get_report, list_reports

from .renderers import ReportCSVRenderer
from .serializers import ReportDescriptionSerializer, ReportEnvelopeSerializer

TAGS = ["reports"]
OPENAPI_TYPES = {
    "date": OpenApiTypes.DATE,
    "string": OpenApiTypes.STR,
    "integer": OpenApiTypes.INT,
    "number": OpenApiTypes.NUMBER,
    "boolean": OpenApiTypes.BOOL,
}


class FormatCheckedView(APIView):
    """A view that answers an unknown `?format=` with 400 naming the formats."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = ", ".join(renderer.format for renderer in self.get_renderers())
            reason = gettext("Choose one of %(formats)s, not %(value)s.") % {
                "formats": formats,
                "value": request.query_params.get(FORMAT_PARAMETER),
            }
            raise ValidationError({FORMAT_PARAMETER: [reason]}) from None


class ReportListView(FormatCheckedView):
    """List the registered reports with their parameters."""

    @extend_schema(
        operation_id="reports_list",
        tags=TAGS,
        responses=ReportDescriptionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        serializer = ReportDescriptionSerializer(
            list_reports(), many=True, context={"request": request}
        )
        return Response(serializer.data)


class ReportView(FormatCheckedView):
    """Answer one report as JSON, or its rows as CSV with `?format=csv`."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, ReportCSVRenderer]
    # Fixed on the documented per-report views; else the slug comes from the URL.
    report_slug: str | None = None

    def get(self, request: Request, slug: str | None = None) -> Response:
        report = self.get_report(slug)
        parameters = self.get_parameters(report)
        payload = run_report(report, parameters, generated_at=timezone.now())

        if isinstance(request.accepted_renderer, ReportCSVRenderer):
            filename = csv_filename(parameters.echo, report.slug)
            return Response(
                report_table(report, payload),
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return Response(payload)

    def get_report(self, slug: str | None) -> Report:
        """Return the report to answer; raise NotFound for an unknown slug."""
        try:
            return get_report(self.report_slug or slug or "")
        except ReportNotFound as error:
            raise NotFound(str(error)) from None

    def get_parameters(self, report: Report) -> ParsedParameters:
        """Return the request's validated parameters; raise ValidationError (400)."""
        try:
            return parse_report_parameters(report, self.request.query_params)
        except ReportParameterError as error:
            raise ValidationError(error.errors) from None

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args, **kwargs
    ) -> HttpResponseBase:
        # An error has no table to write, so it is answered as JSON even when CSV
        # was asked for.
        if response.status_code >= 400 and isinstance(
            getattr(request, "accepted_renderer", None), ReportCSVRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema_view(get=extend_schema(exclude=True))
class AnyReportView(ReportView):
    """Serve a report named in the URL; the documented paths cover the others."""


def documented_report_view(report: Report) -> type[ReportView]:
    """Return a view class that answers `report` and documents it in the schema."""
    name = "".join(part.capitalize() for part in re.split(r"[-_]", report.slug))
    view = type(f"{name}ReportView", (ReportView,), {"report_slug": report.slug})
    return extend_schema_view(get=report_schema(report, name))(view)


def report_schema(report: Report, name: str) -> extend_schema:
    """Return the OpenAPI description of one report's endpoint."""
    bases = (ReportEnvelopeSerializer,)
    if report.result_serializer is not None:
        bases += (report.result_serializer,)
    envelope = type(f"{name}ReportSerializer", bases, {})

    return extend_schema(
        operation_id=f"reports_{report.slug.replace('-', '_')}",
        summary=report.title,
        description=report.description,
        tags=TAGS,
        parameters=[
            *(_openapi_parameter(d) for d in describe_parameters(report)),
            OpenApiParameter(
                FORMAT_PARAMETER,
                OpenApiTypes.STR,
                enum=["json", "csv"],
                description=_("csv writes the rows as CSV (UTF-8 with a BOM)."),
            ),
        ],
        responses={
            (200, "application/json"): envelope,
            (200, "text/csv"): OpenApiTypes.STR,
            (400, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=_("Each invalid parameter with its reasons."),
            ),
        },
    )


def _openapi_parameter(description: ParameterDescription) -> OpenApiParameter:
    return OpenApiParameter(
        description.name,
        OPENAPI_TYPES[description.type],
        location=OpenApiParameter.QUERY,
        required=description.required,
        description=description.help,
        enum=description.choices,
        default=description.default,
        many=description.many,
        explode=True if description.many else None,
    )
