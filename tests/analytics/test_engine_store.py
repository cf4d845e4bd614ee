"""
How the aggregates store their sums: a zero is a NULL, which takes no room, both
where a row is written and where a refresh brings a sum back to zero.
"""

import datetime as dt

import pytest
from django.db import connection

from analytics.grouping import FULL_GROUPING
from analytics.models import (
    LATENCY_MEASURES,
    TRAFFIC_MEASURES,
    LatencyHistogram,
    TrafficAggregate,
)
from analytics.services import refresh_aggregates
from consultations.models import Consultation
from tests.conftest import EPOCH

pytestmark = pytest.mark.django_db

NINE = EPOCH + dt.timedelta(hours=9)


def _consultation(external_id: str, channel_id: int, converted: bool) -> Consultation:
    return Consultation.objects.create(
        source="test",
        external_id=external_id,
        channel_id=channel_id,
        started_at=NINE,
        first_response_at=NINE + dt.timedelta(seconds=30),
        ended_at=NINE + dt.timedelta(minutes=5),
        converted=converted,
    )


def _zeros(model: type, measures: tuple[str, ...]) -> int:
    """Count the stored measures that are 0 rather than NULL."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {model._meta.db_table}, "
            f"unnest(ARRAY[{', '.join(measures)}]::bigint[]) AS measure "
            "WHERE measure = 0"
        )
        return cursor.fetchone()[0]


def test_zero_sums_are_stored_as_null_also_when_a_refresh_brings_them_back(
    dimensions: dict[str, list[int | None]],
) -> None:
    # Given two consultations of one bucket and channel, one of them converted
    channel = dimensions["channel"][0]
    converted = _consultation("c-1", channel, converted=True)
    _consultation("c-2", channel, converted=False)
    refresh_aggregates()
    everyone = TrafficAggregate.objects.get(grouping=0, bucket_start=NINE)
    assert (everyone.volume, everyone.converted, everyone.abandoned) == (2, 1, None)

    # When the conversion is withdrawn and the change refreshed
    converted.converted = False
    converted.save()
    refresh_aggregates()

    # Then the count of conversions is NULL again, not 0, and no row holds a 0
    everyone.refresh_from_db()
    assert (everyone.volume, everyone.converted) == (2, None)
    assert _zeros(TrafficAggregate, TRAFFIC_MEASURES) == 0
    assert _zeros(LatencyHistogram, LATENCY_MEASURES) == 0


def test_a_histogram_row_of_one_consultation_takes_the_room_of_its_bins_alone(
    dimensions: dict[str, list[int | None]],
) -> None:
    # Given the histograms of one consultation, a wait and a duration
    _consultation("c-1", dimensions["channel"][0], converted=False)
    refresh_aggregates()

    # Then its row of the full grouping stores three counts beside its key, and
    # takes well under the 4 bytes of each of its 64 counts
    row = LatencyHistogram.objects.get(grouping=FULL_GROUPING)
    counts = [getattr(row, name) for name in LATENCY_MEASURES]
    assert sorted(count for count in counts if count is not None) == [1, 1, 1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_column_size(h.*) FROM {LatencyHistogram._meta.db_table} h "
            "WHERE id = %s",
            [row.pk],
        )
        assert cursor.fetchone()[0] < 4 * len(LATENCY_MEASURES) / 2
