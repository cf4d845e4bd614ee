"""
Parsers for the values of incoming records.

Values arrive typed (from JSON: str, int, bool, datetime) or as text (from CSV). Each
parser returns the Python value to store or raises FieldError with a reason the sender
can act on. They run for every field of millions of records, so they are plain
closures, applied a column at a time by `parse_all`; the ones for values that repeat
(codes, zones, countries) remember what they accepted, so that a column of values
seen before is parsed by one lookup call.

The import command runs at about an eighth of PostgreSQL's COPY rate on some
machines and a tenth on others (docs/benchmarks.md), bound by the CPU of both
cores: the Python of a row and PostgreSQL's write of it (five indexes and the
aggregates' change log) cost about the same. Validating inside the database would
be the next step.
"""

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import pytz
from django.conf import settings
from django.utils.translation import gettext

MAX_COUNT = 2**31 - 1
CODE_MAX_LENGTH = 64
# Older instants are typing errors, and near the minimum of `datetime` a conversion
# to UTC would overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
CODE_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")
BOOLEANS = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
}
# Accepted values are remembered up to this many per parser, which bounds memory
# whatever a file holds.
MEMORY = 10_000

Parser = Callable[[Any], Any]
# Tells `parse_all` that null and "" are not values of a column.
NO_EMPTIES = object()


class FieldError(ValueError):
    """A value that cannot be stored; `reason` is translated and human-readable."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Remembering:
    """`parse` with a bounded memory of the text values it accepted."""

    __slots__ = ("accepted", "parse")

    def __init__(self, parse: Parser) -> None:
        self.parse = parse
        self.accepted: dict[str, Any] = {}

    def __call__(self, value: Any) -> Any:
        try:
            return self.accepted[value]
        except (KeyError, TypeError):
            pass
        parsed = self.parse(value)
        if isinstance(value, str) and len(self.accepted) < MEMORY:
            self.accepted[value] = parsed
        return parsed

    def parse_all(self, values: Collection[Any], empty: Any = NO_EMPTIES) -> list[Any]:
        """Parse like `parse_all`, looking each value up in the memory first."""
        known = self.accepted
        if empty is not NO_EMPTIES:
            known = {**known, "": empty, None: empty}
        try:
            # Only text is remembered, so 1 and True cannot be taken for "1".
            return list(map(known.__getitem__, values))
        except (KeyError, TypeError):
            return _parse_each(self, values, empty)


def parse_all(
    parse: Parser, values: Collection[Any], empty: Any = NO_EMPTIES
) -> list[Any]:
    """
    Return the parsed `values`; raise FieldError at the first bad one.

    Null and "" are read as `empty` if given; without it they are bad values.
    """
    if isinstance(parse, Remembering):
        return parse.parse_all(values, empty)
    return _parse_each(parse, values, empty)


def _parse_each(parse: Parser, values: Collection[Any], empty: Any) -> list[Any]:
    # Every parser refuses null, but a text parser takes "": look for "" first,
    # and for null only once a value is refused.
    if "" not in values:
        try:
            return list(map(parse, values))
        except FieldError:
            if empty is NO_EMPTIES or None not in values:
                raise
    elif empty is NO_EMPTIES:
        raise FieldError(gettext("This field may not be empty."))
    return [empty if value is None or value == "" else parse(value) for value in values]


def text(max_length: int) -> Parser:
    """Return a parser of identifiers: text (or a whole number) up to `max_length`."""

    def parse(value: Any) -> str:
        if type(value) is int:
            value = str(value)
        elif type(value) is not str:
            raise FieldError(gettext("Expected text."))
        if len(value) > max_length:
            raise FieldError(
                gettext("At most %(max_length)d characters are allowed.")
                % {"max_length": max_length}
            )
        if "\x00" in value:
            raise FieldError(gettext("Text may not contain NUL characters."))
        return value

    return parse


def parse_code(value: Any) -> str:
    """Return a dimension code: letters, digits, hyphens and underscores."""
    if type(value) is not str:
        raise FieldError(gettext("Expected a code (text)."))
    if len(value) > CODE_MAX_LENGTH:
        raise FieldError(
            gettext("At most %(max_length)d characters are allowed.")
            % {"max_length": CODE_MAX_LENGTH}
        )
    if CODE_PATTERN.fullmatch(value) is None:
        raise FieldError(
            gettext(
                "%(value)r is not a code: use letters, digits, hyphens and "
                "underscores only."
            )
            % {"value": value}
        )
    return value


def parse_bool(value: Any) -> bool:
    """Return a boolean from a bool, 0/1, or true/false/yes/no/1/0 as text."""
    if value is True or value is False:
        return value
    if type(value) is str:
        parsed = BOOLEANS.get(value)
        if parsed is None:
            parsed = BOOLEANS.get(value.strip().lower())
        if parsed is not None:
            return parsed
    elif type(value) is int and value in (0, 1):
        return bool(value)
    raise FieldError(
        gettext("%(value)r is not a boolean: use true or false.") % {"value": value}
    )


def parse_whole_number(value: Any) -> int:
    """Return an int from an int or its decimal text; reject bools and fractions."""
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            pass
    raise FieldError(gettext("%(value)r is not a whole number.") % {"value": value})


def parse_satisfaction(value: Any) -> int:
    """Return a satisfaction score, 1 to 5."""
    score = parse_whole_number(value)
    if not 1 <= score <= 5:
        raise FieldError(
            gettext("Satisfaction must be between 1 and 5, got %(value)d.")
            % {"value": score}
        )
    return score


def parse_message_count(value: Any) -> int:
    """Return a message count: zero or more."""
    count = parse_whole_number(value)
    if count < 0:
        raise FieldError(
            gettext("The message count cannot be negative, got %(value)d.")
            % {"value": count}
        )
    if count > MAX_COUNT:
        raise FieldError(
            gettext("The message count cannot exceed %(max)d.") % {"max": MAX_COUNT}
        )
    return count


def parse_timezone_name(value: Any) -> str:
    """Return an IANA time zone name known to this system."""
    if type(value) is not str or value not in known_timezone_names():
        raise FieldError(
            gettext("%(value)r is not a known IANA time zone name.") % {"value": value}
        )
    return value


def parse_country(value: Any) -> str:
    """Return an ISO 3166-1 alpha-2 country code in capitals."""
    if type(value) is str:
        code = value.strip().upper()
        if len(code) == 2 and code in pytz.country_names:
            return code
    raise FieldError(
        gettext("%(value)r is not an ISO 3166-1 alpha-2 country code.")
        % {"value": value}
    )


def moment_parser(*, naive_timezone: tzinfo | None, latest: datetime) -> Parser:
    """
    Return a parser of ISO 8601 date-times from 1900 up to `latest`.

    A value without a UTC offset is read in `naive_timezone`, or rejected when that
    is None. An ambiguous local time (the repeated hour when clocks go back) is read
    as its first occurrence; a local time skipped when clocks go forward is rejected.
    `naive_timezone` must follow PEP 495 (zoneinfo does; pytz zones do not).
    """
    # Any local time in a year before this one is earlier than `latest`, whatever
    # its offset (offsets stay within a day); it needs no aware comparison.
    safe_year = (latest - timedelta(days=2)).year
    from_text = datetime.fromisoformat

    def parse(value: Any) -> datetime:
        if type(value) is str:
            try:
                moment = from_text(value)
            except ValueError:
                raise FieldError(_not_a_moment(value)) from None
            naive = moment.tzinfo is None
        elif isinstance(value, datetime):
            moment = value
            naive = moment.utcoffset() is None
        else:
            raise FieldError(_not_a_moment(value))
        if naive:
            if naive_timezone is None:
                raise FieldError(
                    gettext(
                        "%(value)s has no UTC offset; add one, e.g. "
                        "2024-05-01T09:30:00+08:00 or a trailing Z."
                    )
                    % {"value": moment.isoformat()}
                )
            moment = localize(moment, naive_timezone)
        if not 1900 < moment.year < safe_year:
            _check_range(moment, latest)
        return moment

    return parse


def localize(moment: datetime, zone: tzinfo) -> datetime:
    """Attach `zone` to a naive `moment`; raise FieldError if it does not exist."""
    aware = moment.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise FieldError(
            gettext(
                "%(value)s does not exist in %(zone)s: the clocks skip it when "
                "daylight saving time starts."
            )
            % {"value": moment.isoformat(), "zone": zone}
        )
    return aware


def _check_range(moment: datetime, latest: datetime) -> None:
    if moment < EARLIEST:
        raise FieldError(
            gettext("%(value)s is before 1900.") % {"value": moment.isoformat()}
        )
    if moment > latest:
        raise FieldError(
            gettext("%(value)s is more than %(minutes)d minutes in the future.")
            % {"value": moment.isoformat(), "minutes": max_future_minutes()}
        )


def _not_a_moment(value: Any) -> str:
    return gettext(
        "%(value)r is not an ISO 8601 date and time, e.g. 2024-05-01T09:30:00+08:00."
    ) % {"value": value}


def max_future_minutes() -> int:
    """Return how far in the future a record's times may lie, in minutes."""
    return settings.PEAKDESK_INGEST_MAX_FUTURE_MINUTES


@cache
def known_timezone_names() -> frozenset[str]:
    """Return the IANA zone names of this system's time zone database."""
    return frozenset(available_timezones())


@cache
def country_timezone(country: str) -> str:
    """Return the zone of a country that has exactly one, else an empty string."""
    zones = pytz.country_timezones.get(country, [])
    return zones[0] if len(zones) == 1 else ""
