"""
Query helpers for looking up many rows by key at once on PostgreSQL.

A list of keys goes to the server as one array literal: the driver would otherwise
quote thousands of parameters one by one in Python, at a cost above the query's.
Inlined as a constant, the array lets the planner count its elements, and where it
still filters rows by it (its statistics lagging behind a fast-growing table), the
filter is a hash lookup, not a scan of the array for every row.
"""

from collections.abc import Collection
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup, Q
from django.db.models.sql.compiler import SQLCompiler


def one_of(field: str, values: Collection[Any]) -> Q | Lookup:
    """Return a filter for `field` among `values`, with one parameter if possible."""
    if connection.vendor == "postgresql":
        return AnyOf(F(field), list(values))
    return Q(**{f"{field}__in": values})


def array_literal(values: Collection[str | int]) -> str:
    """Return the PostgreSQL array literal of `values` (text or integers)."""
    if not values:
        return "{}"
    try:
        text = "".join(values)  # type: ignore[arg-type]
    except TypeError:
        text = None  # Integers among them.
    if text is not None and '"' not in text and "\\" not in text:
        # Nothing to escape: quote every element at once.
        return '{"' + '","'.join(values) + '"}'  # type: ignore[arg-type]
    elements = ",".join(
        f'"{_escape(value)}"' if isinstance(value, str) else str(int(value))
        for value in values
    )
    return "{" + elements + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class AnyOf(Lookup):
    """`field = ANY('{...}'::type[])`, the values as one array literal."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        text = field.get_internal_type() in {"CharField", "SlugField", "TextField"}
        db_type = "text" if text else field.db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, array_literal(self.rhs))
