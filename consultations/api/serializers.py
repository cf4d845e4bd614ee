"""
Serializers of the consultation API.

Records are validated by the ingestion service, not here: these serializers read the
envelope around the records (is it a list, is each record an object, is the batch
small enough) and render what the service stored. Running a DRF serializer per record
of a 5,000-record batch would cost more than the database writes.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultations.api.exceptions import BatchTooLarge
from consultations.ingestion import RECORD_KEYS, IngestResult
from consultations.models import Consultation, Dimension

IDENTITY_KEYS = ("source", "external_id")
# Fields of the output that are computed, not written; a client that sends back a
# record it read may leave them in.
DERIVED_KEYS = (
    "id",
    "team",
    "wait_seconds",
    "duration_seconds",
    "created_at",
    "updated_at",
)


class ConsultationRecordSerializer(serializers.Serializer):
    """
    One consultation as an integrator sends it.

    A key left out keeps the stored value; a key sent as null clears it.
    """

    # Documents the shape for the schema only: the ingestion service validates.
    source = serializers.CharField(max_length=64)
    external_id = serializers.CharField(max_length=128)
    started_at = serializers.DateTimeField(
        required=False,
        help_text=_("With a UTC offset. Required for a new consultation."),
    )
    first_response_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    customer_timezone = serializers.CharField(
        required=False, allow_null=True, help_text=_("IANA name.")
    )
    channel = serializers.CharField(
        required=False, help_text=_("Code. Required for a new consultation.")
    )
    consultation_type = serializers.CharField(
        required=False, allow_null=True, help_text=_("Code.")
    )
    business_line = serializers.CharField(
        required=False, allow_null=True, help_text=_("Code.")
    )
    product_category = serializers.CharField(
        required=False, allow_null=True, help_text=_("Code.")
    )
    customer_tier = serializers.CharField(
        required=False, allow_null=True, help_text=_("Code.")
    )
    customer = serializers.CharField(
        required=False, allow_null=True, help_text=_("External id.")
    )
    customer_country = serializers.CharField(
        required=False, allow_null=True, help_text=_("ISO 3166-1 alpha-2 code.")
    )
    agent = serializers.CharField(
        required=False, allow_null=True, help_text=_("External id.")
    )
    converted = serializers.BooleanField(required=False)
    satisfaction = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=5
    )
    abandoned = serializers.BooleanField(required=False)
    message_count = serializers.IntegerField(required=False, min_value=0)


class RecordSerializer(serializers.Serializer):
    """
    Read one record from a request body, for the ingestion service.

    Bound to the stored record (`as_record`) as its instance, the validated data is
    that record with the request's keys laid over it; without `partial`, every key
    must then be sent. `source` and `external_id` identify the record and cannot
    change. Derived fields of the output are dropped so that a record read from the
    API can be sent back; any other unknown key is an error.
    """

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [gettext("Expected a JSON object.")]}
            )
        unknown = sorted(set(data).difference(RECORD_KEYS, DERIVED_KEYS))
        if unknown:
            raise serializers.ValidationError(
                {key: [gettext("Unknown field.")] for key in unknown}
            )
        record = {key: value for key, value in data.items() if key in RECORD_KEYS}
        if self.instance is None:
            return record

        self.check_complete(record)
        self.check_identity(record)
        return {**self.instance, **record}

    def check_complete(self, record: Mapping[str, Any]) -> None:
        """Raise ValidationError for the keys a full update leaves out."""
        if self.partial:
            return
        message = gettext("Send every field with PUT, or use PATCH.")
        missing = sorted(set(RECORD_KEYS).difference(record))
        if missing:
            raise serializers.ValidationError({key: [message] for key in missing})

    def check_identity(self, record: Mapping[str, Any]) -> None:
        """Raise ValidationError when the record would change its identifying key."""
        changed = [
            key
            for key in IDENTITY_KEYS
            if key in record and record[key] != self.instance[key]
        ]
        if changed:
            message = gettext(
                "Cannot change: source and external_id identify the consultation."
            )
            raise serializers.ValidationError({key: [message] for key in changed})


@extend_schema_field(ConsultationRecordSerializer(many=True))
class RecordListField(serializers.Field):
    """A list of JSON objects no longer than the configured batch limit."""

    def to_internal_value(self, data: Any) -> list[Mapping[str, Any]]:
        if not isinstance(data, list):
            raise serializers.ValidationError(
                gettext("Expected a list of records, got %(type)s.")
                % {"type": json_type_name(data)}
            )
        limit = settings.PEAKDESK_INGEST_MAX_BATCH
        if len(data) > limit:
            raise BatchTooLarge(
                gettext(
                    "A batch holds at most %(limit)d records; this one has "
                    "%(count)d. Send it in smaller batches."
                )
                % {"limit": limit, "count": len(data)}
            )
        for index, record in enumerate(data):
            if not isinstance(record, dict):
                raise serializers.ValidationError(
                    gettext("Record %(index)d is %(type)s, not a JSON object.")
                    % {"index": index, "type": json_type_name(record)}
                )
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class BulkRequestSerializer(serializers.Serializer):
    """Records to create or update: `{"records": [...]}` or the bare list."""

    # A batch over PEAKDESK_INGEST_MAX_BATCH raises BatchTooLarge (413) before any
    # record is looked at.
    records = RecordListField()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, list):
            data = {"records": data}
        elif not isinstance(data, Mapping):
            message = gettext(
                'Expected {"records": [...]} or a list of records, got %(type)s.'
            ) % {"type": json_type_name(data)}
            raise serializers.ValidationError({"non_field_errors": [message]})
        unknown = sorted(set(data) - {"records"})
        if unknown:
            raise serializers.ValidationError(
                {key: [gettext("Unknown field.")] for key in unknown}
            )
        return super().to_internal_value(data)


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        help_text=_("Position of the record in the batch.")
    )
    field = serializers.CharField()
    reason = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = RejectionSerializer(many=True)

    def to_representation(self, instance: IngestResult) -> dict[str, Any]:
        # Built by hand: a batch may reject thousands of records, and a nested
        # serializer per rejection would dominate the response time.
        return {
            "created": instance.created,
            "updated": instance.updated,
            "unchanged": instance.unchanged,
            "rejected": [
                {"index": item.index, "field": item.field, "reason": item.reason}
                for item in instance.rejected
            ],
        }


class OptionalTextField(serializers.CharField):
    """Text stored blank when unknown, rendered as null."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


class CodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", read_only=True, **kwargs)


class ExternalIdField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="external_id", read_only=True, **kwargs)


class ConsultationSerializer(serializers.ModelSerializer):
    """A stored consultation: dimensions by code, customer and agent by external id."""

    channel = CodeField()
    consultation_type = CodeField()
    business_line = CodeField()
    product_category = CodeField()
    customer_tier = CodeField()
    team = CodeField(help_text=_("The agent's team when the record was ingested."))
    customer = ExternalIdField()
    customer_timezone = OptionalTextField(help_text=_("IANA name; null when unknown."))
    customer_country = OptionalTextField(source="customer.country")
    agent = ExternalIdField()
    wait_seconds = serializers.FloatField(read_only=True, allow_null=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Consultation
        fields = [*RECORD_KEYS, *DERIVED_KEYS]
        read_only_fields = fields


def dimension_serializer(
    model: type[Dimension], *, extra_fields: tuple[str, ...] = ()
) -> type[serializers.ModelSerializer]:
    """Return a read-only serializer of a dimension: its code, name and state."""
    fields = ["code", "name", "is_active", *extra_fields]
    meta = type(
        "Meta", (), {"model": model, "fields": fields, "read_only_fields": fields}
    )
    return type(
        f"{model.__name__}Serializer", (serializers.ModelSerializer,), {"Meta": meta}
    )


def json_type_name(value: Any) -> str:
    """Return the JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return gettext("a boolean")
    if isinstance(value, int | float):
        return gettext("a number")
    if isinstance(value, str):
        return gettext("a string")
    if isinstance(value, list):
        return gettext("a list")
    return gettext("an object")
