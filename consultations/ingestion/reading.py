"""Turn one incoming record (a mapping of record keys) into parsed values."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.utils.translation import gettext

from .fields import (
    FieldError,
    Parser,
    moment_parser,
    parse_bool,
    parse_code,
    parse_country,
    parse_message_count,
    parse_satisfaction,
    parse_timezone_name,
    remembering,
    text,
)

Key = tuple[str, str]

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
class ParsedRecord:
    """
    The parsed values of one record, keyed by record key.

    `values` holds only the keys the record carried (absent keys keep what is
    stored); references are still codes and external ids. `country` is the
    customer's country when the record gave one.
    """

    index: int
    key: Key
    values: dict[str, Any]
    country: str | None


class RecordReader:
    """Parse records field by field; cheap enough to run on millions of rows."""

    def __init__(self, *, naive_timezone: tzinfo | None, latest: datetime) -> None:
        moment = moment_parser(naive_timezone=naive_timezone, latest=latest)
        external_id = text(128)
        code = remembering(parse_code)
        self.parsers: dict[str, Parser] = {
            "source": remembering(text(64)),
            "external_id": external_id,
            "started_at": moment,
            "first_response_at": moment,
            "ended_at": moment,
            "customer_timezone": remembering(parse_timezone_name),
            "channel": code,
            "consultation_type": code,
            "business_line": code,
            "product_category": code,
            "customer_tier": code,
            "customer": external_id,
            "customer_country": remembering(parse_country),
            "agent": remembering(external_id),
            "converted": parse_bool,
            "satisfaction": parse_satisfaction,
            "abandoned": parse_bool,
            "message_count": parse_message_count,
        }

    def read(self, record: Any, index: int) -> ParsedRecord:
        """Return the parsed record; raise FieldError naming the first bad field."""
        if not isinstance(record, Mapping):
            raise FieldError(gettext("Each record must be an object."), "record")

        parsers = self.parsers
        values: dict[str, Any] = {}
        for key, value in record.items():
            parse = parsers.get(key)
            if parse is None:
                raise FieldError(gettext("Unknown field."), str(key))
            if value is None or value == "":
                if key not in EMPTY_VALUES:
                    raise FieldError(gettext("This field may not be empty."), key)
                values[key] = EMPTY_VALUES[key]
                continue
            try:
                values[key] = parse(value)
            except FieldError as error:
                error.field = key
                raise

        for key in ("source", "external_id"):
            if key not in values:
                raise FieldError(gettext("This field is required."), key)
        key = (values.pop("source"), values.pop("external_id"))
        return ParsedRecord(index, key, values, values.pop("customer_country", None))
