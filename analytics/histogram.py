"""
Fixed histograms for the first-response and duration quantiles.

Quantiles cannot be summed, so aggregates keep counts per bin and a quantile is read
by linear interpolation inside the bin where it falls. The error is at most the width
of that bin: under 2 s for waits below 20 s, within 25% of the value up to an hour of
wait, and within 50% beyond the last edge but one (values past the last edge are
reported as that edge). The edges include the common service-level thresholds (10,
20, 30, 60 s) so that "answered within T" is exact for them.
"""

import bisect
from collections.abc import Sequence

WAIT_EDGES: tuple[int, ...] = (
    0, 2, 4, 6, 8, 10, 12, 15, 18, 20, 25, 30, 35, 40, 50, 60, 75, 90, 105, 120,
    150, 180, 210, 240, 300, 360, 420, 480, 600, 720, 900, 1200, 1800, 2700, 3600,
)  # fmt: skip
DURATION_EDGES: tuple[int, ...] = (
    0, 15, 30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 420, 480, 600, 720, 900,
    1080, 1200, 1500, 1800, 2400, 3000, 3600, 5400, 7200, 10800, 14400,
)  # fmt: skip

EDGES = {"wait": WAIT_EDGES, "duration": DURATION_EDGES}


def quantile(counts: Sequence[int], edges: Sequence[int], q: float) -> float | None:
    """
    Return the q-quantile (0 < q < 1) of a histogram, or None when it is empty.

    Bin i holds values in [edges[i], edges[i + 1]); the last bin is open-ended and
    its values are reported as its lower edge.
    """
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for i, count in enumerate(counts):
        if count and seen + count >= rank:
            if i + 1 >= len(edges):
                return float(edges[-1])
            low, high = edges[i], edges[i + 1]
            return low + (high - low) * (rank - seen) / count
        seen += count
    return float(edges[-1])


def bin_index(seconds: float, edges: Sequence[int]) -> int:
    """Return the bin that holds a value in seconds (negative values go to bin 0)."""
    return max(bisect.bisect_right(edges, seconds) - 1, 0)
