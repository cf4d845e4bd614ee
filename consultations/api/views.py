"""
REST entry points for consultations and their dimensions.

Every write goes through the ingestion service, which validates and upserts by
(`source`, `external_id`); the views only read the request and render the result.
"""

import logging
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from consultations.api.exceptions import BodyTooLarge
from consultations.api.filters import ConsultationFilterSet, dimension_filterset
from consultations.api.permissions import (
    BulkIngestPermissions,
    ConsultationPermissions,
    may_create_dimension_values,
)
from consultations.api.serializers import (
    BulkRequestSerializer,
    BulkResultSerializer,
    ConsultationRecordSerializer,
    ConsultationSerializer,
    RecordSerializer,
    dimension_serializer,
)
from consultations.ingestion import IngestResult, as_record, ingest
from consultations.models import Consultation, Dimension

logger = logging.getLogger(__name__)

RECORD_REJECTED = OpenApiResponse(
    description="The record was rejected: {field: [reason]}."
)


@extend_schema_view(
    create=extend_schema(
        request=ConsultationRecordSerializer,
        responses={201: ConsultationSerializer, 400: RECORD_REJECTED},
        description="Create one consultation. An existing (source, external_id) is "
        "refused; the bulk endpoint upserts.",
    ),
    update=extend_schema(
        request=ConsultationRecordSerializer,
        responses={200: ConsultationSerializer, 400: RECORD_REJECTED},
        description="Replace a consultation: every record field must be sent.",
    ),
    partial_update=extend_schema(
        request=ConsultationRecordSerializer,
        responses={200: ConsultationSerializer, 400: RECORD_REJECTED},
        description="Change some fields; a field sent as null is cleared.",
    ),
)
class ConsultationViewSet(viewsets.ModelViewSet):
    """Consultations: list with filters, read, create, change, delete."""

    queryset = Consultation.objects.with_references()
    serializer_class = ConsultationSerializer
    filterset_class = ConsultationFilterSet
    permission_classes = [ConsultationPermissions]
    parser_classes = [JSONParser]
    lookup_value_regex = r"\d+"

    def handle_exception(self, exc: Exception) -> Response:
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400
        # page; answer the JSON 413 an integrator can act on instead.
        if isinstance(exc, RequestDataTooBig):
            exc = BodyTooLarge(
                gettext(
                    "The request body exceeds %(limit)d bytes; send fewer records "
                    "per request."
                )
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
            )
        return super().handle_exception(exc)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reader = RecordSerializer(data=request.data)
        reader.is_valid(raise_exception=True)
        record = reader.validated_data

        # The service upserts; a create must not overwrite, so an upsert that
        # found the key is rolled back. Checking afterwards, inside the
        # transaction, also holds when two clients create the same key at once.
        with transaction.atomic():
            result = ingest_one(record, request)
            if not result.created:
                raise ValidationError({"external_id": [already_exists(record)]})

        consultation = self.get_queryset().get(
            source=record["source"], external_id=record["external_id"]
        )
        data = self.get_serializer(consultation).data
        location = request.build_absolute_uri(
            reverse("consultation-detail", kwargs={"pk": consultation.pk})
        )
        return Response(
            data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        consultation = self.get_object()
        reader = RecordSerializer(
            as_record(consultation), data=request.data, partial=partial
        )
        reader.is_valid(raise_exception=True)

        ingest_one(reader.validated_data, request)

        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=BulkRequestSerializer,
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(description="The body is not a list of objects."),
            413: OpenApiResponse(
                description="More records than PEAKDESK_INGEST_MAX_BATCH, or a "
                "body over DATA_UPLOAD_MAX_MEMORY_SIZE; nothing was stored."
            ),
        },
        description="Create or update up to PEAKDESK_INGEST_MAX_BATCH records by "
        "(source, external_id). Valid records are stored even when others are "
        "rejected; sending the same batch twice changes nothing. The body is "
        '{"records": [...]} or the bare list. Needs the add and change '
        "permissions on consultations.",
    )
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[BulkIngestPermissions],
    )
    def bulk(self, request: Request) -> Response:
        reader = BulkRequestSerializer(data=request.data)
        reader.is_valid(raise_exception=True)
        records = reader.validated_data["records"]

        started = time.monotonic()
        result = ingest(
            records, allow_new_dimensions=may_create_dimension_values(request.user)
        )
        logger.info(
            "bulk ingest by user %s: %d records in %d ms "
            "(%d created, %d updated, %d unchanged, %d rejected)",
            request.user.pk,
            len(records),
            (time.monotonic() - started) * 1000,
            result.created,
            result.updated,
            result.unchanged,
            len(result.rejected),
        )
        return Response(BulkResultSerializer(result).data)


def ingest_one(record: Mapping[str, Any], request: Request) -> IngestResult:
    """Ingest one record for the requesting user; raise ValidationError if rejected."""
    result = ingest(
        [record], allow_new_dimensions=may_create_dimension_values(request.user)
    )
    if result.rejected:
        errors: dict[str, list[str]] = {}
        for rejection in result.rejected:
            errors.setdefault(rejection.field, []).append(rejection.reason)
        raise ValidationError(errors)
    return result


def already_exists(record: Mapping[str, Any]) -> str:
    return gettext(
        "A consultation with source %(source)s and external id %(external_id)s "
        "already exists; change it with PUT or PATCH, or send it to the bulk "
        "endpoint."
    ) % {"source": record["source"], "external_id": record["external_id"]}


def dimension_viewset(
    model: type[Dimension], *, extra_fields: tuple[str, ...] = ()
) -> type[viewsets.ReadOnlyModelViewSet]:
    """Return a read-only viewset listing a dimension's values, addressed by code."""
    return type(
        f"{model.__name__}ViewSet",
        (viewsets.ReadOnlyModelViewSet,),
        {
            "__doc__": "The values of one dimension, by code.",
            "queryset": model._default_manager.all(),
            "serializer_class": dimension_serializer(model, extra_fields=extra_fields),
            "filterset_class": dimension_filterset(model),
            "lookup_field": "code",
            "lookup_value_regex": r"[-\w]+",
        },
    )
