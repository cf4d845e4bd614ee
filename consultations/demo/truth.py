"""
The ground-truth document of a demo run: what was injected, where and how strongly.

Peak windows are derived from the very shapes the generator draws from with the peak
rule of SPEC section 5, so an analysis that finds other windows is wrong, not the file.
"""

import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .catalogue import LINES, OVERSEAS_ZONES, SOURCE, WORKING_WEEKDAY_FACTORS
from .profiles import (
    NIGHT_CAPACITY_SHARE,
    PEAK_FACTOR,
    STAFFED_FROM_HOUR,
    STAFFED_UNTIL_HOUR,
    day_capacity,
    hourly_shape,
    overseas_shape,
    peak_windows,
)
from .records import (
    LATE_CONVERSION_FACTOR,
    LATE_CONVERSION_HOURS,
    LATE_CONVERSION_LINE,
)
from .scenario import (
    ADJUSTED_WORKING_DAY_FACTOR,
    MONTH_END_DAYS,
    MONTH_END_FACTOR,
    MONTH_END_LINE,
    MONTH_START_DAYS,
    MONTH_START_FACTOR,
    POST_HOLIDAY_FACTOR,
    PRE_HOLIDAY_FACTOR,
    Outage,
    Scenario,
    month_position_factor,
)
from .service import EMAIL_WAIT_GROWTH, OVERLOAD_SATISFACTION_PENALTY, WAIT_GROWTH
from .volume import DAILY_NOISE_SD

VERSION = 1


def build_truth(scenario: Scenario, expected: dict[date, dict[str, float]]) -> dict:
    """Return the ground truth of a run as a JSON-ready dictionary."""
    options = scenario.options
    return {
        "version": VERSION,
        "source": SOURCE,
        "arguments": {
            "days": options.days,
            "per_day": options.per_day,
            "seed": options.seed,
            "end": options.end.isoformat(),
        },
        "seed": options.seed,
        "start": options.start.isoformat(),
        "end": options.end.isoformat(),
        "time_zone": options.time_zone,
        "business_lines": _lines(),
        "weekday_factors": _weekday_factors(),
        "daily_noise_sd": DAILY_NOISE_SD,
        "holidays": [
            {"date": day.isoformat(), "name": name}
            for day, name in sorted(scenario.holidays.items())
        ],
        "adjusted_working_days": _dates(scenario.adjusted_working_days),
        "adjusted_working_day_factor": ADJUSTED_WORKING_DAY_FACTOR,
        "pre_holiday_days": _dates(scenario.pre_holiday_days),
        "pre_holiday_factor": PRE_HOLIDAY_FACTOR,
        "post_holiday_days": _dates(scenario.post_holiday_days),
        "post_holiday_factor": POST_HOLIDAY_FACTOR,
        "month_end": _month_end(scenario),
        "campaigns": [
            {
                "date": campaign.day.isoformat(),
                "name": campaign.name,
                "multipliers": {
                    line.code: campaign.multiplier(line.code) for line in LINES
                },
            }
            for campaign in scenario.campaigns.values()
        ],
        "outages": [_outage(scenario, outage) for outage in scenario.outages],
        "overseas": _overseas(),
        "load": _load(options.per_day),
        "high_conversion": {
            "business_line": LATE_CONVERSION_LINE,
            "window": "{:02d}:00-{:02d}:00".format(*LATE_CONVERSION_HOURS),
            "factor": LATE_CONVERSION_FACTOR,
        },
        "expected_volume": {
            day.isoformat(): {code: round(value, 1) for code, value in lines.items()}
            for day, lines in sorted(expected.items())
        },
    }


def write_truth(truth: dict, path: Path) -> None:
    """Write the document as indented JSON, creating the folder when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")


def _dates(days: list[date]) -> list[str]:
    return [day.isoformat() for day in days]


def _lines() -> dict[str, Any]:
    return {
        line.code: {
            "name": line.name,
            "share": line.share,
            "weekend_factor": line.weekend_factor,
            "holiday_factor": line.holiday_factor,
            "overseas_share": line.overseas_share,
            "peak_windows": {
                "working_day": peak_windows(hourly_shape(line.code, weekend=False)),
                "weekend": peak_windows(hourly_shape(line.code, weekend=True)),
            },
        }
        for line in LINES
    }


def _weekday_factors() -> dict[str, float]:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday")
    return dict(zip(names, WORKING_WEEKDAY_FACTORS[:5], strict=True))


def _month_end(scenario: Scenario) -> dict[str, Any]:
    return {
        "business_line": MONTH_END_LINE,
        "last_days": MONTH_END_DAYS,
        "last_days_factor": MONTH_END_FACTOR,
        "first_days": MONTH_START_DAYS,
        "first_days_factor": MONTH_START_FACTOR,
        "dates": _dates([d for d in scenario.days if month_position_factor(d) != 1]),
    }


def _outage(scenario: Scenario, outage: Outage) -> dict[str, Any]:
    zone = ZoneInfo(scenario.options.time_zone)
    return {
        "date": outage.day.isoformat(),
        "start_utc": outage.start.isoformat(),
        "end_utc": outage.end.isoformat(),
        "start_local": outage.start.astimezone(zone).isoformat(),
        "end_local": outage.end.astimezone(zone).isoformat(),
        "volume_factor": outage.volume_factor,
    }


def _overseas() -> dict[str, Any]:
    return {
        "share": {line.code: line.overseas_share for line in LINES},
        "zones": [
            {"time_zone": zone.name, "country": zone.country, "weight": zone.weight}
            for zone in OVERSEAS_ZONES
        ],
        "local_peak_windows": peak_windows(overseas_shape()),
    }


def _load(per_day: int) -> dict[str, Any]:
    return {
        "capacity_per_15_minutes": round(day_capacity(per_day), 2),
        "night_capacity_share": NIGHT_CAPACITY_SHARE,
        "staffed_hours": f"{STAFFED_FROM_HOUR:02d}:00-{STAFFED_UNTIL_HOUR:02d}:00",
        "peak_factor": PEAK_FACTOR,
        # How service follows load, the arrivals of a 15-minute slot over capacity.
        "wait_median_growth": f"1 + {WAIT_GROWTH} * load^2; "
        f"e-mail 1 + {EMAIL_WAIT_GROWTH} * load",
        "abandonment": "when an exponential patience per channel ends first",
        "satisfaction_drop_per_load_above_1": OVERLOAD_SATISFACTION_PENALTY,
    }
