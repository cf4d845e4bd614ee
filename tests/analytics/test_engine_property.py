"""
Incremental refreshes against full rebuilds, on random histories of writes.

Any sequence of inserts, late inserts, updates and deletes, with refreshes (in
batches of any size) and rebuilds at random points, must leave exactly the rows a
full rebuild leaves; and those rows must agree with totals computed here from the
raw consultations with plain Python.
"""

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from analytics.buckets import BUCKET_US, DAY_US, MINUTE_US, to_us
from analytics.grouping import DIMENSIONS, grouping_of
from analytics.histogram import WAIT_EDGES, bin_index
from analytics.models import (
    BIN_FIELDS,
    SAMPLE_FIELDS,
    TRAFFIC_MEASURES,
    ConsultationChange,
    FillState,
    LatencyHistogram,
    RebuildPiece,
    TrafficAggregate,
)
from analytics.services import rebuild_aggregates, refresh_aggregates
from consultations.models import Consultation
from tests.conftest import EPOCH

pytestmark = pytest.mark.django_db

HOUR_US = 3600 * 10**6
PER_CHANNEL = grouping_of(["channel"])

# Offsets land on bucket and minute edges as often as between them.
offsets = st.one_of(
    st.integers(0, 3 * DAY_US),
    st.integers(0, 3 * 96).map(lambda bucket: bucket * BUCKET_US),
    st.integers(0, 3 * 1440).map(lambda minute: minute * MINUTE_US + 1),
)
delays = st.one_of(
    st.none(),
    st.integers(0, 2 * HOUR_US),
    st.integers(11 * HOUR_US, 14 * HOUR_US),
    st.sampled_from([0, MINUTE_US, BUCKET_US, 12 * HOUR_US, 20 * 10**6]),
)
facts = {
    "wait": delays,
    "duration": delays,
    "satisfaction": st.sampled_from([None, 1, 2, 3, 4, 5]),
    "converted": st.booleans(),
    "abandoned": st.booleans(),
    **{name: st.integers(0, 2) for name in DIMENSIONS},
}
records = st.fixed_dictionaries({"start": offsets, **facts})
changes = st.fixed_dictionaries({}, optional={"start": offsets, **facts})
operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), records),
        st.tuples(st.just("late insert"), records),
        st.tuples(st.just("update"), st.integers(0, 99), changes, st.booleans()),
        st.tuples(st.just("delete"), st.integers(0, 99)),
        st.tuples(st.just("refresh"), st.sampled_from([1, 2, 5, 10_000])),
        st.tuples(st.just("rebuild")),
    ),
    max_size=30,
)

# An update whose two logged rows land in different refresh batches.
SPLIT_UPDATE = [
    ("insert", {"start": 0, "wait": 0, "duration": 13 * HOUR_US, "satisfaction": 5,
                "converted": True, "abandoned": False, "channel": 0,
                "consultation_type": 1, "business_line": 0, "product_category": 2,
                "customer_tier": 0, "team": 1}),
    ("refresh", 10_000),
    ("update", 0, {"start": BUCKET_US, "channel": 2, "team": 0}, False),
    ("refresh", 1),
]  # fmt: skip


@hypothesis_settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=operations)
@example(history=SPLIT_UPDATE)
def test_refresh_any_history_equals_rebuild_and_raw_totals(
    history: list[tuple],
    dimensions: dict[str, list[int | None]],
    aggregate_rows: Callable[[], dict[str, list[tuple]]],
) -> None:
    # Given an empty store and a random history of writes, refreshes and rebuilds
    _empty_store()
    for operation in history:
        _apply(operation, dimensions)

    # When the remaining changes are refreshed
    refresh_aggregates()
    refreshed = aggregate_rows()

    # Then a full rebuild leaves the same rows, and both match the raw rows
    rebuild_aggregates()
    assert aggregate_rows() == refreshed
    assert ConsultationChange.objects.count() == 0
    assert _stored_totals() == _raw_totals()


def test_refresh_twice_changes_nothing(
    dimensions: dict[str, list[int | None]],
    aggregate_rows: Callable[[], dict[str, list[tuple]]],
) -> None:
    # Given a refreshed store
    _empty_store()
    for operation in SPLIT_UPDATE:
        _apply(operation, dimensions)
    refresh_aggregates()
    before = aggregate_rows()

    # When it is refreshed again
    outcome = refresh_aggregates()

    # Then nothing was applied and no row moved
    assert (outcome.changes_applied, outcome.rebuild_pieces) == (0, 0)
    assert aggregate_rows() == before
    assert _stored_totals() == _raw_totals()


def _empty_store() -> None:
    # Hypothesis runs every example in the same test transaction.
    Consultation.objects.all().delete()
    tables = [
        model._meta.db_table
        for model in (
            ConsultationChange,
            TrafficAggregate,
            LatencyHistogram,
            FillState,
            RebuildPiece,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")


def _apply(operation: tuple, dimensions: dict[str, list[int | None]]) -> None:
    kind, *arguments = operation
    ids = list(Consultation.objects.order_by("pk").values_list("pk", flat=True))
    if kind in ("insert", "late insert"):
        (record,) = arguments
        late = dt.timedelta(days=30) if kind == "late insert" else dt.timedelta()
        fields = _fields({**record, "start": _moment(record["start"]) - late})
        Consultation.objects.create(
            source="test", external_id=uuid.uuid4().hex, **_ids(fields, dimensions)
        )
    elif kind == "update" and ids:
        index, change, by_save = arguments
        _update(ids[index % len(ids)], change, by_save, dimensions)
    elif kind == "delete" and ids:
        (index,) = arguments
        Consultation.objects.get(pk=ids[index % len(ids)]).delete()
    elif kind == "refresh":
        (batch_size,) = arguments
        refresh_aggregates(batch_size=batch_size)
    elif kind == "rebuild":
        rebuild_aggregates()


def _update(
    pk: int, change: dict[str, Any], by_save: bool, dims: dict[str, list[int | None]]
) -> None:
    consultation = Consultation.objects.get(pk=pk)
    start = consultation.started_at
    current = {
        "start": start,
        "wait": _delay(start, consultation.first_response_at),
        "duration": _delay(start, consultation.ended_at),
    }
    if "start" in change:
        change = {**change, "start": _moment(change["start"])}
    # Times are always rewritten so that the response and the end keep their
    # delays (or take new ones) after a moved start.
    fields = _ids(_fields({**current, **change}), dims)

    if by_save:
        for name, value in fields.items():
            setattr(consultation, name, value)
        consultation.save()
    else:
        Consultation.objects.filter(pk=pk).update(**fields)


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """Return model field values for a record of a start and relative delays."""
    start = record["start"]
    fields = {
        "started_at": start,
        "first_response_at": _after(start, record.get("wait")),
        "ended_at": _after(start, record.get("duration")),
    }
    for name in ("satisfaction", "converted", "abandoned", *DIMENSIONS):
        if name in record:
            fields[name] = record[name]
    return fields


def _ids(fields: dict[str, Any], dims: dict[str, list[int | None]]) -> dict[str, Any]:
    return {
        f"{name}_id" if name in dims else name: dims[name][value]
        if name in dims
        else value
        for name, value in fields.items()
    }


def _moment(offset_us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=offset_us)


def _after(start: dt.datetime, delay_us: int | None) -> dt.datetime | None:
    return None if delay_us is None else start + dt.timedelta(microseconds=delay_us)


def _delay(start: dt.datetime, moment: dt.datetime | None) -> int | None:
    return None if moment is None else to_us(moment) - to_us(start)


def _stored_totals() -> dict[str, Any]:
    per_channel = (
        TrafficAggregate.objects.filter(grouping=PER_CHANNEL)
        .values_list("channel")
        .annotate(
            # A measure is NULL where its sum is zero.
            **{f"{name}_total": Coalesce(Sum(name), 0) for name in TRAFFIC_MEASURES}
        )
    )
    per_bucket = TrafficAggregate.objects.filter(grouping=0, volume__gt=0)
    waits = LatencyHistogram.objects.filter(grouping=0).aggregate(
        *(Sum(name) for name in BIN_FIELDS["wait"])
    )
    return {
        "per channel": {
            channel: _with_samples_summed(
                dict(zip(TRAFFIC_MEASURES, sums, strict=True))
            )
            for channel, *sums in per_channel
        },
        "volume per bucket": {
            to_us(bucket): volume
            for bucket, volume in per_bucket.values_list("bucket_start", "volume")
        },
        "wait bins": {
            i: count
            for i, name in enumerate(BIN_FIELDS["wait"])
            if (count := waits[f"{name}__sum"])
        },
    }


def _with_samples_summed(measures: dict[str, int]) -> dict[str, int]:
    samples = sum(measures.pop(name) for name in SAMPLE_FIELDS)
    return {**measures, "samples": samples}


def _raw_totals() -> dict[str, Any]:
    """Compute the same totals from the consultations, one record at a time."""
    per_channel: dict[int, Counter] = {}
    per_bucket: Counter = Counter()
    waits: Counter = Counter()
    for consultation in Consultation.objects.all():
        totals = per_channel.setdefault(consultation.channel_id, Counter())
        totals.update(_raw_measures(consultation))
        start = to_us(consultation.started_at)
        per_bucket[start - start % BUCKET_US] += 1
        if consultation.wait_seconds is not None:
            waits[bin_index(consultation.wait_seconds, WAIT_EDGES)] += 1
    names = [*TRAFFIC_MEASURES[: -len(SAMPLE_FIELDS)], "samples"]
    return {
        "per channel": {
            channel: {name: totals[name] for name in names}
            for channel, totals in per_channel.items()
        },
        "volume per bucket": dict(per_bucket),
        "wait bins": dict(waits),
    }


def _raw_measures(consultation: Consultation) -> dict[str, int]:
    start = to_us(consultation.started_at)
    wait = _delay(consultation.started_at, consultation.first_response_at)
    duration = _delay(consultation.started_at, consultation.ended_at)
    satisfaction = consultation.satisfaction or 0
    max_span = settings.PEAKDESK_CONCURRENCY_MAX_HOURS * HOUR_US
    busy = 0 if duration is None else min(duration, max_span)
    return {
        "volume": 1,
        "converted": int(consultation.converted),
        "abandoned": int(consultation.abandoned),
        "rated": int(satisfaction > 0),
        "satisfaction_sum": satisfaction,
        "satisfied": int(satisfaction >= 4),
        "responded": int(wait is not None),
        "wait_us": wait or 0,
        "ended": int(duration is not None),
        "duration_us": duration or 0,
        "busy_us": busy,
        # Minute marks m with start <= m < start + busy.
        "samples": _marks_before(start + busy) - _marks_before(start),
    }


def _marks_before(moment_us: int) -> int:
    return -(-moment_us // MINUTE_US)
