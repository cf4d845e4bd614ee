import pytest
from django.utils import translation

from analytics.dashboard.tables import (
    build_table,
    column_label,
    format_cell,
    is_empty,
)


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("mean_per_day", "Mean per day"),
        ("conversion_rate_low", "Conversion rate, 95% low"),
        ("csat_share_high", "CSAT, 95% high"),
        ("rated_thin", "Rated: few"),
        ("queue_length", "Queue length"),
    ],
)
def test_column_label_known_suffixed_and_unknown_columns(key: str, label: str) -> None:
    assert column_label(key) == label


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("count", 1234567, "1,234,567"),
        ("mean_per_day", 2 / 3, "0.67"),
        ("mean_per_day", 12345.678, "12,345.68"),
        ("share", 0.1234, "12.3%"),
        ("conversion_rate_low", 0.0006, "0.1%"),
        ("weekday", 7, "Sunday"),
        ("volume_thin", True, "yes"),
        ("volume_thin", False, ""),
        ("satisfaction_mean", None, "—"),
        ("label", "晚高峰", "晚高峰"),
    ],
)
def test_format_cell_by_column_and_type(key: str, value: object, text: str) -> None:
    with translation.override("en"):
        assert format_cell(key, value) == text


def test_format_cell_in_chinese_names_weekdays_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert [format_cell("weekday", day) for day in (1, 7)] == ["星期一", "星期日"]


def test_build_table_marks_each_figure_resting_on_a_thin_count() -> None:
    # Given a quality row whose rated count is thin but whose volume is not
    row = {
        "slot": "09:00",
        "volume": 120,
        "volume_thin": False,
        "conversion_rate": 0.25,
        "rated": 4,
        "rated_thin": True,
        "csat_share": 0.5,
        "csat_share_low": 0.15,
    }
    bases = {"conversion_rate": "volume", "csat_share": "rated"}

    # When the table is built
    with translation.override("en"):
        table = build_table(list(row), [row], urls=["/drill"], bases=bases)

    # Then the rated count, its flag and its figures are marked thin, no others
    cells = table.rows[0].cells
    assert [(cell.text, cell.thin) for cell in cells] == [
        ("09:00", False),
        ("120", False),
        ("", False),
        ("25.0%", False),
        ("4", True),
        ("yes", True),
        ("50.0%", True),
        ("15.0%", True),
    ]
    assert (table.rows[0].url, table.rows[0].thin) == ("/drill", True)


@pytest.mark.parametrize(
    ("rows", "empty"),
    [
        ([], True),
        ([{"slot": "00:00", "count": 0, "share": 0.0, "mean_per_day": None}], True),
        ([{"slot": "00:00", "volume": 0, "volume_thin": True}], True),
        ([{"slot": "00:00", "count": 0}, {"slot": "01:00", "count": 1}], False),
        ([{"period": "2024-W10", "code": "web", "mean": 0.2}], False),
    ],
)
def test_is_empty_only_without_any_measured_value(rows: list, empty: bool) -> None:
    assert is_empty(rows) is empty
