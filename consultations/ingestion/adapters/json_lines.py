"""JSON Lines: one JSON object per line, keyed by record keys."""

import json
from collections.abc import Iterator
from typing import TextIO

from django.utils.translation import gettext

from .base import Adapter, SourceRow, register


@register
class JsonLinesAdapter(Adapter):
    """
    One record per line as a JSON object; blank lines are ignored.

    Values may be typed (true, 3) or text; times are ISO 8601 strings.
    """

    name = "jsonl"
    extensions = (".jsonl", ".ndjson")

    def rows(self, stream: TextIO) -> Iterator[SourceRow]:
        for line_number, line in enumerate(stream, 1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except ValueError as error:
                reason = gettext("The line is not valid JSON: %(error)s.") % {
                    "error": error
                }
                yield SourceRow(line_number, text, problem=("record", reason))
                continue
            if not isinstance(record, dict):
                reason = gettext("The line is not a JSON object.")
                yield SourceRow(line_number, text, problem=("record", reason))
                continue
            yield SourceRow(line_number, text, record)
