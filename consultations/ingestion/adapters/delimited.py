"""CSV files whose header names the record keys."""

import csv
from collections.abc import Iterator
from itertools import chain
from typing import TextIO

from django.utils.translation import gettext

from ..records import RECORD_KEYS, CellRecord, Header
from .base import Adapter, FormatError, SourceRow, register


@register
class CsvAdapter(Adapter):
    """
    Comma-separated values with a header row of record keys, in any order.

    Every cell is text: an empty cell is null, booleans are true/false (or yes/no,
    1/0), times ISO 8601. A column the file leaves out keeps the stored value.
    """

    name = "csv"
    extensions = (".csv",)

    def rows(self, stream: TextIO) -> Iterator[SourceRow]:
        rows = split_rows(stream)
        _, header = next(rows, (0, None))
        if header is None:
            return
        _check_header(header)

        keys = Header(header)
        width = len(header)
        for line, values in rows:
            if len(values) == width:
                yield SourceRow(line, values, CellRecord(keys, values))
            elif values:
                reason = gettext(
                    "The row has %(found)d columns; the header has %(expected)d."
                ) % {"found": len(values), "expected": width}
                yield SourceRow(line, values, problem=("record", reason))


def split_rows(stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """
    Yield the cells of each row of `stream` with the number of the row's last line.

    A line without a quote character is split at its commas, which is what the csv
    module makes of it, for a third of the instructions: the csv module's parsing
    was a tenth of an import's. A line with one goes to the csv module, which reads
    on while a quoted cell spans lines. Open the file with `newline=""`.
    """
    line = 0
    for text in stream:
        line += 1
        if '"' in text:
            reader = csv.reader(chain([text], stream))
            cells = next(reader)
            line += reader.line_num - 1
            yield line, cells
        else:
            text = text.rstrip("\r\n")
            yield line, text.split(",") if text else []


def _check_header(header: list[str]) -> None:
    unknown = [column for column in header if column not in RECORD_KEYS]
    if unknown:
        raise FormatError(
            gettext("Unknown columns in the header: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(RECORD_KEYS)}
        )
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise FormatError(
            gettext("Columns named twice in the header: %(repeated)s.")
            % {"repeated": ", ".join(repeated)}
        )
