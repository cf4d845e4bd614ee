"""CSV files whose header names the record keys."""

import csv
from collections.abc import Iterator
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
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            return
        _check_header(header)

        keys = Header(header)
        width = len(header)
        for values in reader:
            if len(values) == width:
                yield SourceRow(reader.line_num, values, CellRecord(keys, values))
            elif values:
                reason = gettext(
                    "The row has %(found)d columns; the header has %(expected)d."
                ) % {"found": len(values), "expected": width}
                yield SourceRow(reader.line_num, values, problem=("record", reason))


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
