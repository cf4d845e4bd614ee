"""
Resolve the codes and external ids of records to row ids, creating rows on first use.

Lookups are set-based: one query per kind for the codes of a chunk not met before in
the run. Dimension values and agents are few and kept for the whole run; customers
may be millions and are kept up to a bound. Rows are created only for records
that passed validation, just before the write, so a rejected record leaves nothing
behind.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.utils.translation import gettext

from ..models import (
    Agent,
    BusinessLine,
    Channel,
    ConsultationType,
    Customer,
    CustomerTier,
    ProductCategory,
)
from .fields import FieldError, country_timezone
from .queries import array_literal, one_of
from .reading import ABSENT, Invalid, Key, ParsedChunk
from .rows import ROW_COLUMNS, Row

DIMENSIONS: dict[str, type[Model]] = {
    "channel": Channel,
    "consultation_type": ConsultationType,
    "business_line": BusinessLine,
    "product_category": ProductCategory,
    "customer_tier": CustomerTier,
}
# Customers are remembered across chunks up to this many, then forgotten at once:
# enough for the customers who come back within a file, bounded for any file.
CUSTOMER_MEMORY = 100_000
REFERENCE_COLUMNS: dict[str, str] = {
    **{kind: f"{kind}_id" for kind in DIMENSIONS},
    "customer": "customer_id",
    "agent": "agent_id",
}
# Where each reference sits in a row.
REFERENCE_POSITIONS: dict[int, str] = {
    ROW_COLUMNS.index(column): kind for kind, column in REFERENCE_COLUMNS.items()
}
CUSTOMER = ROW_COLUMNS.index("customer_id")


@dataclass(frozen=True, slots=True)
class Pending:
    """A row that does not exist yet and will be created before the write."""

    kind: str
    code: str


Reference = int | Pending
SELF_RESOLVED: dict[Any, Any] = {None: None, ABSENT: ABSENT}


@dataclass(slots=True)
class CustomerState:
    """What ingestion needs to know of a customer; `id` is None until created."""

    id: int | None
    country: str
    timezone: str


class References:
    """The ids behind codes and external ids, for one ingestion run."""

    def __init__(self, *, allow_new_dimensions: bool) -> None:
        self.allow_new_dimensions = allow_new_dimensions
        # By kind, the id of each code met so far; None and ABSENT stand for
        # themselves, so that a column of known codes resolves by one lookup call.
        self.ids: dict[str, dict[Any, Any]] = {
            kind: dict(SELF_RESOLVED) for kind in REFERENCE_COLUMNS
        }
        self.teams: dict[int, int | None] = {}
        self.customers: dict[str, CustomerState] = {}
        self.customer_ids: dict[int, str] = {}
        self.moved: dict[str, str] = {}
        # The kinds of the Pending references handed out since the last creation.
        self.pending_kinds: set[str] = set()

    def look_up(self, chunk: ParsedChunk, stored: dict[Key, Row]) -> None:
        """Load the ids of everything `chunk` refers to, and its customers."""
        for kind, model in DIMENSIONS.items():
            self._look_up_codes(kind, model, chunk)
        self._look_up_agents(chunk)
        self._look_up_customers(chunk, stored)

    def resolve_column(self, kind: str, codes: list[Any]) -> tuple[list[Any], bool]:
        """
        Return the ids of `codes`, keeping None and ABSENT, and whether one is Invalid.

        A code without a row becomes Pending, or Invalid when it may not be created.
        """
        ids = self.ids[kind]
        try:
            return list(map(ids.__getitem__, codes)), False
        except KeyError:
            pass  # A code to create or refuse: each is resolved once.
        missing: dict[str, Reference | Invalid] = {}
        for code in set(codes).difference(ids):
            try:
                missing[code] = self.resolve(kind, code)
            except FieldError as error:
                missing[code] = Invalid(error.reason, kind)
        refused = any(type(found) is Invalid for found in missing.values())
        return list(map(missing.get, codes, map(ids.get, codes))), refused

    def resolve(self, kind: str, code: str) -> Reference:
        """Return the id for `code`, or Pending; raise FieldError if not allowed."""
        found = self.ids[kind].get(code)
        if found is not None:
            return found
        if kind == "customer" or self.allow_new_dimensions:
            self.pending_kinds.add(kind)
            return Pending(kind, code)
        if kind == "agent":
            message = gettext(
                "There is no agent with external id %(code)r, and this import may "
                "not create one."
            )
        else:
            message = gettext(
                "There is no %(dimension)s with code %(code)r, and this import may "
                "not create one."
            )
        dimension = DIMENSIONS.get(kind, Agent)._meta.verbose_name
        raise FieldError(message % {"code": code, "dimension": dimension}, kind)

    def team_of(self, agent: Reference | None) -> int | None:
        """Return the current team of an agent; new agents have none."""
        if agent is None or isinstance(agent, Pending):
            return None
        return self.teams.get(agent)

    def settle_customer(
        self, customer: Reference | None, country: str | None, needs_zone: bool
    ) -> str | None:
        """
        Give a record's customer the record's `country`; return its zone if needed.

        The zone to assume is the customer's own, else that of the country
        (`country` when the record gives one, else the customer's) if the country
        has only one, else "" for unknown. Without `needs_zone`, return None.
        """
        if customer is None:
            code = None
        elif type(customer) is Pending:
            code = customer.code
        else:
            code = self.customer_ids.get(customer)
        state = self.customers.get(code) if code is not None else None
        zone = None
        if needs_zone:
            if state is not None and state.timezone:
                zone = state.timezone
            else:
                known = country or (state.country if state is not None else "")
                zone = country_timezone(known) if known else ""
        if code is not None and country is not None:
            if state is None:
                self.customers[code] = CustomerState(None, country, "")
            elif state.country != country:
                state.country = country
                if state.id is not None:
                    self.moved[code] = country
        return zone

    def create_pending(self, rows: dict[Key, Row]) -> None:
        """Create the rows that `rows` refer to and put their ids in place."""
        if not self.pending_kinds:
            return
        positions = [
            position
            for position, kind in REFERENCE_POSITIONS.items()
            if kind in self.pending_kinds
        ]
        self.pending_kinds.clear()
        pending: dict[str, set[str]] = defaultdict(set)
        waiting: list[Key] = []
        for key, row in rows.items():
            found = False
            for position in positions:
                value = row[position]
                if type(value) is Pending:
                    pending[value.kind].add(value.code)
                    found = True
            if found:
                waiting.append(key)
        # Always in the same order, so that concurrent runs cannot deadlock.
        for kind in REFERENCE_COLUMNS:
            if pending[kind]:
                self._create(kind, pending[kind])
        for key in waiting:
            row = list(rows[key])
            for position in positions:
                value = row[position]
                if type(value) is Pending:
                    row[position] = self.ids[value.kind][value.code]
            rows[key] = tuple(row)

    def store_countries(self) -> None:
        """Write the new countries that records gave existing customers."""
        by_country: dict[str, list[str]] = defaultdict(list)
        for customer, country in self.moved.items():
            by_country[country].append(customer)
        for country, customers in by_country.items():
            Customer.objects.filter(one_of("external_id", customers)).update(
                country=country
            )
        self.moved.clear()

    def _look_up_codes(self, kind: str, model: type[Model], chunk: ParsedChunk) -> None:
        wanted = _codes(chunk, kind).difference(self.ids[kind])
        if wanted:
            self.ids[kind].update(
                model.objects.filter(one_of("code", wanted)).values_list("code", "id")
            )

    def _look_up_agents(self, chunk: ParsedChunk) -> None:
        wanted = _codes(chunk, "agent").difference(self.ids["agent"])
        if wanted:
            self._remember_agents(Agent.objects.filter(one_of("external_id", wanted)))

    def _remember_agents(self, agents: QuerySet[Agent]) -> None:
        for code, id_, team in agents.values_list("external_id", "id", "team_id"):
            self.ids["agent"][code] = id_
            self.teams[id_] = team

    def _look_up_customers(self, chunk: ParsedChunk, stored: dict[Key, Row]) -> None:
        if len(self.customers) > CUSTOMER_MEMORY:
            self.customers.clear()
            self.customer_ids.clear()
            self.ids["customer"] = dict(SELF_RESOLVED)
        codes = _codes(chunk, "customer").difference(self.ids["customer"])
        # A record that names no customer may still need the stored one: to fall
        # back to its zone or to give it a country.
        ids = {
            stored[key][CUSTOMER]
            for key in _keys_needing_stored_customer(chunk)
            if key in stored
        }
        ids.difference_update(self.customer_ids)
        ids.discard(None)
        if codes or ids:
            self._remember_customers(
                Customer.objects.filter(
                    one_of("external_id", codes) | one_of("id", ids)
                )
            )

    def _remember_customers(self, customers: QuerySet[Customer]) -> None:
        for code, id_, country, zone in customers.values_list(
            "external_id", "id", "country", "timezone"
        ):
            self._remember_customer(code, id_, country, zone)

    def _remember_customer(self, code: str, id_: int, country: str, zone: str) -> None:
        self.customers[code] = CustomerState(id_, country, zone)
        self.customer_ids[id_] = code
        self.ids["customer"][code] = id_

    def _create(self, kind: str, codes: set[str]) -> None:
        # Concurrent runs may create the same rows: ignore conflicts, then read
        # back the ids of all of them, whoever created them.
        if kind == "customer":
            created = self._insert_customers(sorted(codes))
            for code, id_ in created.items():
                self._remember_customer(code, id_, self._country_of(code), "")
            # The others were created meanwhile by a concurrent run.
            if len(created) < len(codes):
                self._remember_customers(
                    Customer.objects.filter(
                        one_of("external_id", codes - created.keys())
                    )
                )
        elif kind == "agent":
            Agent.objects.bulk_create(
                [Agent(external_id=code) for code in sorted(codes)],
                ignore_conflicts=True,
            )
            self._remember_agents(Agent.objects.filter(one_of("external_id", codes)))
        else:
            model = DIMENSIONS[kind]
            model.objects.bulk_create(
                [model(code=code, name=code) for code in sorted(codes)],
                ignore_conflicts=True,
            )
            found = model.objects.filter(one_of("code", codes))
            self.ids[kind].update(found.values_list("code", "id"))

    def _insert_customers(self, codes: list[str]) -> dict[str, int]:
        """Insert the customers that do not exist; return the ids of those."""
        if connection.vendor != "postgresql":
            Customer.objects.bulk_create(
                [Customer(external_id=c, country=self._country_of(c)) for c in codes],
                ignore_conflicts=True,
            )
            return {}
        # A file can bring thousands of new customers a chunk; the ORM's
        # bulk_create spends some 200 microseconds of Python on each, two array
        # parameters a fraction of one.
        table = Customer._meta.db_table
        countries = [self._country_of(code) for code in codes]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (external_id, country, timezone) "
                "SELECT external_id, country, '' "
                "FROM unnest(%s::text[], %s::text[]) AS new (external_id, country) "
                "ORDER BY external_id "
                "ON CONFLICT (external_id) DO NOTHING RETURNING external_id, id",
                [array_literal(codes), array_literal(countries)],
            )
            return dict(cursor.fetchall())

    def _country_of(self, customer: str) -> str:
        state = self.customers.get(customer)
        return state.country if state is not None else ""


def _codes(chunk: ParsedChunk, kind: str) -> set[str]:
    codes = set(chunk.values.get(kind, ()))
    codes.discard(ABSENT)
    codes.discard(None)
    return codes


def _keys_needing_stored_customer(chunk: ParsedChunk) -> list[Key]:
    """Return the keys of the records that give no customer but a country or ""."""
    if "customer" in chunk.complete:
        return []
    return [
        key
        for key, customer, country, zone in zip(
            chunk.keys,
            chunk.column("customer"),
            chunk.column("customer_country"),
            chunk.column("customer_timezone"),
            strict=True,
        )
        if customer is ABSENT and (country not in (None, ABSENT) or zone == "")
    ]
