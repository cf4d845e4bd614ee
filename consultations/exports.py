"""
Export consultations one row per record with every field, as CSV or Excel.

Related records are written by the key integrators send (a dimension's code, a
customer's or agent's external id), times as UTC, so that an export reads back
through the importer. The CSV starts with a byte order mark so that Excel opens
Chinese text correctly.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from .models import Consultation

CSV_BOM = "\ufeff"
# Rows read from the database per round trip while streaming.
CHUNK_SIZE = 2000
# The number of data rows an Excel sheet can hold below its header.
EXCEL_MAX_ROWS = 1_048_575
_DERIVED_COLUMNS: tuple[str, ...] = ("wait_seconds", "duration_seconds")


def export_columns() -> list[tuple[str, str]]:
    """Return (header, value path) for every field of a consultation."""
    columns = []
    for field in Consultation._meta.concrete_fields:
        if field.is_relation:
            names = {f.name for f in field.related_model._meta.concrete_fields}
            key = "code" if "code" in names else "external_id"
            columns.append((field.name, f"{field.name}__{key}"))
        else:
            columns.append((field.name, field.attname))
    return columns


def export_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    """Yield the header, then one list of values per consultation."""
    columns = export_columns()
    paths = [path for _header, path in columns]
    yield [header for header, _path in columns] + list(_DERIVED_COLUMNS)

    started = paths.index("started_at")
    responded = paths.index("first_response_at")
    ended = paths.index("ended_at")
    for values in queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE):
        yield [
            *values,
            _seconds(values[started], values[responded]),
            _seconds(values[started], values[ended]),
        ]


def _seconds(start: dt.datetime, end: dt.datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


class _Echo:
    """A file-like object whose write returns the text, for streaming csv rows."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """Yield a CSV document line by line, opened by a byte order mark."""
    writer = csv.writer(_Echo())
    yield CSV_BOM
    for row in rows:
        yield writer.writerow([_csv_value(value) for value in row])


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return "" if value is None else value


def excel_workbook(rows: Iterable[list[Any]]) -> bytes:
    """
    Return an .xlsx workbook of the rows, datetimes as UTC.

    Raise ValueError when there are more rows than a sheet holds.
    """
    # Imported here: openpyxl takes a tenth of a second to import, which every
    # process that loads the admin (each management command, each worker) would
    # otherwise pay for the rare export.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("consultations")
    for index, row in enumerate(rows):
        if index > EXCEL_MAX_ROWS:
            raise ValueError(
                f"more than {EXCEL_MAX_ROWS} consultations do not fit one sheet"
            )
        sheet.append([_excel_value(value) for value in row])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_value(value: Any) -> Any:
    # Excel has no time zones and keeps milliseconds: write UTC wall-clock times cut
    # to the millisecond, so that a cell reads back as written.
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None, microsecond=utc.microsecond // 1000 * 1000)
    return value
