"""
Apply parsed chunks to the stored rows of their keys and classify the outcome.

Records apply in order, as if sent one by one: a key listed twice in a batch is
created (or updated) by its first record and updated by the second, and the last one
wins. Each key is written once, with its final values.

A chunk is merged a column at a time over runs of records with distinct keys: a
key's second record starts the next run, which applies on top of the first. A batch
without repeated keys is one run.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from .reading import ABSENT, Invalid, Key, ParsedChunk
from .references import REFERENCE_COLUMNS, References
from .results import IngestResult, Rejection
from .rows import NEW_ROW, ROW_COLUMNS, Row

REQUIRED_ON_CREATE = ("started_at", "channel")
REFERENCE_KINDS = {column: kind for kind, column in REFERENCE_COLUMNS.items()}
# The record key each column takes its value from; the team follows the agent.
SOURCE_KEYS: dict[str, str] = {
    column: REFERENCE_KINDS.get(column, column)
    for column in ROW_COLUMNS
    if column != "team_id"
}
AGENT = ROW_COLUMNS.index("agent_id")
ORDER_CHECKS = ("ended_at", "first_response_at")


@dataclass(slots=True)
class Plan:
    """The rows one chunk writes, with the counts of its records by outcome."""

    rows: dict[Key, Row] = field(default_factory=dict)
    new_keys: set[Key] = field(default_factory=set)
    result: IngestResult = field(default_factory=IngestResult)


def plan_chunk(
    chunk: ParsedChunk, stored: dict[Key, Row], references: References
) -> Plan:
    """Merge `chunk` into the `stored` rows; return what to write and the counts."""
    plan = Plan()
    current: dict[Key, Row] = {}
    for start, stop in _runs(chunk.keys):
        befores: list[Row | None]
        if stored or current:
            keys = chunk.keys[start:stop]
            befores = [current.get(key) or stored.get(key) for key in keys]
        else:
            befores = [None] * (stop - start)
        run = Run(chunk, start, stop, befores)
        run.merge(references)
        run.classify(current, plan.result)

    for key, row in current.items():
        before = stored.get(key)
        if before is None:
            plan.new_keys.add(key)
            plan.rows[key] = row
        elif row != before:
            plan.rows[key] = row
    return plan


def _runs(keys: list[Key]) -> list[tuple[int, int]]:
    if len(set(keys)) == len(keys):
        # The usual batch: one run, found without a step of Python per key.
        return [(0, len(keys))]
    runs: list[tuple[int, int]] = []
    start = 0
    seen: set[Key] = set()
    for position, key in enumerate(keys):
        if key in seen:
            runs.append((start, position))
            start = position
            seen.clear()
        seen.add(key)
    runs.append((start, len(keys)))
    return runs


class Run:
    """
    Records of a chunk with distinct keys, merged into their rows column by column.

    `befores` holds each record's row before it applies (None: a new key). A
    record that misses what a new row needs, refers to something that may not be
    created, or leaves its row inconsistent is a fault: it is rejected and changes
    nothing.
    """

    def __init__(
        self, chunk: ParsedChunk, start: int, stop: int, befores: list[Row | None]
    ) -> None:
        whole = start == 0 and stop == len(chunk)
        self.given = {
            key: column if whole else column[start:stop]
            for key, column in chunk.values.items()
        }
        self.complete = chunk.complete
        self.records = chunk.records[start:stop]
        self.indexes = chunk.indexes[start:stop]
        self.keys = chunk.keys[start:stop]
        self.befores = befores
        self.all_new = not any(befores)
        self.merged: dict[str, list[Any]] = {}
        self.faults: dict[int, tuple[str, str]] = {}
        # The kinds of reference with a code that may not be created.
        self.refused: set[str] = set()

    def merge(self, references: References) -> None:
        """Compute the rows the records leave behind, noting the faulty records."""
        self._check_required()
        for position, column in enumerate(ROW_COLUMNS):
            default = NEW_ROW[column]
            if self.all_new:
                before = [default] * len(self.keys)
            else:
                before = [
                    default if row is None else row[position] for row in self.befores
                ]
            self.merged[column] = self._applied(column, before, references)
        self._note_reference_faults()
        self._assign_teams(references)
        self._check_order()
        self._apply_customers(references)

    def classify(self, current: dict[Key, Row], result: IngestResult) -> None:
        """Count each record's outcome and put the changed rows in `current`."""
        rows = zip(*(self.merged[column] for column in ROW_COLUMNS), strict=True)
        if not self.faults and self.all_new:
            current.update(zip(self.keys, rows, strict=True))
            result.created += len(self.keys)
            return
        for position, (key, row, before) in enumerate(
            zip(self.keys, rows, self.befores, strict=True)
        ):
            fault = self.faults.get(position)
            if fault is not None:
                result.rejected.append(Rejection(self.indexes[position], *fault))
                continue
            if before is None:
                result.created += 1
            elif row == before:
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            current[key] = row

    def _applied(
        self, column: str, before: list[Any], references: References
    ) -> list[Any]:
        key = SOURCE_KEYS.get(column)
        given = self.given.get(key) if key is not None else None
        if given is None:
            return before
        if column != key:
            given, refused = references.resolve_column(key, given)
            if refused:
                self.refused.add(key)
        if key in self.complete:
            return list(given)
        return [
            old if new is ABSENT else new
            for new, old in zip(given, before, strict=True)
        ]

    def _check_required(self) -> None:
        message = gettext("This field is required to create a consultation.")
        for key in REQUIRED_ON_CREATE:
            given = self.given.get(key)
            for position, before in enumerate(self.befores):
                if before is None and (given is None or given[position] is ABSENT):
                    self.faults.setdefault(position, (key, message))

    def _note_reference_faults(self) -> None:
        columns = {
            kind: self.merged[column] for kind, column in REFERENCE_COLUMNS.items()
        }
        for kind in self.refused:
            for position, value in enumerate(columns[kind]):
                if type(value) is Invalid and position not in self.faults:
                    # The first refused reference in the record's own order.
                    first = next(
                        key
                        for key in self.records[position]
                        if key in columns and type(columns[key][position]) is Invalid
                    )
                    invalid: Invalid = columns[first][position]
                    self.faults[position] = (first, invalid.reason)

    def _assign_teams(self, references: References) -> None:
        # The team is the agent's when the consultation is assigned to them, so
        # that statistics by team do not move when the agent changes team later.
        given = self.given.get("agent")
        if given is None:
            return
        agents, teams = self.merged["agent_id"], self.merged["team_id"]
        for position, before in enumerate(self.befores):
            if given[position] is ABSENT:
                continue
            if before is None or agents[position] != before[AGENT]:
                teams[position] = references.team_of(agents[position])

    def _check_order(self) -> None:
        starts = self.merged["started_at"]
        for column in ORDER_CHECKS:
            given = self.given.get(column)
            for position, moment in enumerate(self.merged[column]):
                if moment is None or position in self.faults:
                    continue
                start = starts[position]
                if moment >= start:
                    continue
                blamed = given is not None and given[position] is not ABSENT
                self.faults[position] = (
                    column if blamed else "started_at",
                    _order_message(column, moment, start),
                )

    def _apply_customers(self, references: References) -> None:
        zones = self.given.get("customer_timezone")
        countries = self.given.get("customer_country")
        stored_zones = self.merged["customer_timezone"]
        customers = self.merged["customer_id"]
        faults = self.faults
        for position, before in enumerate(self.befores):
            zone = ABSENT if zones is None else zones[position]
            country = None if countries is None else countries[position]
            if country is ABSENT:
                country = None
            needs_zone = zone == "" or (zone is ABSENT and before is None)
            if (not needs_zone and country is None) or position in faults:
                continue
            settled = references.settle_customer(
                customers[position], country, needs_zone
            )
            if needs_zone:
                stored_zones[position] = settled


def _order_message(column: str, moment: Any, start: Any) -> str:
    if column == "ended_at":
        message = gettext("The end (%(value)s) is before the start (%(start)s).")
    else:
        message = gettext(
            "The first response (%(value)s) is before the start (%(start)s)."
        )
    return message % {"value": moment.isoformat(), "start": start.isoformat()}
