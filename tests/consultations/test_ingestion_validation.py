"""Every reason the ingestion service rejects a record for, with its field."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from consultations.ingestion import IngestResult, Rejection, ingest
from consultations.models import Consultation

from .ingestion_helpers import create_catalogue, record

pytestmark = pytest.mark.django_db

NO_OFFSET = (
    "2024-03-04T09:00:00 has no UTC offset; add one, e.g. "
    "2024-05-01T09:30:00+08:00 or a trailing Z."
)


@pytest.fixture(autouse=True)
def catalogue() -> None:
    create_catalogue()


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"colour": "red"}, "colour", "Unknown field."),
        ({"source": None}, "source", "This field may not be empty."),
        ({"source": ""}, "source", "This field may not be empty."),
        ({"external_id": ""}, "external_id", "This field may not be empty."),
        ({"started_at": ""}, "started_at", "This field may not be empty."),
        ({"channel": None}, "channel", "This field may not be empty."),
        ({"external_id": 1.5}, "external_id", "Expected text."),
        (
            {"external_id": "x" * 129},
            "external_id",
            "At most 128 characters are allowed.",
        ),
        ({"customer": "a\x00b"}, "customer", "Text may not contain NUL characters."),
        (
            {"started_at": "yesterday"},
            "started_at",
            "'yesterday' is not an ISO 8601 date and time, e.g. "
            "2024-05-01T09:30:00+08:00.",
        ),
        (
            {"started_at": 1709542800},
            "started_at",
            "1709542800 is not an ISO 8601 date and time, e.g. "
            "2024-05-01T09:30:00+08:00.",
        ),
        ({"started_at": "2024-03-04T09:00:00"}, "started_at", NO_OFFSET),
        (
            {"ended_at": dt.datetime(2024, 3, 4, 9, 0)},  # noqa: DTZ001
            "ended_at",
            NO_OFFSET,
        ),
        (
            {"started_at": "1899-12-31T23:00:00Z"},
            "started_at",
            "1899-12-31T23:00:00+00:00 is before 1900.",
        ),
        (
            {"first_response_at": "2100-01-01T00:00:00+08:00"},
            "first_response_at",
            "2100-01-01T00:00:00+08:00 is more than 60 minutes in the future.",
        ),
        (
            {"customer_timezone": "Mars/Olympus"},
            "customer_timezone",
            "'Mars/Olympus' is not a known IANA time zone name.",
        ),
        (
            {"customer_timezone": "CST+8"},
            "customer_timezone",
            "'CST+8' is not a known IANA time zone name.",
        ),
        (
            {"ended_at": "2024-03-04T08:59:59Z"},
            "ended_at",
            "The end (2024-03-04T08:59:59+00:00) is before the start "
            "(2024-03-04T09:00:00+00:00).",
        ),
        (
            {"first_response_at": "2024-03-04T10:59:00+02:00"},
            "first_response_at",
            "The first response (2024-03-04T10:59:00+02:00) is before the start "
            "(2024-03-04T09:00:00+00:00).",
        ),
        (
            {"satisfaction": 0},
            "satisfaction",
            "Satisfaction must be between 1 and 5, got 0.",
        ),
        (
            {"satisfaction": "6"},
            "satisfaction",
            "Satisfaction must be between 1 and 5, got 6.",
        ),
        ({"satisfaction": 4.5}, "satisfaction", "4.5 is not a whole number."),
        ({"satisfaction": True}, "satisfaction", "True is not a whole number."),
        (
            {"message_count": -1},
            "message_count",
            "The message count cannot be negative, got -1.",
        ),
        ({"message_count": "many"}, "message_count", "'many' is not a whole number."),
        (
            {"message_count": 2**31},
            "message_count",
            "The message count cannot exceed 2147483647.",
        ),
        (
            {"converted": "maybe"},
            "converted",
            "'maybe' is not a boolean: use true or false.",
        ),
        ({"abandoned": 2}, "abandoned", "2 is not a boolean: use true or false."),
        (
            {"channel": "web chat"},
            "channel",
            "'web chat' is not a code: use letters, digits, hyphens and underscores "
            "only.",
        ),
        ({"business_line": 7}, "business_line", "Expected a code (text)."),
        (
            {"product_category": "tablets"},
            "product_category",
            "There is no product category with code 'tablets', and this import may "
            "not create one.",
        ),
        (
            {"customer_country": "XX"},
            "customer_country",
            "'XX' is not an ISO 3166-1 alpha-2 country code.",
        ),
    ],
)
def test_ingest_invalid_value_is_rejected_naming_field_and_reason(
    values: dict[str, Any], field: str, reason: str
) -> None:
    result = ingest([record(**values)], allow_new_dimensions=False)

    assert result == IngestResult(rejected=[Rejection(0, field, reason)])
    assert not Consultation.objects.exists()


@pytest.mark.parametrize("missing", ["source", "external_id"])
def test_ingest_record_without_its_key_is_rejected(missing: str) -> None:
    values = record()
    del values[missing]

    result = ingest([values], allow_new_dimensions=False)

    assert result == IngestResult(
        rejected=[Rejection(0, missing, "This field is required.")]
    )


@pytest.mark.parametrize("missing", ["started_at", "channel"])
def test_ingest_new_record_without_start_or_channel_is_rejected(missing: str) -> None:
    values = record()
    del values[missing]

    result = ingest([values], allow_new_dimensions=False)

    assert result == IngestResult(
        rejected=[
            Rejection(0, missing, "This field is required to create a consultation.")
        ]
    )


def test_ingest_record_that_is_not_a_mapping_is_rejected() -> None:
    result = ingest([["web-chat", "c-1"]], allow_new_dimensions=False)  # type: ignore[list-item]

    assert result == IngestResult(
        rejected=[Rejection(0, "record", "Each record must be an object.")]
    )


def test_ingest_update_that_moves_the_start_after_the_end_is_rejected() -> None:
    # Given a stored consultation that ended at 09:10
    ingest([record()], allow_new_dimensions=False)

    # When an update moves only its start to 09:30
    result = ingest(
        [
            {
                "source": "web-chat",
                "external_id": "c-1",
                "started_at": "2024-03-04T09:30:00Z",
            }
        ],
        allow_new_dimensions=False,
    )

    # Then the start is blamed, since the record did not send the end
    assert result == IngestResult(
        rejected=[
            Rejection(
                0,
                "started_at",
                "The end (2024-03-04T09:10:00+00:00) is before the start "
                "(2024-03-04T09:30:00+00:00).",
            )
        ]
    )


@override_settings(PEAKDESK_INGEST_MAX_FUTURE_MINUTES=60 * 24 * 365 * 100)
def test_ingest_future_limit_is_read_from_settings_when_used() -> None:
    result = ingest(
        [
            record(
                started_at="2100-01-01T00:00:00Z", first_response_at=None, ended_at=None
            )
        ],
        allow_new_dimensions=False,
    )

    assert result == IngestResult(created=1)


def test_ingest_naive_times_are_read_in_the_zone_given() -> None:
    result = ingest(
        [
            record(
                started_at="2024-03-04T10:00:00", first_response_at=None, ended_at=None
            )
        ],
        allow_new_dimensions=False,
        naive_timezone=ZoneInfo("Europe/Berlin"),
    )

    assert result == IngestResult(created=1)
    assert Consultation.objects.get().started_at == dt.datetime(
        2024, 3, 4, 9, 0, tzinfo=dt.UTC
    )


def test_ingest_naive_time_skipped_by_daylight_saving_is_rejected() -> None:
    result = ingest(
        [
            record(
                started_at="2024-03-31T02:30:00", first_response_at=None, ended_at=None
            )
        ],
        allow_new_dimensions=False,
        naive_timezone=ZoneInfo("Europe/Berlin"),
    )

    assert result == IngestResult(
        rejected=[
            Rejection(
                0,
                "started_at",
                "2024-03-31T02:30:00 does not exist in Europe/Berlin: the clocks "
                "skip it when daylight saving time starts.",
            )
        ]
    )
