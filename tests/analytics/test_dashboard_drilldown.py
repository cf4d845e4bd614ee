import datetime as dt

import pytest
from django.http import QueryDict

from analytics.dashboard.drilldown import base_filters, period_bounds, row_filters


@pytest.mark.parametrize(
    ("label", "bounds"),
    [
        ("2024-03-04", (dt.date(2024, 3, 4), dt.date(2024, 3, 5))),
        ("2024-W10", (dt.date(2024, 3, 4), dt.date(2024, 3, 11))),
        ("2020-W53", (dt.date(2020, 12, 28), dt.date(2021, 1, 4))),
        ("2024-02", (dt.date(2024, 2, 1), dt.date(2024, 3, 1))),
        ("2024-12", (dt.date(2024, 12, 1), dt.date(2025, 1, 1))),
        ("2024-13", None),
        ("2023-W53", None),
        ("last week", None),
    ],
)
def test_period_bounds_of_day_week_and_month_labels(
    label: str, bounds: tuple[dt.date, dt.date] | None
) -> None:
    assert period_bounds(label) == bounds


def _base() -> QueryDict:
    """Return the shared filters of a report from Wednesday 6 to Monday 18 March."""
    params = QueryDict("channel=web&channel=app&slot=30&business_line=retail")
    return base_filters(
        dt.date(2024, 3, 6), dt.date(2024, 3, 18), "Asia/Kolkata", params
    )


def test_row_filters_heatmap_cell_selects_weekday_and_slot() -> None:
    # Given the shared filters of a report and a heatmap row
    row = {"weekday": 3, "slot": "09:30", "count": 4}

    # When the row's filters are built
    filters = row_filters(_base(), row, slot_minutes=30)

    # Then they keep the period, zone and codes and add the weekday and slot
    assert filters.urlencode() == (
        "local_from=2024-03-06&local_to=2024-03-18&tz=Asia%2FKolkata"
        "&channel=web&channel=app&business_line=retail"
        "&local_time=09%3A30&local_minutes=30&weekday=3"
    )


def test_row_filters_period_is_clipped_to_the_report_range() -> None:
    # Given a week that starts before the report's range
    row = {"period": "2024-W10", "code": "app", "count": 2}

    # When the row's filters are built with a breakdown by channel
    filters = row_filters(_base(), row, slot_minutes=30, breakdown="channel")

    # Then the days are those of the week inside the range, the channel the row's
    assert filters.urlencode() == (
        "local_from=2024-03-06&local_to=2024-03-11&tz=Asia%2FKolkata"
        "&channel=app&business_line=retail"
    )


def test_row_filters_row_without_place_in_time_has_none() -> None:
    assert row_filters(_base(), {"name": "total", "count": 9}, slot_minutes=30) is None
