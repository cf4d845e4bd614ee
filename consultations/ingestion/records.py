"""The record form of a consultation: what `ingest` takes, and stored ones read back."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..models import Consultation

RECORD_KEYS: tuple[str, ...] = (
    "source",
    "external_id",
    "started_at",
    "first_response_at",
    "ended_at",
    "customer_timezone",
    "channel",
    "consultation_type",
    "business_line",
    "product_category",
    "customer_tier",
    "customer",
    "customer_country",
    "agent",
    "converted",
    "satisfaction",
    "abandoned",
    "message_count",
)


def as_record(consultation: Consultation) -> dict[str, Any]:
    """
    Return `consultation` as a record that `ingest` would store unchanged.

    Dimension values appear by code, the customer and agent by external id, times as
    aware datetimes in UTC. Select the related rows (`select_related`) when reading
    many, or each one costs a query.
    """
    customer = consultation.customer
    return {
        "source": consultation.source,
        "external_id": consultation.external_id,
        "started_at": consultation.started_at,
        "first_response_at": consultation.first_response_at,
        "ended_at": consultation.ended_at,
        "customer_timezone": consultation.customer_timezone,
        "channel": consultation.channel.code,
        "consultation_type": _code(consultation.consultation_type),
        "business_line": _code(consultation.business_line),
        "product_category": _code(consultation.product_category),
        "customer_tier": _code(consultation.customer_tier),
        "customer": customer.external_id if customer is not None else None,
        "customer_country": customer.country or None if customer is not None else None,
        "agent": (
            consultation.agent.external_id if consultation.agent is not None else None
        ),
        "converted": consultation.converted,
        "satisfaction": consultation.satisfaction,
        "abandoned": consultation.abandoned,
        "message_count": consultation.message_count,
    }


def _code(value: Any) -> str | None:
    return value.code if value is not None else None


class CellRecord(Mapping[str, Any]):
    """
    A record given as a row of cells under a header shared by many rows.

    Delimited files arrive this way; ingestion reads the cells of such records by
    position, without a dictionary per row. `cells` holds one text value per
    header key ("" for an empty cell).
    """

    __slots__ = ("cells", "header")

    def __init__(self, header: "Header", cells: list[Any]) -> None:
        self.header = header
        self.cells = cells

    def __getitem__(self, key: str) -> Any:
        return self.cells[self.header.positions[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.header.keys)

    def __len__(self) -> int:
        return len(self.header.keys)


class Header:
    """The keys of the cells of `CellRecord`s, in order; each is named once."""

    __slots__ = ("keys", "positions")

    def __init__(self, keys: list[str]) -> None:
        self.keys = tuple(keys)
        self.positions = {key: position for position, key in enumerate(keys)}
