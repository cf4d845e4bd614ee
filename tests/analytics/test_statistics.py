import math

import pytest

from analytics.histogram import WAIT_EDGES
from analytics.statistics import (
    Z_95,
    histogram_quantile,
    is_thin,
    proportion,
    ratio,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Four-decimal values as printed in the usual tables of the Wilson interval.
        (1, 10, 0.0179, 0.4042),
        (5, 10, 0.2366, 0.7634),
        (8, 10, 0.4902, 0.9433),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_interval_known_proportions_match_tables(
    successes: int, trials: int, low: float, high: float
) -> None:
    # Given a proportion with published 95% bounds
    # When its interval is computed
    interval = wilson_interval(successes, trials)

    # Then both bounds agree to the four decimals printed
    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_no_success_starts_at_zero() -> None:
    # Given no success in ten trials
    # When the interval is computed
    interval = wilson_interval(0, 10)

    # Then it starts exactly at 0 and ends at z^2 / (n + z^2)
    assert interval == (0.0, pytest.approx(Z_95**2 / (10 + Z_95**2), rel=1e-12))


def test_wilson_interval_all_successes_ends_at_one() -> None:
    # Given every one of ten trials a success
    # When the interval is computed
    interval = wilson_interval(10, 10)

    # Then it ends exactly at 1 and starts at n / (n + z^2)
    assert interval == (pytest.approx(10 / (10 + Z_95**2), rel=1e-12), 1.0)


def test_wilson_interval_no_trials_is_none() -> None:
    assert wilson_interval(0, 0) is None


def test_wilson_interval_is_symmetric_around_one_half() -> None:
    # Given k and n - k successes of n
    low, high = wilson_interval(3, 40)
    mirrored_low, mirrored_high = wilson_interval(37, 40)

    # Then the intervals mirror each other around 1/2
    assert (low, high) == (
        pytest.approx(1 - mirrored_high, abs=1e-15),
        pytest.approx(1 - mirrored_low, abs=1e-15),
    )


def test_wilson_interval_wider_z_gives_wider_interval() -> None:
    narrow = wilson_interval(30, 100)
    wide = wilson_interval(30, 100, z=2.576)

    assert wide[0] < narrow[0] < 0.3 < narrow[1] < wide[1]


@pytest.mark.parametrize(("successes", "trials"), [(-1, 10), (11, 10)])
def test_wilson_interval_impossible_count_raises(successes: int, trials: int) -> None:
    with pytest.raises(ValueError) as raised:
        wilson_interval(successes, trials)

    assert str(raised.value) == (
        f"successes must lie between 0 and trials, got {successes} of {trials}"
    )


def test_proportion_with_trials_gives_rate_and_interval() -> None:
    figures = proportion("conversion_rate", 5, 10)

    low, high = wilson_interval(5, 10)
    assert figures == {
        "conversion_rate": 0.5,
        "conversion_rate_low": low,
        "conversion_rate_high": high,
    }


def test_proportion_without_trials_is_all_none() -> None:
    assert proportion("csat_share", 0, 0) == {
        "csat_share": None,
        "csat_share_low": None,
        "csat_share_high": None,
    }


def test_ratio_zero_denominator_is_none() -> None:
    assert (ratio(3, 4), ratio(0, 4), ratio(3, 0)) == (0.75, 0.0, None)


def test_histogram_quantile_interpolates_within_the_bin() -> None:
    # Given ten waits in [10, 12) s and ten in [12, 15) s
    counts = [0] * len(WAIT_EDGES)
    counts[WAIT_EDGES.index(10)] = 10
    counts[WAIT_EDGES.index(12)] = 10

    # When the median and 90th percentile are read
    median = histogram_quantile(counts, "wait", 0.5)
    p90 = histogram_quantile(counts, "wait", 0.9)

    # Then the median is the top of the first bin and p90 lies 80% into the second
    assert (median, p90) == (12.0, pytest.approx(12 + 3 * 0.8))


def test_histogram_quantile_empty_histogram_is_none() -> None:
    assert histogram_quantile([0] * len(WAIT_EDGES), "wait", 0.5) is None


@pytest.mark.parametrize(("count", "thin"), [(0, True), (29, True), (30, False)])
def test_is_thin_below_the_setting_is_thin(count: int, thin: bool) -> None:
    assert is_thin(count) is thin


def test_is_thin_reads_the_setting_at_use(settings) -> None:
    settings.PEAKDESK_THIN_COUNT = 5

    assert (is_thin(4), is_thin(5)) == (True, False)


def test_z_95_is_the_normal_quantile() -> None:
    # Given the standard normal CDF through the error function
    cdf = 0.5 * (1 + math.erf(Z_95 / math.sqrt(2)))

    assert cdf == pytest.approx(0.975, abs=1e-12)
