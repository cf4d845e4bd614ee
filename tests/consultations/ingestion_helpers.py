"""Records, dimension values and table snapshots for the ingestion tests."""

import datetime as dt
from typing import Any

from django.db import connection

from consultations.models import (
    Agent,
    BusinessLine,
    Channel,
    Consultation,
    ConsultationType,
    CustomerTier,
    ProductCategory,
    Team,
)

START = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)
# What a stored consultation holds beside its key, references by their codes.
CODED_FIELDS: tuple[str, ...] = (
    "started_at",
    "first_response_at",
    "ended_at",
    "customer_timezone",
    "channel__code",
    "consultation_type__code",
    "business_line__code",
    "product_category__code",
    "customer_tier__code",
    "customer__external_id",
    "agent__external_id",
    "team__code",
    "converted",
    "satisfaction",
    "abandoned",
    "message_count",
)


def create_catalogue() -> None:
    """Create the dimension values, team and agent that `record` refers to."""
    Channel.objects.create(code="web", name="Website")
    ConsultationType.objects.create(code="pre-sales", name="Pre-sales")
    BusinessLine.objects.create(code="retail", name="Retail")
    ProductCategory.objects.create(code="phones", name="Phones")
    CustomerTier.objects.create(code="vip", name="VIP")
    team = Team.objects.create(code="north", name="North")
    Agent.objects.create(external_id="ana", name="Ana", team=team)


def record(external_id: str = "c-1", **values: Any) -> dict[str, Any]:
    """Return a complete valid record as a JSON client sends it, with overrides."""
    return {
        "source": "web-chat",
        "external_id": external_id,
        "started_at": "2024-03-04T09:00:00+00:00",
        "first_response_at": "2024-03-04T09:00:30+00:00",
        "ended_at": "2024-03-04T09:10:00+00:00",
        "customer_timezone": "Europe/Berlin",
        "channel": "web",
        "consultation_type": "pre-sales",
        "business_line": "retail",
        "product_category": "phones",
        "customer_tier": "vip",
        "customer": "cust-1",
        "customer_country": "DE",
        "agent": "ana",
        "converted": True,
        "satisfaction": 4,
        "abandoned": False,
        "message_count": 12,
    } | values


def stored() -> list[dict[str, Any]]:
    """Return every consultation with its references as codes, by external id."""
    return list(
        Consultation.objects.order_by("source", "external_id").values(
            "source", "external_id", *CODED_FIELDS
        )
    )


def row_versions() -> dict[str, tuple[str, dt.datetime]]:
    """Return each consultation's row version (xmin) and updated_at by external id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, xmin::text, updated_at FROM consultations_consultation"
        )
        return {key: (xmin, updated) for key, xmin, updated in cursor.fetchall()}
