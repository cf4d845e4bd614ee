"""
Run a report and write it out, identically for the API and the command line.

Both render JSON with DRF's `JSONRenderer` and CSV with `render_csv`, so that a
script reading `manage.py report` gets byte for byte what the endpoint answers.
"""

import csv
import datetime as dt
import io
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.renderers import JSONRenderer

from analytics.selectors import get_fill_state

from .base import Report
from .parameters import ParsedParameters

logger = logging.getLogger(__name__)

METADATA_KEYS = ("report", "parameters", "generated_at", "data_as_of")
# Spreadsheet programs read a UTF-8 file as a legacy code page unless it starts
# with a byte order mark.
BYTE_ORDER_MARK = "\ufeff"
# A text cell starting with one of these is read as a formula by spreadsheet
# programs; a leading apostrophe keeps it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportTable:
    """The tabular part of a report: its columns, in order, and its rows."""

    columns: Sequence[str]
    rows: Sequence[Mapping[str, Any]]


def run_report(
    report: Report, parameters: ParsedParameters, *, generated_at: dt.datetime
) -> dict[str, Any]:
    """
    Compute `report` and return the response body: metadata first, then the result.

    `data_as_of` is when the last aggregate refresh finished (None before the first
    one), read before computing so that it never claims more than was read. Raise
    ImproperlyConfigured when the result reuses a metadata key.
    """
    data_as_of = get_fill_state().last_refresh_finished_at
    started = time.perf_counter()
    result = report.compute(parameters.query)
    logger.info(
        "computed report %s in %d ms",
        report.slug,
        (time.perf_counter() - started) * 1000,
        extra={"report": report.slug, "parameters": parameters.echo},
    )

    clashing = sorted(set(METADATA_KEYS) & set(result))
    if clashing:
        raise ImproperlyConfigured(
            f"{type(report).__qualname__}.compute() returned reserved keys: "
            f"{', '.join(clashing)}."
        )
    return {
        "report": report.slug,
        "parameters": parameters.echo,
        "generated_at": generated_at,
        "data_as_of": data_as_of,
        **result,
    }


def report_table(report: Report, payload: Mapping[str, Any]) -> ReportTable:
    """Return the rows of a report's response body and the columns to write."""
    return ReportTable(
        columns=report.csv_columns(payload), rows=payload.get("rows", [])
    )


def render_json(payload: Mapping[str, Any]) -> bytes:
    """Return a response body as the API's default JSON renderer writes it."""
    return JSONRenderer().render(payload)


def render_csv(table: ReportTable) -> bytes:
    """Return the table as UTF-8 CSV with a byte order mark and a header row."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.DictWriter(
        buffer, fieldnames=list(table.columns), restval="", extrasaction="ignore"
    )
    writer.writeheader()
    for row in table.rows:
        writer.writerow({name: _cell(value) for name, value in row.items()})
    return buffer.getvalue().encode("utf-8")


def csv_filename(echo: Mapping[str, Any], slug: str) -> str:
    """Return the download name of a report's CSV: slug and local date range."""
    return f"{slug}_{echo['from']}_{echo['to']}.csv"


def _cell(value: Any) -> str:
    # NumPy scalars become Python values first, so that they read like JSON's.
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
