"""
The data table under each chart: column headings, formatted cells, thin marks.

Columns are the report's CSV columns, so the table shows what the CSV holds. Known
column names get translated headings and formats; any other column of a third-party
report is shown under its name, formatted by the type of its values.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.dates import WEEKDAYS
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# Columns that name a row rather than measure it.
KEY_COLUMNS: frozenset[str] = frozenset(
    {"slot", "weekday", "period", "date", "code", "name"}
)

COLUMN_LABELS = {
    "slot": _("Slot"),
    "weekday": _("Weekday"),
    "period": _("Period"),
    "date": _("Date"),
    "code": _("Code"),
    "name": _("Name"),
    "count": pgettext_lazy("number of", "Consultations"),
    "mean_per_day": _("Mean per day"),
    "share": _("Share"),
    "mean": _("Mean in progress"),
    "max": _("Maximum in progress"),
    "volume": pgettext_lazy("number of", "Consultations"),
    "converted": _("Converted"),
    "conversion_rate": _("Conversion rate"),
    "abandoned": _("Abandoned"),
    "abandonment_rate": _("Abandonment rate"),
    "rated": _("Rated"),
    "satisfaction_mean": _("Mean satisfaction"),
    "satisfied": _("Satisfied (4-5)"),
    "csat_share": _("CSAT"),
    "responded": _("Responded"),
    "first_response_median": _("First response, median (s)"),
    "first_response_p90": _("First response, 90th percentile (s)"),
    "wait_mean": _("First response, mean (s)"),
    "ended": _("Ended"),
    "duration_mean": _("Duration, mean (s)"),
    "duration_median": _("Duration, median (s)"),
}
_SUFFIX_LABELS = {
    "_low": _("%(figure)s, 95%% low"),
    "_high": _("%(figure)s, 95%% high"),
    "_thin": _("%(figure)s: few"),
}
_PERCENT_ENDINGS: tuple[str, ...] = ("share", "_rate")


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Cell:
    text: str
    thin: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class TableRow:
    cells: list[Cell]
    url: str | None
    thin: bool


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[TableRow]


def column_label(key: str) -> str:
    """Return the translated heading of a column, or its name made readable."""
    if key in COLUMN_LABELS:
        return str(COLUMN_LABELS[key])
    for suffix, template in _SUFFIX_LABELS.items():
        if key.endswith(suffix):
            return str(template) % {"figure": column_label(key.removesuffix(suffix))}
    return key.replace("_", " ").capitalize()


def is_percent(key: str) -> bool:
    base = key.removesuffix("_low").removesuffix("_high")
    return base.endswith(_PERCENT_ENDINGS)


def format_cell(key: str, value: Any) -> str:
    """Return a cell's text in the active language's number format."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else ""
    if key == "weekday" and isinstance(value, int) and 1 <= value <= 7:
        return str(WEEKDAYS[value - 1])
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    # number_format() cuts digits off; round first so that 0.666 reads 0.67.
    if isinstance(value, float):
        if is_percent(key):
            return number_format(round(value * 100, 1), decimal_pos=1) + "%"
        return number_format(round(value, 2), decimal_pos=2, force_grouping=True)
    return str(value)


def thin_column_of(key: str, bases: Mapping[str, str]) -> str:
    """Return the `<count>_thin` column that says whether a figure is thin."""
    if key.endswith("_thin"):
        return key
    figure = key.removesuffix("_low").removesuffix("_high")
    if figure in bases:
        return f"{bases[figure]}_thin"
    return f"{key}_thin"


def build_table(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    urls: Sequence[str | None],
    bases: Mapping[str, str],
) -> Table:
    """Return the table of a report's rows, each figure marked when it is thin."""
    thin_columns = {key: thin_column_of(key, bases) for key in columns}
    table_rows = []
    for row, url in zip(rows, urls, strict=True):
        cells = [
            Cell(
                text=format_cell(key, row.get(key)),
                thin=bool(row.get(thin_columns[key])),
                numeric=key not in KEY_COLUMNS,
            )
            for key in columns
        ]
        table_rows.append(TableRow(cells, url, any(cell.thin for cell in cells)))
    return Table([Column(key, column_label(key)) for key in columns], table_rows)


def is_empty(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Return whether no row measures anything: no rows, or only zeros and blanks."""
    return not any(
        value
        for row in rows
        for key, value in row.items()
        if key not in KEY_COLUMNS and not isinstance(value, bool | str)
    )
