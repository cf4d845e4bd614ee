"""Customers in zones with daylight saving and half-hour offsets, stored exactly."""

import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from consultations.ingestion import IngestResult, ingest
from consultations.models import Channel, Consultation, Customer

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture(autouse=True)
def channel() -> None:
    Channel.objects.create(code="web", name="Website")


def consultation(
    external_id: str, started_at: str, ended_at: str, customer: str
) -> dict[str, str]:
    return {
        "source": "tz",
        "external_id": external_id,
        "started_at": started_at,
        "ended_at": ended_at,
        "channel": "web",
        "customer": customer,
    }


def local_view() -> list[tuple]:
    """Return (id, UTC start, local start, local end, seconds) per consultation."""
    rows = []
    for item in Consultation.objects.order_by("external_id"):
        zone = ZoneInfo(item.customer_timezone)
        rows.append(
            (
                item.external_id,
                item.started_at,
                item.started_at.astimezone(zone).isoformat(timespec="minutes"),
                item.ended_at.astimezone(zone).isoformat(timespec="minutes"),
                item.duration_seconds,
            )
        )
    return rows


def test_new_york_customer_across_both_daylight_saving_changes_is_exact() -> None:
    # Given a customer in New York (the US has several zones, so the customer's own
    # zone is recorded) and sessions around the 2024 changes
    Customer.objects.create(external_id="ny", country="US", timezone="America/New_York")
    batch = [
        # 01:59 EST to 03:01 EDT: two real minutes, though the clock moves 62.
        consultation(
            "spring", "2024-03-10T01:59:00-05:00", "2024-03-10T03:01:00-04:00", "ny"
        ),
        # 01:30 EDT (first pass of the repeated hour) to 01:30 EST: one hour.
        consultation(
            "autumn", "2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00", "ny"
        ),
        # Days either side, to show the offsets on each side of the changes.
        consultation(
            "summer", "2024-07-04T12:00:00-04:00", "2024-07-04T12:05:00-04:00", "ny"
        ),
        consultation(
            "winter", "2024-12-24T12:00:00-05:00", "2024-12-24T12:05:00-05:00", "ny"
        ),
    ]

    # When they are ingested without a zone of their own
    result = ingest(batch, allow_new_dimensions=False)

    # Then the UTC instants, the local times and the durations are exact
    assert result == IngestResult(created=4)
    assert set(Consultation.objects.values_list("customer_timezone", flat=True)) == {
        "America/New_York"
    }
    assert local_view() == [
        (
            "autumn",
            dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
            "2024-11-03T01:30-04:00",
            "2024-11-03T01:30-05:00",
            3600.0,
        ),
        (
            "spring",
            dt.datetime(2024, 3, 10, 6, 59, tzinfo=UTC),
            "2024-03-10T01:59-05:00",
            "2024-03-10T03:01-04:00",
            120.0,
        ),
        (
            "summer",
            dt.datetime(2024, 7, 4, 16, 0, tzinfo=UTC),
            "2024-07-04T12:00-04:00",
            "2024-07-04T12:05-04:00",
            300.0,
        ),
        (
            "winter",
            dt.datetime(2024, 12, 24, 17, 0, tzinfo=UTC),
            "2024-12-24T12:00-05:00",
            "2024-12-24T12:05-05:00",
            300.0,
        ),
    ]


def test_kolkata_and_kathmandu_customers_keep_their_odd_offsets() -> None:
    # Given customers known only by their country, each with a single zone
    batch = [
        {
            **consultation(
                "in-1", "2024-05-01T00:00:00Z", "2024-05-01T00:20:00Z", "delhi"
            ),
            "customer_country": "IN",
        },
        {
            **consultation(
                "np-1", "2024-05-01T23:50:00+05:45", "2024-05-02T00:05:00+05:45", "ktm"
            ),
            "customer_country": "NP",
        },
    ]

    # When they are ingested
    result = ingest(batch, allow_new_dimensions=False)

    # Then the zone comes from the country and local times keep :30 and :45
    assert result == IngestResult(created=2)
    assert list(
        Consultation.objects.order_by("external_id").values_list(
            "external_id", "customer_timezone"
        )
    ) == [("in-1", "Asia/Kolkata"), ("np-1", "Asia/Kathmandu")]
    assert local_view() == [
        (
            "in-1",
            dt.datetime(2024, 5, 1, 0, 0, tzinfo=UTC),
            "2024-05-01T05:30+05:30",
            "2024-05-01T05:50+05:30",
            1200.0,
        ),
        (
            "np-1",
            dt.datetime(2024, 5, 1, 18, 5, tzinfo=UTC),
            "2024-05-01T23:50+05:45",
            "2024-05-02T00:05+05:45",
            900.0,
        ),
    ]


def test_naive_csv_times_read_with_timezone_across_a_dst_change(
    tmp_path: Path,
) -> None:
    # Given a CSV of New York clock times without offsets around both 2024 changes
    path = tmp_path / "ny.csv"
    rows = [
        ("before-gap", "2024-03-10T01:59:59", "2024-03-10T03:00:00"),
        ("in-gap", "2024-03-10T02:30:00", "2024-03-10T03:10:00"),
        ("repeated", "2024-11-03T01:30:00", "2024-11-03T01:59:00"),
        ("after-fold", "2024-11-03T02:00:00", "2024-11-03T02:10:00"),
    ]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["source", "external_id", "started_at", "ended_at", "channel"])
        writer.writerows(["tz", *row, "web"] for row in rows)
    rejects = tmp_path / "rejects.csv"

    # When it is imported with --timezone America/New_York
    out = io.StringIO()
    call_command(
        "import_consultations",
        str(path),
        "--timezone",
        "America/New_York",
        "--rejects",
        str(rejects),
        stdout=out,
        verbosity=0,
    )

    # Then a time the clocks skipped is rejected, a repeated one is read as its
    # first occurrence (daylight time), and the others are exact
    assert out.getvalue().startswith(
        "3 created, 0 updated, 0 unchanged, 1 rejected, 0 skipped"
    )
    assert list(
        Consultation.objects.order_by("started_at").values_list(
            "external_id", "started_at", "ended_at"
        )
    ) == [
        (
            "before-gap",
            dt.datetime(2024, 3, 10, 6, 59, 59, tzinfo=UTC),
            dt.datetime(2024, 3, 10, 7, 0, tzinfo=UTC),
        ),
        (
            "repeated",
            dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
            dt.datetime(2024, 11, 3, 5, 59, tzinfo=UTC),
        ),
        (
            "after-fold",
            dt.datetime(2024, 11, 3, 7, 0, tzinfo=UTC),
            dt.datetime(2024, 11, 3, 7, 10, tzinfo=UTC),
        ),
    ]
    with rejects.open(newline="") as file:
        assert list(csv.reader(file))[1][:3] == [
            "3",
            "started_at",
            "2024-03-10T02:30:00 does not exist in America/New_York: the clocks "
            "skip it when daylight saving time starts.",
        ]
