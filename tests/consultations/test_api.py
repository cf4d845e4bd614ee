"""The consultation viewset, its filters, the dimension lists and the schema."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from consultations.models import (
    Agent,
    BusinessLine,
    Channel,
    Consultation,
    ConsultationType,
    Customer,
    CustomerTier,
    ProductCategory,
    Team,
)

EPOCH = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
LIST_URL = "/api/consultations/"
ALL_PERMISSIONS = (
    "view_consultation",
    "add_consultation",
    "change_consultation",
    "delete_consultation",
)

pytestmark = pytest.mark.django_db


def api_time(value: datetime) -> str:
    """Return a datetime as the API writes it: ISO 8601 in UTC with a Z."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def detail_url(consultation: Consultation) -> str:
    return f"{LIST_URL}{consultation.pk}/"


@pytest.fixture(autouse=True)
def catalogue() -> None:
    """Store the dimension values, agents and customer the tests refer to."""
    Channel.objects.create(code="web", name="Website")
    Channel.objects.create(code="phone", name="Phone", medium=Channel.Medium.VOICE)
    ConsultationType.objects.create(code="presales", name="Pre-sales")
    ConsultationType.objects.create(code="complaint", name="Complaint")
    BusinessLine.objects.create(code="retail", name="Retail")
    ProductCategory.objects.create(code="phones", name="Phones")
    CustomerTier.objects.create(code="vip", name="VIP")
    alpha = Team.objects.create(code="alpha", name="Alpha")
    Team.objects.create(code="beta", name="Beta", is_active=False)
    Agent.objects.create(external_id="a-7", name="Lin", team=alpha)
    Agent.objects.create(external_id="a-8", name="Ada")
    Customer.objects.create(
        external_id="cust-1", country="US", timezone="America/New_York"
    )


def make_consultation(external_id: str, **fields: Any) -> Consultation:
    """Store a consultation directly, started at EPOCH unless told otherwise."""
    values: dict[str, Any] = {
        "source": "crm",
        "started_at": EPOCH,
        "channel": Channel.objects.get(code="web"),
        **fields,
    }
    return Consultation.objects.create(external_id=external_id, **values)


def full_consultation(external_id: str = "c-1") -> Consultation:
    agent = Agent.objects.get(external_id="a-7")
    return make_consultation(
        external_id,
        first_response_at=EPOCH + timedelta(seconds=30),
        ended_at=EPOCH + timedelta(minutes=12),
        customer_timezone="America/New_York",
        consultation_type=ConsultationType.objects.get(code="presales"),
        business_line=BusinessLine.objects.get(code="retail"),
        product_category=ProductCategory.objects.get(code="phones"),
        customer_tier=CustomerTier.objects.get(code="vip"),
        customer=Customer.objects.get(external_id="cust-1"),
        agent=agent,
        team=agent.team,
        converted=True,
        satisfaction=5,
        message_count=12,
    )


def representation(consultation: Consultation) -> dict[str, Any]:
    """Return what the API should answer for the full consultation."""
    return {
        "id": consultation.pk,
        "source": "crm",
        "external_id": "c-1",
        "started_at": "2024-05-01T01:00:00Z",
        "first_response_at": "2024-05-01T01:00:30Z",
        "ended_at": "2024-05-01T01:12:00Z",
        "customer_timezone": "America/New_York",
        "channel": "web",
        "consultation_type": "presales",
        "business_line": "retail",
        "product_category": "phones",
        "customer_tier": "vip",
        "customer": "cust-1",
        "customer_country": "US",
        "agent": "a-7",
        "team": "alpha",
        "converted": True,
        "satisfaction": 5,
        "abandoned": False,
        "message_count": 12,
        "wait_seconds": 30.0,
        "duration_seconds": 720.0,
        "created_at": api_time(consultation.created_at),
        "updated_at": api_time(consultation.updated_at),
    }


def new_record(**changes: Any) -> dict[str, Any]:
    return {
        "source": "crm",
        "external_id": "c-new",
        "started_at": "2024-05-01T09:00:00+08:00",
        "first_response_at": "2024-05-01T09:00:20+08:00",
        "channel": "phone",
        "consultation_type": "complaint",
        "agent": "a-7",
        "message_count": 3,
        **changes,
    }


@pytest.fixture
def client(client_with: Callable[..., APIClient]) -> APIClient:
    return client_with(*ALL_PERMISSIONS)


# Authentication and permissions.


def test_list_anonymous_is_unauthorized() -> None:
    response = APIClient().get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert response["WWW-Authenticate"] == "Token"


def test_list_bad_token_is_unauthorized() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_list_without_view_permission_is_forbidden(
    client_with: Callable[..., APIClient],
) -> None:
    response = client_with("add_consultation").get(LIST_URL)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action."
    }


def test_list_with_session_login_answers() -> None:
    user = User.objects.create_user("staff", password="a long enough secret")
    user.user_permissions.set(Permission.objects.filter(codename="view_consultation"))
    session_client = APIClient()
    session_client.login(username="staff", password="a long enough secret")
    make_consultation("c-1")

    response = session_client.get(LIST_URL)

    assert response.status_code == 200
    assert [item["external_id"] for item in response.json()["results"]] == ["c-1"]


def test_create_without_add_permission_is_forbidden(
    client_with: Callable[..., APIClient],
) -> None:
    client = client_with("view_consultation", "change_consultation")

    response = client.post(LIST_URL, new_record(), format="json")

    assert response.status_code == 403
    assert not Consultation.objects.exists()


# Reading.


def test_retrieve_renders_codes_external_ids_and_derived_seconds(
    client: APIClient,
) -> None:
    consultation = full_consultation()

    response = client.get(detail_url(consultation))

    assert response.status_code == 200
    assert response.json() == representation(consultation)


def test_retrieve_open_consultation_has_no_derived_seconds(client: APIClient) -> None:
    consultation = make_consultation("c-open")

    body = client.get(detail_url(consultation)).json()

    assert (body["wait_seconds"], body["duration_seconds"]) == (None, None)
    assert (body["customer"], body["customer_country"], body["team"]) == (
        None,
        None,
        None,
    )


def test_retrieve_unknown_id_is_not_found(client: APIClient) -> None:
    response = client.get(f"{LIST_URL}999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Consultation matches the given query."}


def test_list_is_paginated_newest_first(client: APIClient) -> None:
    consultation = full_consultation()
    make_consultation("c-0", started_at=EPOCH - timedelta(days=1))

    response = client.get(LIST_URL)

    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            representation(consultation),
            client.get(f"{LIST_URL}?external_id=c-0").json()["results"][0],
        ],
    }


@pytest.mark.parametrize("rows", [1, 25])
def test_list_query_count_does_not_grow_with_rows(
    client: APIClient, django_assert_num_queries: Any, rows: int
) -> None:
    for number in range(rows):
        full_consultation(f"c-{number}")

    # Token and user, user permissions, group permissions, count, page.
    with django_assert_num_queries(5):
        response = client.get(LIST_URL)

    assert response.json()["count"] == rows


# Writing.


def test_create_stores_the_record_and_answers_it(client: APIClient) -> None:
    response = client.post(LIST_URL, new_record(), format="json")

    assert response.status_code == 201
    consultation = Consultation.objects.get(source="crm", external_id="c-new")
    assert response["Location"] == f"http://testserver{detail_url(consultation)}"
    assert response.json() == {
        "id": consultation.pk,
        "source": "crm",
        "external_id": "c-new",
        "started_at": "2024-05-01T01:00:00Z",
        "first_response_at": "2024-05-01T01:00:20Z",
        "ended_at": None,
        "customer_timezone": None,
        "channel": "phone",
        "consultation_type": "complaint",
        "business_line": None,
        "product_category": None,
        "customer_tier": None,
        "customer": None,
        "customer_country": None,
        "agent": "a-7",
        "team": "alpha",
        "converted": False,
        "satisfaction": None,
        "abandoned": False,
        "message_count": 3,
        "wait_seconds": 20.0,
        "duration_seconds": None,
        "created_at": api_time(consultation.created_at),
        "updated_at": api_time(consultation.updated_at),
    }


def test_create_existing_key_is_refused_and_changes_nothing(
    client: APIClient,
) -> None:
    client.post(LIST_URL, new_record(), format="json")
    before = Consultation.objects.values().get()

    response = client.post(LIST_URL, new_record(satisfaction=2), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "external_id": [
            "A consultation with source crm and external id c-new already exists; "
            "change it with PUT or PATCH, or send it to the bulk endpoint."
        ]
    }
    assert Consultation.objects.values().get() == before


def test_create_rejected_record_answers_field_and_reason(client: APIClient) -> None:
    response = client.post(
        LIST_URL, new_record(started_at="2024-05-01T09:00:00"), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "started_at": [
            "2024-05-01T09:00:00 has no UTC offset; add one, e.g. "
            "2024-05-01T09:30:00+08:00 or a trailing Z."
        ]
    }
    assert not Consultation.objects.exists()


def test_create_unknown_field_is_refused(client: APIClient) -> None:
    response = client.post(LIST_URL, new_record(colour="red"), format="json")

    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."]}
    assert not Consultation.objects.exists()


def test_create_body_not_an_object_is_refused(client: APIClient) -> None:
    response = client.post(LIST_URL, [new_record()], format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Expected a JSON object."]}


def test_patch_sets_satisfaction_later(client: APIClient) -> None:
    consultation = full_consultation()
    Consultation.objects.filter(pk=consultation.pk).update(satisfaction=None)

    response = client.patch(
        detail_url(consultation), {"satisfaction": 4}, format="json"
    )

    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.satisfaction == 4
    assert response.json() == {
        **representation(consultation),
        "satisfaction": 4,
    }


def test_patch_null_clears_the_field(client: APIClient) -> None:
    consultation = full_consultation()

    response = client.patch(
        detail_url(consultation), {"ended_at": None, "agent": None}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["ended_at"], body["duration_seconds"], body["agent"]) == (
        None,
        None,
        None,
    )
    consultation.refresh_from_db()
    assert (consultation.ended_at, consultation.agent) == (None, None)


@pytest.mark.parametrize("key", ["source", "external_id"])
def test_patch_changing_the_identity_is_refused(client: APIClient, key: str) -> None:
    consultation = full_consultation()

    response = client.patch(detail_url(consultation), {key: "other"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        key: ["Cannot change: source and external_id identify the consultation."]
    }
    assert Consultation.objects.values_list("source", "external_id").get() == (
        "crm",
        "c-1",
    )


def test_patch_rejected_value_answers_field_and_reason(client: APIClient) -> None:
    consultation = full_consultation()

    response = client.patch(
        detail_url(consultation), {"satisfaction": 9}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "satisfaction": ["Satisfaction must be between 1 and 5, got 9."]
    }
    consultation.refresh_from_db()
    assert consultation.satisfaction == 5


def test_put_without_every_field_is_refused(client: APIClient) -> None:
    consultation = full_consultation()

    response = client.put(
        detail_url(consultation),
        {"source": "crm", "external_id": "c-1", "satisfaction": 1},
        format="json",
    )

    assert response.status_code == 400
    message = ["Send every field with PUT, or use PATCH."]
    assert response.json() == {
        "abandoned": message,
        "agent": message,
        "business_line": message,
        "channel": message,
        "consultation_type": message,
        "converted": message,
        "customer": message,
        "customer_country": message,
        "customer_timezone": message,
        "customer_tier": message,
        "ended_at": message,
        "first_response_at": message,
        "message_count": message,
        "product_category": message,
        "started_at": message,
    }


def test_put_of_a_read_record_replaces_it(client: APIClient) -> None:
    consultation = full_consultation()
    record = client.get(detail_url(consultation)).json()

    response = client.put(
        detail_url(consultation),
        {**record, "channel": "phone", "satisfaction": 2, "converted": False},
        format="json",
    )

    assert response.status_code == 200
    consultation.refresh_from_db()
    assert response.json() == {
        **representation(consultation),
        "channel": "phone",
        "satisfaction": 2,
        "converted": False,
    }


def test_delete_removes_the_record(client: APIClient) -> None:
    consultation = full_consultation()

    response = client.delete(detail_url(consultation))

    assert response.status_code == 204
    assert not Consultation.objects.exists()


def test_delete_without_permission_is_forbidden(
    client_with: Callable[..., APIClient],
) -> None:
    consultation = full_consultation()
    client = client_with("view_consultation", "change_consultation")

    response = client.delete(detail_url(consultation))

    assert response.status_code == 403
    assert Consultation.objects.exists()


# Filters.


@pytest.fixture
def filterable() -> None:
    """Store four consultations that differ in every filtered attribute."""
    agent = Agent.objects.get(external_id="a-7")
    make_consultation("early-web", started_at=EPOCH, satisfaction=5, converted=True)
    make_consultation(
        "mid-phone",
        started_at=EPOCH + timedelta(hours=1),
        channel=Channel.objects.get(code="phone"),
        agent=agent,
        team=agent.team,
        satisfaction=3,
    )
    make_consultation(
        "late-web",
        started_at=EPOCH + timedelta(hours=2),
        consultation_type=ConsultationType.objects.get(code="complaint"),
        abandoned=True,
        source="bank",
    )
    make_consultation(
        "later-phone",
        started_at=EPOCH + timedelta(hours=3),
        channel=Channel.objects.get(code="phone"),
        agent=Agent.objects.get(external_id="a-8"),
        satisfaction=1,
    )


def listed(client: APIClient, query: str) -> list[str]:
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 200, response.json()
    return [item["external_id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "started_after=2024-05-01T09:00:00%2B08:00"
            "&started_before=2024-05-01T03:00:00Z",
            ["mid-phone", "early-web"],
        ),
        ("started_after=2024-05-01T03:00:00Z", ["later-phone", "late-web"]),
        ("channel=phone", ["later-phone", "mid-phone"]),
        (
            "channel=phone&channel=web",
            ["later-phone", "late-web", "mid-phone", "early-web"],
        ),
        ("consultation_type=complaint", ["late-web"]),
        ("agent=a-7&agent=a-8", ["later-phone", "mid-phone"]),
        ("team=alpha", ["mid-phone"]),
        ("converted=true", ["early-web"]),
        ("abandoned=1&converted=false", ["late-web"]),
        ("abandoned=no&converted=yes", ["early-web"]),
        ("satisfaction=1&satisfaction=5", ["later-phone", "early-web"]),
        ("source=bank", ["late-web"]),
        ("external_id=mid-phone", ["mid-phone"]),
        ("channel=web&page=1&format=json", ["late-web", "early-web"]),
    ],
)
def test_list_filter_selects_matching_records(
    client: APIClient, filterable: None, query: str, expected: list[str]
) -> None:
    assert listed(client, query) == expected


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("converted=maybe", {"converted": ["Enter true or false, not maybe."]}),
        ("channel=web&channel=fax", {"channel": ["Unknown value: fax."]}),
        ("agent=a-99", {"agent": ["Unknown value: a-99."]}),
        (
            "satisfaction=6",
            {
                "satisfaction": [
                    "Select a valid choice. 6 is not one of the available choices."
                ]
            },
        ),
        (
            "started_after=2024-05-01T09:00:00",
            {
                "started_after": [
                    "2024-05-01T09:00:00 has no UTC offset; add one, e.g. "
                    "2024-05-01T09:30:00+08:00 or a trailing Z."
                ]
            },
        ),
        (
            "started_after=2024-05-01T09:00:00+08:00",
            {
                "started_after": [
                    "Enter an ISO 8601 date and time with a UTC offset, e.g. "
                    "2024-05-01T09:00:00+08:00 (write + as %2B in a URL), "
                    "not 2024-05-01T09:00:00 08:00."
                ]
            },
        ),
        (
            "started_after=2024-05-02T00:00:00Z&started_before=2024-05-01T00:00:00Z",
            {"started_before": ["Must be later than started_after."]},
        ),
    ],
)
def test_list_bad_filter_value_is_refused_naming_the_parameter(
    client: APIClient, filterable: None, query: str, errors: dict[str, list[str]]
) -> None:
    response = client.get(f"{LIST_URL}?{query}")

    assert response.status_code == 400
    assert response.json() == errors


def test_list_unknown_parameter_is_refused(client: APIClient) -> None:
    response = client.get(f"{LIST_URL}?chanel=web")

    assert response.status_code == 400
    assert response.json() == {
        "chanel": [
            "Unknown filter parameter; the filters are: abandoned, agent, "
            "business_line, channel, consultation_type, converted, customer_tier, "
            "external_id, product_category, satisfaction, source, started_after, "
            "started_before, team."
        ]
    }


# Dimensions.


def test_dimension_list_renders_code_name_and_state(client: APIClient) -> None:
    response = client.get("/api/teams/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"code": "alpha", "name": "Alpha", "is_active": True},
            {"code": "beta", "name": "Beta", "is_active": False},
        ],
    }


def test_dimension_list_filters_by_state(client: APIClient) -> None:
    response = client.get("/api/teams/?is_active=false")

    assert [item["code"] for item in response.json()["results"]] == ["beta"]


def test_dimension_list_bad_state_is_refused(client: APIClient) -> None:
    response = client.get("/api/teams/?is_active=perhaps")

    assert response.status_code == 400
    assert response.json() == {"is_active": ["Enter true or false, not perhaps."]}


def test_dimension_retrieve_by_code_includes_channel_medium(
    client: APIClient,
) -> None:
    response = client.get("/api/channels/phone/")

    assert response.json() == {
        "code": "phone",
        "name": "Phone",
        "is_active": True,
        "medium": "voice",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/channels/",
        "/api/consultation-types/",
        "/api/business-lines/",
        "/api/product-categories/",
        "/api/customer-tiers/",
        "/api/teams/",
    ],
)
def test_dimension_list_anonymous_is_unauthorized(path: str) -> None:
    assert APIClient().get(path).status_code == 401


def test_dimension_list_is_read_only(client: APIClient) -> None:
    response = client.post("/api/teams/", {"code": "gamma", "name": "Gamma"})

    assert response.status_code == 405
    assert list(Team.objects.values_list("code", flat=True)) == ["alpha", "beta"]


# Schema.


def test_schema_describes_the_consultation_endpoints(client: APIClient) -> None:
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert {
        "/api/consultations/",
        "/api/consultations/{id}/",
        "/api/consultations/bulk/",
        "/api/channels/",
        "/api/teams/{code}/",
    } <= set(schema["paths"])
    bulk = schema["paths"]["/api/consultations/bulk/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BulkRequest"
    }
    assert set(bulk["responses"]) == {"200", "400", "413"}
    parameters = schema["paths"]["/api/consultations/"]["get"]["parameters"]
    assert {parameter["name"] for parameter in parameters} == {
        "abandoned",
        "agent",
        "business_line",
        "channel",
        "consultation_type",
        "converted",
        "customer_tier",
        "external_id",
        "page",
        "product_category",
        "satisfaction",
        "source",
        "started_after",
        "started_before",
        "team",
    }


def test_schema_of_the_consultation_api_has_no_warnings() -> None:
    GENERATOR_STATS.reset()

    SchemaGenerator(urlconf="consultations.api.urls").get_schema(public=True)

    assert not GENERATOR_STATS, "drf-spectacular warned; see the captured stderr"
