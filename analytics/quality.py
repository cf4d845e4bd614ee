"""
The quality figures of SPEC section 4, from summed aggregates and histograms.

Rates carry a 95% Wilson interval, times are in seconds, and each figure rests on
one of four counts (`QUALITY_BASES`): volume, rated, responded or ended.
"""

import numpy as np

from .models import SAMPLE_FIELDS, TRAFFIC_MEASURES
from .statistics import histogram_quantile, is_thin, proportion, ratio

_SECOND_US = 1_000_000

# The sums counted where a consultation starts: all but the load measures.
QUALITY_MEASURES: tuple[str, ...] = tuple(
    name for name in TRAFFIC_MEASURES if name != "busy_us" and name not in SAMPLE_FIELDS
)
# The count each figure of the quality report rests on.
QUALITY_BASES: dict[str, str] = {
    "conversion_rate": "volume",
    "abandonment_rate": "volume",
    "satisfaction_mean": "rated",
    "csat_share": "rated",
    "first_response_median": "responded",
    "first_response_p90": "responded",
    "wait_mean": "responded",
    "duration_mean": "ended",
    "duration_median": "ended",
}
QUALITY_COLUMNS: tuple[str, ...] = (
    "volume",
    "volume_thin",
    "converted",
    "conversion_rate",
    "conversion_rate_low",
    "conversion_rate_high",
    "abandoned",
    "abandonment_rate",
    "abandonment_rate_low",
    "abandonment_rate_high",
    "rated",
    "rated_thin",
    "satisfaction_mean",
    "satisfied",
    "csat_share",
    "csat_share_low",
    "csat_share_high",
    "responded",
    "responded_thin",
    "first_response_median",
    "first_response_p90",
    "wait_mean",
    "ended",
    "ended_thin",
    "duration_mean",
    "duration_median",
)


def quality_figures(
    sums: np.ndarray, wait_bins: np.ndarray, duration_bins: np.ndarray
) -> dict:
    """Return the quality figures of one slot from its sums and histograms."""
    total = dict(zip(QUALITY_MEASURES, sums.tolist(), strict=True))
    volume, rated = total["volume"], total["rated"]
    responded, ended = total["responded"], total["ended"]
    return {
        "volume": volume,
        "volume_thin": is_thin(volume),
        "converted": total["converted"],
        **proportion("conversion_rate", total["converted"], volume),
        "abandoned": total["abandoned"],
        **proportion("abandonment_rate", total["abandoned"], volume),
        "rated": rated,
        "rated_thin": is_thin(rated),
        "satisfaction_mean": ratio(total["satisfaction_sum"], rated),
        "satisfied": total["satisfied"],
        **proportion("csat_share", total["satisfied"], rated),
        "responded": responded,
        "responded_thin": is_thin(responded),
        "first_response_median": histogram_quantile(wait_bins, "wait", 0.5),
        "first_response_p90": histogram_quantile(wait_bins, "wait", 0.9),
        "wait_mean": ratio(total["wait_us"], responded * _SECOND_US),
        "ended": ended,
        "ended_thin": is_thin(ended),
        "duration_mean": ratio(total["duration_us"], ended * _SECOND_US),
        "duration_median": histogram_quantile(duration_bins, "duration", 0.5),
    }
