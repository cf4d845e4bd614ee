"""
A batch ingested at once against the same records sent one by one, on random batches.

Ingestion promises that the records of a batch apply in order, as if each were sent
alone. Batches are parsed and merged column by column, in chunks, over runs of
records with distinct keys; sending the records one at a time takes none of those
shortcuts. Both must store the same consultations, give their customers the same
countries and zones, and report every record with the same outcome.
"""

from collections.abc import Callable
from functools import reduce
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consultations.ingestion import IngestResult, Rejection, ingest_chunks
from consultations.models import Consultation, Customer

from .ingestion_helpers import create_catalogue, stored

pytestmark = pytest.mark.django_db

# Few keys and few values of each kind, so that records meet the same
# consultation, customer and dimension value often. Each key has valid values
# (empties among them) and one wrong value, which comes up about once in eight.
VALUES: dict[str, tuple[list[Any], Any]] = {
    "started_at": (["2024-03-04T09:00:00Z", "2024-03-04T18:00:00+08:00"], "soon"),
    "first_response_at": (["2024-03-04T09:01:00Z", "2024-03-04T08:59:00Z", None], 5),
    "ended_at": (["2024-03-04T09:20:00Z", "2024-03-04T08:00:00Z", ""], "later"),
    "customer_timezone": (["Asia/Kathmandu", ""], "Mars/Olympus"),
    "channel": (["web", "app"], "web chat"),
    "consultation_type": (["pre-sales", "refund", None], 7),
    "customer": (["cust-1", "cust-2", "cust-3", None], "x" * 129),
    "customer_country": (["NP", "DE", "US", ""], "XX"),
    "agent": (["ana", "bob", None], ["ana"]),
    "converted": ([True, "no", None], "maybe"),
    "satisfaction": ([1, "5", None], 9),
    "message_count": ([0, "7"], -1),
}
values = {
    key: st.sampled_from(valid * (7 // len(valid) + 1) + [wrong])
    for key, (valid, wrong) in VALUES.items()
}
# Most records carry what a new consultation needs; the rest update or fail.
records = st.one_of(
    st.fixed_dictionaries(
        {
            "source": st.just("web-chat"),
            "external_id": st.sampled_from("abc"),
            "started_at": values["started_at"],
            "channel": values["channel"],
        },
        optional={
            key: values[key] for key in VALUES if key not in ("started_at", "channel")
        },
    ),
    st.fixed_dictionaries(
        {"source": st.just("web-chat"), "external_id": st.sampled_from("abc")},
        optional=values,
    ),
    st.sampled_from(
        [
            {"source": "web-chat", "external_id": "a", "colour": "red"},
            {"external_id": "b", "channel": "web"},
            ["not", "a", "record"],
        ]
    ),
)


@given(
    batch=st.lists(records, max_size=10),
    chunk_size=st.integers(1, 4),
    allow_new_dimensions=st.booleans(),
)
@hypothesis_settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_ingest_batch_stores_what_its_records_sent_one_by_one_store(
    batch: list[Any], chunk_size: int, allow_new_dimensions: bool
) -> None:
    def at_once() -> IngestResult:
        return _ingest(batch, chunk_size, allow_new_dimensions)

    def one_by_one() -> IngestResult:
        result = IngestResult()
        for index, record in enumerate(batch):
            result.add(_ingest([record], 1, allow_new_dimensions, start_index=index))
        return result

    assert _outcome(at_once) == _outcome(one_by_one)


def _ingest(
    batch: list[Any],
    chunk_size: int,
    allow_new_dimensions: bool,
    start_index: int = 0,
) -> IngestResult:
    chunks = ingest_chunks(
        batch,
        allow_new_dimensions=allow_new_dimensions,
        start_index=start_index,
        chunk_size=chunk_size,
    )
    return reduce(IngestResult.add, chunks, IngestResult())


def _outcome(run: Callable[[], IngestResult]) -> tuple[Any, ...]:
    """Run an ingestion on the catalogue alone; return what it did, then undo it."""
    with transaction.atomic():
        create_catalogue()
        result: IngestResult = run()
        customers = Customer.objects.filter(
            id__in=Consultation.objects.values("customer")
        ).values_list("external_id", "country", "timezone")
        outcome = (
            (result.created, result.updated, result.unchanged),
            sorted(result.rejected, key=_index),
            stored(),
            sorted(customers),
        )
        transaction.set_rollback(True)
    return outcome


def _index(rejection: Rejection) -> int:
    return rejection.index
