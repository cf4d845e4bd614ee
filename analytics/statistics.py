"""
Small statistics behind report figures: proportions with Wilson intervals, quantiles
read from the fixed latency histograms, and the thin marker.

Every function returns None where the count a figure rests on is zero, so that a
report shows "no data" rather than a zero that looks like a measurement.
"""

import math
from collections.abc import Sequence

import numpy as np
from django.conf import settings

from .histogram import EDGES, quantile

# The 97.5th percentile of the standard normal distribution.
Z_95 = 1.959963984540054


def ratio(numerator: float, denominator: float) -> float | None:
    """Return numerator / denominator, or None when the denominator is zero."""
    if denominator == 0:
        return None
    return numerator / denominator


def wilson_interval(
    successes: int, trials: int, *, z: float = Z_95
) -> tuple[float, float] | None:
    """
    Return the Wilson score interval (low, high) of a proportion.

    Return None without trials; raise ValueError unless 0 <= successes <= trials.
    The bounds are exactly 0 and 1 when every trial failed or succeeded.
    """
    if trials == 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(
            f"successes must lie between 0 and trials, got {successes} of {trials}"
        )

    share = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (share + z2 / (2 * trials)) / denominator
    spread = z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    half = spread / denominator
    low = 0.0 if successes == 0 else max(centre - half, 0.0)
    high = 1.0 if successes == trials else min(centre + half, 1.0)
    return low, high


def proportion(prefix: str, successes: int, trials: int) -> dict[str, float | None]:
    """
    Return a proportion and its 95% Wilson interval as flat fields.

    The keys are `<prefix>`, `<prefix>_low` and `<prefix>_high`, all None without
    trials.
    """
    interval = wilson_interval(successes, trials)
    low, high = interval if interval is not None else (None, None)
    return {
        prefix: ratio(successes, trials),
        f"{prefix}_low": low,
        f"{prefix}_high": high,
    }


def histogram_quantile(
    counts: Sequence[int] | np.ndarray, metric: str, q: float
) -> float | None:
    """
    Return the q-quantile in seconds of a wait or duration histogram.

    The error is bounded by the width of the bin the quantile falls in, as
    documented in `histogram.py`; None when the histogram is empty.
    """
    if isinstance(counts, np.ndarray):
        counts = counts.tolist()
    return quantile(counts, EDGES[metric], q)


def is_thin(count: int) -> bool:
    """Return whether a figure resting on `count` observations is too thin to trust."""
    return count < settings.PEAKDESK_THIN_COUNT
