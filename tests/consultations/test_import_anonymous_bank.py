"""The October 1999 call log of the Anonymous Bank, imported in full."""

import datetime as dt
import io
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command

from consultations.models import Channel, Consultation, ConsultationType, CustomerTier

from .ingestion_helpers import row_versions

pytestmark = pytest.mark.django_db

LOG = Path(settings.BASE_DIR).parent / "shared/data/anonymous-bank-1999/october.txt"
ISRAEL = ZoneInfo("Asia/Jerusalem")


def outcomes() -> Counter[str]:
    """Count the calls of the log by outcome, read the simplest way."""
    with LOG.open() as file:
        next(file)
        return Counter(line.split()[12] for line in file if line.strip())


def run() -> str:
    out = io.StringIO()
    call_command(
        "import_consultations",
        str(LOG),
        "--format",
        "anonymous-bank",
        "--timezone",
        "Asia/Jerusalem",
        stdout=out,
        verbosity=0,
    )
    return out.getvalue().splitlines()[0].split(" in ")[0]


def offset_changes(zone: ZoneInfo, year: int) -> list[tuple[dt.date, dt.timedelta]]:
    """Return the days of `year` at whose noon the zone's offset differs from the
    day before, with the new offset."""
    changes = []
    day = dt.date(year, 1, 1)
    previous = None
    while day.year == year:
        offset = dt.datetime.combine(day, dt.time(12), zone).utcoffset()
        if previous is not None and offset != previous:
            changes.append((day, offset))
        previous = offset
        day += dt.timedelta(days=1)
    return changes


@pytest.mark.skipif(not LOG.exists(), reason="the bank's call log is not here")
def test_import_bank_log_stores_every_served_and_abandoned_call() -> None:
    # Given the log's calls counted independently
    counts = outcomes()
    calls = counts["AGENT"] + counts["HANG"]

    # When it is imported, then imported again
    first = run()
    versions = row_versions()
    second = run()

    # Then every served and abandoned call is stored once, phantoms are skipped,
    # and the second import changes nothing
    assert counts["AGENT"] + counts["HANG"] + counts["PHANTOM"] == sum(counts.values())
    assert first == (
        f"{calls} created, 0 updated, 0 unchanged, 0 rejected, "
        f"{counts['PHANTOM']} skipped"
    )
    assert second == (
        f"0 created, 0 updated, {calls} unchanged, 0 rejected, "
        f"{counts['PHANTOM']} skipped"
    )
    assert row_versions() == versions
    assert Counter(Consultation.objects.values_list("abandoned", flat=True)) == {
        False: counts["AGENT"],
        True: counts["HANG"],
    }


@pytest.mark.skipif(not LOG.exists(), reason="the bank's call log is not here")
def test_import_bank_log_reads_times_types_and_the_malformed_lines() -> None:
    # Given Israel's 1999 clock changes, taken from the zone database: summer
    # time ended on 3 September, so all of October is UTC+2
    assert offset_changes(ISRAEL, 1999) == [
        (dt.date(1999, 4, 2), dt.timedelta(hours=3)),
        (dt.date(1999, 9, 3), dt.timedelta(hours=2)),
    ]

    # When the log is imported
    run()

    # Then a known call starts at its exact UTC instant, with its answer and end
    served = Consultation.objects.select_related("channel", "customer_tier").get(
        source="anonymous-bank", external_id="AA0101-46087"
    )
    assert (
        served.started_at,
        served.first_response_at,
        served.ended_at,
        served.agent.external_id,
        served.channel.code,
        served.customer_tier.code,
        served.abandoned,
    ) == (
        dt.datetime(1999, 10, 1, 5, 15, 55, tzinfo=dt.UTC),
        dt.datetime(1999, 10, 1, 5, 16, 8, tzinfo=dt.UTC),
        dt.datetime(1999, 10, 1, 5, 17, 10, tzinfo=dt.UTC),
        "BASCH",
        "phone",
        "regular",
        False,
    )
    # A call served past midnight ends on the next day.
    late = Consultation.objects.get(external_id="AA0101-47322")
    assert (late.started_at, late.ended_at) == (
        dt.datetime(1999, 10, 26, 21, 53, 45, tzinfo=dt.UTC),
        dt.datetime(1999, 10, 26, 22, 0, 25, tzinfo=dt.UTC),
    )
    # The two lines with spaces instead of a tab are read like the others.
    assert list(
        Consultation.objects.filter(external_id__in=["AA0108-3892", "AA0116-10486"])
        .order_by("external_id")
        .values_list(
            "external_id",
            "started_at",
            "ended_at",
            "consultation_type__code",
            "customer_tier__code",
            "abandoned",
            "first_response_at",
        )
    ) == [
        (
            "AA0108-3892",
            dt.datetime(1999, 10, 26, 12, 7, 50, tzinfo=dt.UTC),
            dt.datetime(1999, 10, 26, 12, 7, 58, tzinfo=dt.UTC),
            "prospect",
            "regular",
            True,
            None,
        ),
        (
            "AA0116-10486",
            dt.datetime(1999, 10, 26, 14, 0, 6, tzinfo=dt.UTC),
            dt.datetime(1999, 10, 26, 14, 0, 15, tzinfo=dt.UTC),
            "internet",
            "regular",
            True,
            None,
        ),
    ]
    assert Channel.objects.get(code="phone").medium == Channel.Medium.VOICE
    assert sorted(ConsultationType.objects.values_list("code", "name")) == [
        ("call-back", "Call-back"),
        ("internet", "Internet"),
        ("prospect", "Prospect"),
        ("regular", "Regular"),
        ("regular-english", "Regular, in English"),
        ("stock-exchange", "Stock exchange"),
    ]
    assert sorted(CustomerTier.objects.values_list("code", flat=True)) == [
        "high",
        "regular",
    ]
