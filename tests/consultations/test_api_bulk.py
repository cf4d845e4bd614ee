"""The bulk ingestion endpoint: POST /api/consultations/bulk/."""

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from rest_framework.test import APIClient

from consultations.models import Channel, Consultation

URL = "/api/consultations/bulk/"
STORED_FIELDS = (
    "source",
    "external_id",
    "started_at",
    "first_response_at",
    "ended_at",
    "channel__code",
    "satisfaction",
    "converted",
    "abandoned",
    "message_count",
    "created_at",
    "updated_at",
)

pytestmark = pytest.mark.django_db


def record(external_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "source": "crm",
        "external_id": external_id,
        "started_at": "2024-05-01T09:00:00+08:00",
        "first_response_at": "2024-05-01T09:00:30+08:00",
        "ended_at": "2024-05-01T09:12:00+08:00",
        "channel": "web",
        "converted": False,
        "abandoned": False,
        "message_count": 7,
        **changes,
    }


def answer(
    *,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    rejected: Iterable[tuple[int, str, str]] = (),
) -> dict[str, Any]:
    """Return the body the endpoint should answer with these outcomes."""
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": [
            {"index": index, "field": field, "reason": reason}
            for index, field, reason in rejected
        ],
    }


def stored_rows() -> list[dict[str, Any]]:
    return list(Consultation.objects.order_by("external_id").values(*STORED_FIELDS))


@pytest.fixture(autouse=True)
def channels() -> None:
    Channel.objects.create(code="web", name="Website")


@pytest.fixture
def client(client_with: Callable[..., APIClient]) -> APIClient:
    return client_with("add_consultation", "change_consultation")


def test_bulk_anonymous_is_unauthorized() -> None:
    response = APIClient().post(URL, {"records": [record("c-1")]}, format="json")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert stored_rows() == []


def test_bulk_without_change_permission_is_forbidden(
    client_with: Callable[..., APIClient],
) -> None:
    client = client_with("add_consultation")

    response = client.post(URL, {"records": [record("c-1")]}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action."
    }
    assert stored_rows() == []


def test_bulk_same_batch_twice_changes_nothing(client: APIClient) -> None:
    batch = {"records": [record("c-1"), record("c-2", satisfaction=5)]}
    first = client.post(URL, batch, format="json")
    rows_after_first = stored_rows()

    second = client.post(URL, batch, format="json")

    assert first.status_code == 200
    assert first.json() == answer(created=2)
    assert second.status_code == 200
    assert second.json() == answer(unchanged=2)
    assert stored_rows() == rows_after_first


def test_bulk_bare_list_is_accepted(client: APIClient) -> None:
    response = client.post(URL, [record("c-1")], format="json")

    assert response.status_code == 200
    assert response.json() == answer(created=1)
    assert [row["external_id"] for row in stored_rows()] == ["c-1"]


def test_bulk_update_changes_the_record(client: APIClient) -> None:
    client.post(URL, [record("c-1"), record("c-2")], format="json")

    response = client.post(
        URL,
        [record("c-1", satisfaction=2, converted=True), record("c-2")],
        format="json",
    )

    assert response.json() == answer(updated=1, unchanged=1)
    changed = Consultation.objects.get(external_id="c-1")
    assert (changed.satisfaction, changed.converted) == (2, True)
    untouched = Consultation.objects.get(external_id="c-2")
    assert (untouched.satisfaction, untouched.converted) == (None, False)


def test_bulk_mixed_batch_keeps_valid_records_and_lists_rejected(
    client: APIClient,
) -> None:
    batch = [
        record("c-1"),
        record("c-2", satisfaction=9),
        record("c-3"),
        record("c-4", ended_at="2024-05-01T08:00:00+08:00"),
    ]

    response = client.post(URL, {"records": batch}, format="json")

    assert response.status_code == 200
    assert response.json() == answer(
        created=2,
        rejected=[
            (1, "satisfaction", "Satisfaction must be between 1 and 5, got 9."),
            (
                3,
                "ended_at",
                "The end (2024-05-01T08:00:00+08:00) is before the start "
                "(2024-05-01T09:00:00+08:00).",
            ),
        ],
    )
    assert [row["external_id"] for row in stored_rows()] == ["c-1", "c-3"]


def test_bulk_over_limit_is_refused_whole(client: APIClient, settings: Any) -> None:
    settings.PEAKDESK_INGEST_MAX_BATCH = 3
    batch = [record(f"c-{number}") for number in range(4)]

    response = client.post(URL, {"records": batch}, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "A batch holds at most 3 records; this one has 4. "
        "Send it in smaller batches."
    }
    assert stored_rows() == []


def test_bulk_body_over_upload_limit_is_refused_whole(
    client: APIClient, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    batch = [record(f"c-{number}") for number in range(10)]

    response = client.post(URL, {"records": batch}, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body exceeds 1000 bytes; send fewer records per request."
    }
    assert stored_rows() == []


def test_bulk_at_limit_is_accepted(client: APIClient, settings: Any) -> None:
    settings.PEAKDESK_INGEST_MAX_BATCH = 3
    batch = [record(f"c-{number}") for number in range(3)]

    response = client.post(URL, {"records": batch}, format="json")

    assert response.json() == answer(created=3)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"records": ["This field is required."]}),
        (
            {"records": [record("c-1")], "dry_run": True},
            {"dry_run": ["Unknown field."]},
        ),
        (
            {"records": "c-1"},
            {"records": ["Expected a list of records, got a string."]},
        ),
        (
            {"records": [record("c-1"), "c-2"]},
            {"records": ["Record 1 is a string, not a JSON object."]},
        ),
        (
            [record("c-1"), [record("c-2")]],
            {"records": ["Record 1 is a list, not a JSON object."]},
        ),
        (
            "c-1",
            {
                "non_field_errors": [
                    'Expected {"records": [...]} or a list of records, got a string.'
                ]
            },
        ),
    ],
)
def test_bulk_malformed_body_is_refused_whole(
    client: APIClient, body: Any, errors: dict[str, list[str]]
) -> None:
    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert stored_rows() == []


def test_bulk_invalid_json_is_refused(client: APIClient) -> None:
    response = client.post(URL, '{"records": [', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - Expecting value: line 1 column 14 (char 13)"
    }


def test_bulk_naive_datetime_is_rejected_naming_the_field(client: APIClient) -> None:
    batch = [record("c-1", started_at="2024-05-01T09:00:00")]

    response = client.post(URL, batch, format="json")

    assert response.json() == answer(
        rejected=[
            (
                0,
                "started_at",
                "2024-05-01T09:00:00 has no UTC offset; add one, e.g. "
                "2024-05-01T09:30:00+08:00 or a trailing Z.",
            )
        ]
    )
    assert stored_rows() == []


def test_bulk_unknown_time_zone_is_rejected_naming_the_field(
    client: APIClient,
) -> None:
    batch = [record("c-1", customer_timezone="Mars/Olympus_Mons")]

    response = client.post(URL, batch, format="json")

    assert response.json() == answer(
        rejected=[
            (
                0,
                "customer_timezone",
                "'Mars/Olympus_Mons' is not a known IANA time zone name.",
            )
        ]
    )
    assert stored_rows() == []


def test_bulk_unknown_channel_without_permission_is_rejected(
    client: APIClient,
) -> None:
    response = client.post(URL, [record("c-1", channel="fax")], format="json")

    assert response.json() == answer(
        rejected=[
            (
                0,
                "channel",
                "There is no channel with code 'fax', and this import "
                "may not create one.",
            )
        ]
    )
    assert list(Channel.objects.values_list("code", flat=True)) == ["web"]
    assert stored_rows() == []


def test_bulk_unknown_channel_with_permission_is_created(
    client_with: Callable[..., APIClient],
) -> None:
    client = client_with(
        "add_consultation", "change_consultation", "create_dimension_values"
    )

    response = client.post(URL, [record("c-1", channel="fax")], format="json")

    assert response.json() == answer(created=1)
    assert sorted(Channel.objects.values_list("code", flat=True)) == ["fax", "web"]
    assert [row["channel__code"] for row in stored_rows()] == ["fax"]
