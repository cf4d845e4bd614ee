import datetime as dt
import zoneinfo

import pytest
from django.http import QueryDict

from analytics.dashboard.filters import (
    last_days,
    report_params,
    shared_query,
    this_month,
    with_values,
    zone_choices,
)


def test_zone_choices_business_zone_first_then_every_zone_by_name(settings) -> None:
    # Given a business zone in the middle of the alphabet
    settings.PEAKDESK_BUSINESS_TIME_ZONE = "Europe/Berlin"

    # When the zone picker is filled with Kolkata selected
    choices = zone_choices("Asia/Kolkata")

    # Then Berlin leads, every other zone follows once, in name order
    names = [choice.value for choice in choices]
    others = sorted(zoneinfo.available_timezones() - {"Europe/Berlin"})
    assert names == ["Europe/Berlin", *others]
    assert [choice.value for choice in choices if choice.selected] == ["Asia/Kolkata"]


@pytest.mark.parametrize(
    ("days", "bounds"),
    [
        (7, (dt.date(2024, 2, 27), dt.date(2024, 3, 5))),
        (30, (dt.date(2024, 2, 4), dt.date(2024, 3, 5))),
    ],
)
def test_last_days_are_whole_days_before_today(days: int, bounds: tuple) -> None:
    assert last_days(dt.date(2024, 3, 5), days) == bounds


@pytest.mark.parametrize(
    ("today", "bounds"),
    [
        (dt.date(2024, 2, 29), (dt.date(2024, 2, 1), dt.date(2024, 3, 1))),
        (dt.date(2024, 12, 1), (dt.date(2024, 12, 1), dt.date(2025, 1, 1))),
    ],
)
def test_this_month_runs_to_the_first_of_the_next(today: dt.date, bounds) -> None:
    assert this_month(today) == bounds


def test_shared_query_keeps_only_what_every_report_takes() -> None:
    # Given a report page's query with an option of its own and a page key
    params = QueryDict(
        "from=2024-03-01&to=2024-03-08&tz=UTC&slot=30&channel=web&channel=app"
        "&granularity=week&fragment=1"
    )

    # When the query is carried to other pages
    with_range = shared_query(params).urlencode()
    without_range = shared_query(params, keep_range=False).urlencode()

    # Then the option and the page key stay behind, and the range where asked
    assert with_range == (
        "from=2024-03-01&to=2024-03-08&tz=UTC&slot=30&channel=web&channel=app"
    )
    assert without_range == "tz=UTC&slot=30&channel=web&channel=app"
    assert report_params(params).urlencode() == (
        "from=2024-03-01&to=2024-03-08&tz=UTC&slot=30&channel=web&channel=app"
        "&granularity=week"
    )


def test_with_values_shows_the_parameters_a_report_used() -> None:
    # Given a query without a range and the parameters the report fell back to
    params = QueryDict("channel=web")
    echo = {"from": "2024-02-06", "to": "2024-03-05", "tz": "Asia/Shanghai", "slot": 60}

    # When the filter bar's values are prepared
    shown = with_values(params, echo)

    # Then they are the ones used
    assert shown.urlencode() == (
        "channel=web&from=2024-02-06&to=2024-03-05&tz=Asia%2FShanghai&slot=60"
    )
