"""
Apply parsed records to the stored rows of their keys and classify the outcome.

Records apply in order, as if sent one by one: a key listed twice in a batch is
created (or updated) by its first record and updated by the second, and the last one
wins. Each key is written once, with its final values.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from .fields import FieldError
from .reading import Key, ParsedRecord
from .references import REFERENCE_COLUMNS, References
from .results import IngestResult, Rejection

# The columns that ingestion writes besides the key, in write order.
ROW_COLUMNS: tuple[str, ...] = (
    "started_at",
    "first_response_at",
    "ended_at",
    "customer_timezone",
    "channel_id",
    "consultation_type_id",
    "business_line_id",
    "product_category_id",
    "customer_tier_id",
    "customer_id",
    "agent_id",
    "team_id",
    "converted",
    "satisfaction",
    "abandoned",
    "message_count",
)
NEW_ROW: dict[str, Any] = {
    **dict.fromkeys(ROW_COLUMNS),
    "customer_timezone": "",
    "converted": False,
    "abandoned": False,
    "message_count": 0,
}
REQUIRED_ON_CREATE = ("started_at", "channel")


@dataclass(slots=True)
class Plan:
    """The rows one chunk writes, with the counts of its records by outcome."""

    rows: dict[Key, dict[str, Any]] = field(default_factory=dict)
    new_keys: int = 0
    result: IngestResult = field(default_factory=IngestResult)
    # Keys whose rows may refer to rows still to be created.
    pending: set[Key] = field(default_factory=set)

    def rows_with_pending(self) -> list[dict[str, Any]]:
        """Return the rows to write that may refer to rows still to be created."""
        return [self.rows[key] for key in self.pending if key in self.rows]


def plan_chunk(
    records: list[ParsedRecord],
    stored: dict[Key, dict[str, Any]],
    references: References,
) -> Plan:
    """Merge `records` into the `stored` rows; return what to write and the counts."""
    plan = Plan()
    current: dict[Key, dict[str, Any]] = {}
    result = plan.result
    for record in records:
        before = current.get(record.key) or stored.get(record.key)
        pending_made = references.pending_made
        try:
            row = merge(record, before, references)
        except FieldError as error:
            result.rejected.append(
                Rejection(record.index, error.field or "record", error.reason)
            )
            continue

        if before is None:
            result.created += 1
        elif row == before:
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        current[record.key] = row
        if references.pending_made != pending_made:
            plan.pending.add(record.key)

    for key, row in current.items():
        if key not in stored:
            plan.new_keys += 1
            plan.rows[key] = row
        elif row != stored[key]:
            plan.rows[key] = row
    return plan


def merge(
    record: ParsedRecord, before: dict[str, Any] | None, references: References
) -> dict[str, Any]:
    """
    Return the row `record` leaves behind when applied to `before` (None: new).

    Raise FieldError when the record misses what a new row needs, refers to
    something that may not be created, or leaves the row inconsistent.
    """
    values = record.values
    if before is None:
        for key in REQUIRED_ON_CREATE:
            if key not in values:
                raise FieldError(
                    gettext("This field is required to create a consultation."), key
                )
    row = dict(NEW_ROW if before is None else before)

    ids = references.ids
    for key, value in values.items():
        column = REFERENCE_COLUMNS.get(key)
        if column is None:
            row[key] = value
            continue
        if value is not None:
            # Ids are never 0, so a miss is the only falsy answer.
            value = ids[key].get(value) or references.resolve(key, value)
        row[column] = value
    if "agent" in values and (before is None or row["agent_id"] != before["agent_id"]):
        # The team is the agent's when the consultation is assigned to them, so
        # that statistics by team do not move when the agent changes team later.
        row["team_id"] = references.team_of(row["agent_id"])
    _check_order(values, row)

    _apply_customer(record, before, row, references)
    return row


def _apply_customer(
    record: ParsedRecord,
    before: dict[str, Any] | None,
    row: dict[str, Any],
    references: References,
) -> None:
    zone = record.values.get("customer_timezone")
    needs_zone = zone == "" or (zone is None and before is None)
    if not needs_zone and record.country is None:
        return

    customer = references.customer_code(row["customer_id"])
    if needs_zone:
        row["customer_timezone"] = references.customer_zone(customer, record.country)
    if customer is not None and record.country is not None:
        references.keep_country(customer, record.country)


def _check_order(values: dict[str, Any], row: dict[str, Any]) -> None:
    started_at = row["started_at"]
    for key in ("ended_at", "first_response_at"):
        moment = row[key]
        if moment is None or moment >= started_at:
            continue
        if key == "ended_at":
            message = gettext("The end (%(value)s) is before the start (%(start)s).")
        else:
            message = gettext(
                "The first response (%(value)s) is before the start (%(start)s)."
            )
        raise FieldError(
            message % {"value": moment.isoformat(), "start": started_at.isoformat()},
            key if key in values else "started_at",
        )
