"""
Turn a chunk of incoming records (mappings of record keys) into parsed columns.

A chunk is parsed a record key at a time, not a record at a time: the same parser
runs over every value of a column, which is what makes millions of records cheap.
A record with a bad value is rejected naming its first bad key, in the record's own
key order, as if it had been read key by key.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.utils.translation import gettext

from .fields import (
    NO_EMPTIES,
    FieldError,
    Parser,
    Remembering,
    moment_parser,
    parse_all,
    parse_bool,
    parse_code,
    parse_country,
    parse_message_count,
    parse_satisfaction,
    parse_timezone_name,
    text,
)
from .records import CellRecord, Header
from .results import Rejection

Key = tuple[str, str]
KEY_FIELDS = ("source", "external_id")


class Absent:
    """The value of a key that a record did not carry: the stored value stays."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


class Invalid:
    """A value that failed its check, standing in a column until the row is dropped."""

    __slots__ = ("field", "reason")

    def __init__(self, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field


# What a key present with null or "" stores. Keys missing here may not be empty.
EMPTY_VALUES: dict[str, Any] = {
    "first_response_at": None,
    "ended_at": None,
    "customer_timezone": "",
    "consultation_type": None,
    "business_line": None,
    "product_category": None,
    "customer_tier": None,
    "customer": None,
    "customer_country": None,
    "agent": None,
    "converted": False,
    "satisfaction": None,
    "abandoned": False,
    "message_count": 0,
}


@dataclass(slots=True)
class ParsedChunk:
    """
    The parsed values of the records of a chunk that passed their field checks.

    Row i is the record at `indexes[i]` (`records[i]` as sent), stored under
    `keys[i]`. `values` maps each record key that some record carried, other than
    the key fields, to its column: parsed values, ABSENT where a record did not
    carry the key. `complete` names the columns without ABSENT. References are
    still codes and external ids.
    """

    indexes: list[int]
    records: list[Mapping[str, Any]]
    keys: list[Key]
    values: dict[str, list[Any]]
    complete: set[str]

    def __len__(self) -> int:
        return len(self.keys)

    def column(self, key: str) -> list[Any]:
        """Return the column of `key`, all ABSENT if no record carried it."""
        return self.values.get(key) or [ABSENT] * len(self)


class ChunkReader:
    """Parse chunks of records column by column."""

    def __init__(self, *, naive_timezone: tzinfo | None, latest: datetime) -> None:
        moment = moment_parser(naive_timezone=naive_timezone, latest=latest)
        external_id = text(128)
        code = Remembering(parse_code)
        self.parsers: dict[str, Parser] = {
            "source": Remembering(text(64)),
            "external_id": external_id,
            "started_at": moment,
            "first_response_at": moment,
            "ended_at": moment,
            "customer_timezone": Remembering(parse_timezone_name),
            "channel": code,
            "consultation_type": code,
            "business_line": code,
            "product_category": code,
            "customer_tier": code,
            "customer": external_id,
            "customer_country": Remembering(parse_country),
            "agent": Remembering(external_id),
            "converted": Remembering(parse_bool),
            "satisfaction": Remembering(parse_satisfaction),
            "abandoned": Remembering(parse_bool),
            "message_count": Remembering(parse_message_count),
        }

    def read(
        self, records: Sequence[Any], first_index: int
    ) -> tuple[ParsedChunk, list[Rejection]]:
        """Return the parsed chunk and the rejections of the records that failed."""
        rejected: list[Rejection] = []
        # One pass over each record, then the columns: a record is read while it
        # is in the processor's cache, not once for each of its keys.
        header = _shared_header(records)
        if header is not None:
            mappings: list[Any] = list(records)
            indexes = list(range(first_index, first_index + len(records)))
            present: Sequence[Any] = header.keys
            rows: list[Sequence[Any]] = [record.cells for record in mappings]
        else:
            mappings, indexes = _mappings(records, first_index, rejected)
            present = list(set().union(*mappings))
            fill = [ABSENT] * len(present)
            rows = [tuple(map(record.get, present, fill)) for record in mappings]
        columns: dict[str, list[Any]] = {}
        complete: set[str] = set()
        bad: set[int] = set()
        cells = header is not None
        for key, values in zip(present, zip(*rows, strict=True), strict=True):
            column, absent = self._parse_column(key, values, bad, cells)
            columns[key] = column
            if not absent:
                complete.add(key)
        for key in KEY_FIELDS:
            if key not in complete:
                column = columns.setdefault(key, [ABSENT] * len(mappings))
                required = Invalid(gettext("This field is required."), key)
                for row, value in enumerate(column):
                    if value is ABSENT:
                        column[row] = required
                        bad.add(row)

        if bad:
            for row in sorted(bad):
                field, reason = first_fault(mappings[row], columns, row)
                rejected.append(Rejection(indexes[row], field, reason))
            kept = [row for row in range(len(mappings)) if row not in bad]
            columns = {
                key: [column[row] for row in kept] for key, column in columns.items()
            }
            mappings = [mappings[row] for row in kept]
            indexes = [indexes[row] for row in kept]

        keys = list(zip(columns.pop("source"), columns.pop("external_id"), strict=True))
        complete.difference_update(KEY_FIELDS)
        return ParsedChunk(indexes, mappings, keys, columns, complete), rejected

    def _parse_column(
        self, key: Any, values: tuple[Any, ...], bad: set[int], cells: bool
    ) -> tuple[list[Any], bool]:
        """
        Parse a column; return its values and whether a record lacked the key.

        With `cells`, the values are the text cells of a file with a header: every
        record has the key.
        """
        parse = self.parsers.get(key)
        if parse is None:
            return _unknown_column(values, bad), True
        empty = EMPTY_VALUES.get(key, NO_EMPTIES)
        if cells or ABSENT not in values:
            try:
                return parse_all(parse, values, empty), False
            except FieldError:
                pass  # Which values are bad, and why, is found one by one below.
        parsed: list[Any] = []
        append = parsed.append
        absent = False
        for row, value in enumerate(values):
            if value is ABSENT:
                absent = True
                append(ABSENT)
            elif value is None or value == "":
                if empty is NO_EMPTIES:
                    bad.add(row)
                    append(Invalid(gettext("This field may not be empty.")))
                else:
                    append(empty)
            else:
                try:
                    append(parse(value))
                except FieldError as error:
                    bad.add(row)
                    append(Invalid(error.reason))
        return parsed, absent


def _unknown_column(values: tuple[Any, ...], bad: set[int]) -> list[Any]:
    unknown = Invalid(gettext("Unknown field."))
    column: list[Any] = []
    for row, value in enumerate(values):
        if value is ABSENT:
            column.append(ABSENT)
        else:
            bad.add(row)
            column.append(unknown)
    return column


def _mappings(
    records: Sequence[Any], first_index: int, rejected: list[Rejection]
) -> tuple[list[Any], list[int]]:
    """Return the records that are mappings and their indexes; reject the rest."""
    mappings: list[Mapping[str, Any]] = []
    kept: list[int] = []
    for index, record in enumerate(records, first_index):
        if type(record) is dict or isinstance(record, Mapping):
            mappings.append(record)
            kept.append(index)
        else:
            reason = gettext("Each record must be an object.")
            rejected.append(Rejection(index, "record", reason))
    return mappings, kept


def _shared_header(records: Sequence[Any]) -> Header | None:
    """Return the header of the records if all are CellRecords under one."""
    if not records or type(records[0]) is not CellRecord:
        return None
    header = records[0].header
    if all(type(r) is CellRecord and r.header is header for r in records):
        return header
    return None


def first_fault(
    record: Mapping[str, Any], columns: dict[str, list[Any]], row: int
) -> tuple[str, str]:
    """Return the field and reason of a record's first invalid value, in its order."""
    faults = [key for key in record if type(columns[key][row]) is Invalid]
    faults += [key for key in KEY_FIELDS if key not in record]
    key = faults[0]
    invalid: Invalid = columns[key][row]
    return invalid.field or str(key), invalid.reason
