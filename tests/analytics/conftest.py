import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from analytics.services import refresh_aggregates

from .factories import (
    Record,
    create_consultations,
    create_dimension_values,
    load_records,
    remove_everything,
)

# Two fortnights of consultations around the 2026 DST changes of New York, with a
# day or more of margin around every report range so that sessions in progress at
# a range's start are included.
WINDOWS = (
    (dt.datetime(2026, 2, 28, tzinfo=dt.UTC), dt.datetime(2026, 3, 14, tzinfo=dt.UTC)),
    (dt.datetime(2026, 10, 26, tzinfo=dt.UTC), dt.datetime(2026, 11, 7, tzinfo=dt.UTC)),
)
PER_WINDOW = 2000


@dataclass(frozen=True)
class Traffic:
    """The stored consultations as records, and the ids of the dimension values."""

    records: list[Record]
    dimension_ids: dict[str, list[int]]

    def ids(
        self, spec: dict[str, tuple[int | None, ...]]
    ) -> dict[str, tuple[int, ...]]:
        """Return a filter given by value positions (None for "none") as ids."""
        return {
            name: tuple(0 if i is None else self.dimension_ids[name][i] for i in picks)
            for name, picks in spec.items()
        }


@pytest.fixture(scope="module")
def traffic(django_db_setup, django_db_blocker) -> Iterator[Traffic]:
    """
    Store seeded consultations and refresh the aggregates, once per module.

    The data is committed so that every test of the module reads it; it is all
    removed when the module is done.
    """
    with django_db_blocker.unblock():
        dimension_ids = create_dimension_values()
        create_consultations(3, dimension_ids, WINDOWS, PER_WINDOW)
        refresh_aggregates()
        stored = Traffic(load_records(), dimension_ids)
    yield stored
    with django_db_blocker.unblock():
        remove_everything()
