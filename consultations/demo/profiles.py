"""
Hour-of-day shapes of demand and the capacity that serves it.

Shapes are relative weights per local hour, constant within the hour, so that the peak
windows they produce fall on whole hours for any slot size and can be stated exactly
in the ground truth.
"""

import numpy as np

from .catalogue import LINES

# Office lines on working days: a morning and an afternoon peak around lunch.
OFFICE_WORKING_DAY = (
    *(0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.15, 0.45),
    *(0.75, 2.30, 2.50, 0.80, 0.65, 0.75, 2.20, 2.30),
    *(0.80, 0.70, 0.50, 0.40, 0.32, 0.25, 0.18, 0.12),
)
OFFICE_WEEKEND = (
    *(0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.10, 0.25),
    *(0.40, 0.55, 1.90, 1.80, 0.55, 0.55, 1.90, 1.80),
    *(0.55, 0.50, 0.45, 0.40, 0.35, 0.28, 0.20, 0.12),
)
# Consumer lines add an evening peak after work.
CONSUMER_WORKING_DAY = (
    *(0.35, 0.18, 0.10, 0.07, 0.06, 0.08, 0.20, 0.50),
    *(1.00, 2.30, 2.40, 1.25, 1.00, 1.20, 2.20, 2.25),
    *(1.25, 1.10, 1.15, 2.00, 2.20, 1.90, 1.00, 0.60),
)
CONSUMER_WEEKEND = (
    *(0.50, 0.25, 0.12, 0.08, 0.07, 0.08, 0.15, 0.35),
    *(0.80, 1.30, 2.20, 2.20, 1.30, 1.20, 1.30, 2.10),
    *(2.10, 1.30, 1.30, 2.20, 2.50, 2.20, 1.20, 0.80),
)
# On a campaign day the sale opens at midnight.
CAMPAIGN_MIDNIGHT_BOOST = {0: 8.0, 1: 3.0}

# SPEC section 5: a slot is in a peak when its mean is at least 1.2 times the mean
# slot of the day.
PEAK_FACTOR = 1.2

# Staffed hours of the in-house teams (business local time) and the night capacity
# as a share of the day capacity.
STAFFED_FROM_HOUR = 8
STAFFED_UNTIL_HOUR = 22
NIGHT_CAPACITY_SHARE = 0.3


def hourly_shape(
    line_code: str, *, weekend: bool, campaign: bool = False
) -> np.ndarray:
    """Return the 24 hourly weights of a line, normalised to sum to one."""
    line = next(line for line in LINES if line.code == line_code)
    if line.evening_peak:
        table = CONSUMER_WEEKEND if weekend else CONSUMER_WORKING_DAY
    else:
        table = OFFICE_WEEKEND if weekend else OFFICE_WORKING_DAY
    shape = np.array(table, dtype=float)

    if campaign and line.evening_peak:
        for hour, boost in CAMPAIGN_MIDNIGHT_BOOST.items():
            shape[hour] *= boost
    return shape / shape.sum()


def overseas_shape() -> np.ndarray:
    """Return the hourly weights of overseas customers in their own local time."""
    shape = np.array(OFFICE_WORKING_DAY, dtype=float)
    return shape / shape.sum()


def peak_windows(shape: np.ndarray) -> list[str]:
    """Return the local "HH:MM-HH:MM" windows where the shape reaches the factor."""
    in_peak = shape >= PEAK_FACTOR * shape.mean()
    windows = []
    hour = 0
    while hour < len(in_peak):
        if not in_peak[hour]:
            hour += 1
            continue
        end = hour
        while end < len(in_peak) and in_peak[end]:
            end += 1
        windows.append(f"{hour:02d}:00-{end:02d}:00")
        hour = end
    return windows


def day_capacity(per_day: int) -> float:
    """
    Return the consultations per 15 minutes the staffed teams absorb by day.

    The day capacity equals the busiest quarter hour of an ordinary working day, so
    that ordinary peaks run the teams at about full load and campaigns overload them.
    """
    expected = sum(
        line.share * hourly_shape(line.code, weekend=False) for line in LINES
    )
    return per_day * float(expected.max()) / 4


def capacity_by_hour(per_day: int) -> np.ndarray:
    """Return the capacity per 15-minute slot for each local business hour."""
    capacity = np.full(24, day_capacity(per_day) * NIGHT_CAPACITY_SHARE)
    capacity[STAFFED_FROM_HOUR:STAFFED_UNTIL_HOUR] = day_capacity(per_day)
    return np.maximum(capacity, 1.0)
