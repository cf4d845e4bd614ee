"""Query helpers for looking up many rows by key at once."""

import json
from collections.abc import Collection
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup, Q
from django.db.models.sql.compiler import SQLCompiler


def any_of_json(db_type: str) -> str:
    """
    Return SQL for `= ANY(...)` of the values in one JSON array parameter.

    One parameter however many values, encoded by `json.dumps` in C: the driver
    would quote the elements of a list parameter one by one in Python, which cost
    more than the query. ARRAY(...) is computed once, so the comparison still uses
    the index of the column.
    """
    return f"= ANY(ARRAY(SELECT json_array_elements_text(%s::json))::{db_type}[])"


def one_of(field: str, values: Collection[Any]) -> Q | Lookup:
    """Return a filter for `field` among `values`, with one parameter if possible."""
    if connection.vendor == "postgresql":
        return AnyOf(F(field), list(values))
    return Q(**{f"{field}__in": values})


class AnyOf(Lookup):
    """`field = ANY(...)` with the values as one JSON array, for PostgreSQL."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.db_type(connection)
        return f"{lhs} {any_of_json(db_type)}", (*lhs_params, json.dumps(self.rhs))
