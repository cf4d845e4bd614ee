import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from analytics.histogram import DURATION_EDGES, WAIT_EDGES, bin_index
from analytics.quality import QUALITY_COLUMNS
from analytics.reporting.base import ReportQuery
from analytics.reporting.registry import get_report
from analytics.reports import QualityReport
from analytics.services import refresh_aggregates
from analytics.statistics import wilson_interval
from consultations.models import Channel, Consultation

from . import reference
from .factories import FILTERS, SCENARIOS, build_query, report_cases, schema_mismatches

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.mark.parametrize(("scenario", "slot_minutes", "filter_name"), report_cases())
def test_quality_any_zone_slot_and_filter_matches_raw_consultations(
    traffic, scenario: str, slot_minutes: int, filter_name: str
) -> None:
    # Given stored consultations, and a range in a zone with a slot size and filter
    query = build_query(scenario, slot_minutes, traffic.ids(FILTERS[filter_name]))

    # When the quality report is computed from the aggregates
    result = QualityReport().compute(query)

    # Then rates, means and counts equal those of the raw consultations, and the
    # quantiles those read from histograms filled with the raw values
    expected = reference.quality(traffic.records, reference.Scope.of(query))
    assert result == expected


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_quality_quantiles_lie_within_one_bin_of_the_raw_quantiles(
    traffic, scenario: str
) -> None:
    # Given stored consultations and a range in a zone, per hour
    query = build_query(scenario, 60, {})
    scope = reference.Scope.of(query)
    started = scope.started(traffic.records)

    # When the quality report is computed
    result = QualityReport().compute(query)

    # Then every quantile lies in the histogram bin of the raw quantile, the error
    # bound documented in analytics.histogram
    by_slot: dict[str, list] = {row["slot"]: [] for row in result["rows"]}
    for record in started:
        by_slot[scope.label(scope.slot_of(record.started_at)[1])].append(record)
    checked = [(row, by_slot[row["slot"]]) for row in result["rows"]]
    for row, records in [*checked, (result["overall"], started)]:
        waits = reference.waits_us(records)
        durations = reference.durations_us(records)
        for figure, values, edges, q in (
            ("first_response_median", waits, WAIT_EDGES, 0.5),
            ("first_response_p90", waits, WAIT_EDGES, 0.9),
            ("duration_median", durations, DURATION_EDGES, 0.5),
        ):
            assert _within_bin(row[figure], values, edges, q), (row, figure)


def test_quality_slot_figures_rest_on_their_counts(settings) -> None:
    # Given four consultations started at 10:05 UTC, when five make a figure solid:
    # three converted, ratings 5, 4 and 2, waits of 10 and 20 s, one abandoned
    settings.PEAKDESK_THIN_COUNT = 4
    start = dt.datetime(2025, 6, 1, 10, 5, tzinfo=UTC)
    for i, (converted, rating, wait, minutes, abandoned) in enumerate(
        [
            (True, 5, 10, 5, False),
            (True, 4, 20, 15, False),
            (True, 2, None, None, False),
            (False, None, None, None, True),
        ]
    ):
        _consultation(
            f"q{i}",
            start,
            converted=converted,
            satisfaction=rating,
            wait=wait,
            minutes=minutes,
            abandoned=abandoned,
        )
    refresh_aggregates()
    query = ReportQuery(
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2025, 6, 2),
        zone=ZoneInfo("UTC"),
        slot_minutes=60,
    )

    # When the quality report is computed
    result = QualityReport().compute(query)

    # Then the 10:00 slot shows each figure with its count and thin marker
    conversion_low, conversion_high = wilson_interval(3, 4)
    abandonment_low, abandonment_high = wilson_interval(1, 4)
    csat_low, csat_high = wilson_interval(2, 3)
    expected = {
        "slot": "10:00",
        "volume": 4,
        "volume_thin": False,
        "converted": 3,
        "conversion_rate": 0.75,
        "conversion_rate_low": conversion_low,
        "conversion_rate_high": conversion_high,
        "abandoned": 1,
        "abandonment_rate": 0.25,
        "abandonment_rate_low": abandonment_low,
        "abandonment_rate_high": abandonment_high,
        "rated": 3,
        "rated_thin": True,
        "satisfaction_mean": 11 / 3,
        "satisfied": 2,
        "csat_share": 2 / 3,
        "csat_share_low": csat_low,
        "csat_share_high": csat_high,
        "responded": 2,
        "responded_thin": True,
        # Bins [10, 12) and [20, 25): rank 1 reaches the top of the first.
        "first_response_median": 12.0,
        # Rank 1.8 lies 80% into [20, 25).
        "first_response_p90": pytest.approx(24.0),
        "wait_mean": 15.0,
        "ended": 2,
        "ended_thin": True,
        "duration_mean": 600.0,
        # 300 s and 900 s: the median reaches the top of [300, 360).
        "duration_median": 360.0,
    }
    assert result["rows"][10] == expected
    assert result["overall"] == {
        key: value for key, value in expected.items() if key != "slot"
    }
    assert result["thin_count"] == 4


def test_quality_empty_slot_has_no_figures_and_is_thin() -> None:
    # Given a day without consultations
    query = ReportQuery(
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2025, 6, 2),
        zone=ZoneInfo("Asia/Kolkata"),
        slot_minutes=60,
    )

    # When the quality report is computed
    result = QualityReport().compute(query)

    # Then each figure is None, each count zero and marked thin
    counts = {"volume", "converted", "abandoned", "rated", "satisfied"}
    counts |= {"responded", "ended"}
    thin = {column for column in QUALITY_COLUMNS if column.endswith("_thin")}
    assert result["overall"] == {
        column: 0 if column in counts else True if column in thin else None
        for column in QUALITY_COLUMNS
    }
    assert result["rows"][0] == {"slot": "00:00", **result["overall"]}


def test_quality_is_registered_with_csv_columns_and_bases_and_schema(traffic) -> None:
    report = get_report("quality")

    result = report.compute(build_query("kathmandu", 30, {"channel": ()}))

    assert isinstance(report, QualityReport)
    assert report.csv_columns(result) == list(result["rows"][0])
    assert schema_mismatches(report, result) == {}
    assert result["bases"] == reference.QUALITY_BASES
    assert set(result["bases"].values()) == {"volume", "rated", "responded", "ended"}


def _within_bin(
    estimate: float | None, values_us: list[int], edges: tuple[int, ...], q: float
) -> bool:
    """
    Return whether a histogram quantile lies in the bin of the raw sample quantile
    (the value of rank ceil(q * n)), or is the last edge when that lies beyond it.
    """
    if not values_us:
        return estimate is None
    ordered = sorted(values_us)
    raw = ordered[math.ceil(q * len(ordered)) - 1] / 1_000_000
    index = bin_index(raw, edges)
    if index == len(edges) - 1:
        return estimate == edges[-1]
    return edges[index] <= estimate <= edges[index + 1]


def _consultation(
    external_id: str,
    started_at: dt.datetime,
    *,
    converted: bool,
    satisfaction: int | None,
    wait: int | None,
    minutes: int | None,
    abandoned: bool,
) -> Consultation:
    channel, _created = Channel.objects.get_or_create(code="chat", name="Chat")
    return Consultation.objects.create(
        source="test",
        external_id=external_id,
        started_at=started_at,
        first_response_at=(
            None if wait is None else started_at + dt.timedelta(seconds=wait)
        ),
        ended_at=None
        if minutes is None
        else started_at + dt.timedelta(minutes=minutes),
        channel=channel,
        converted=converted,
        satisfaction=satisfaction,
        abandoned=abandoned,
    )
