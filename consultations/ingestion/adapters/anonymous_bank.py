"""
The call log of the "Anonymous Bank" call centre (Technion SEE lab, 1999).

One line per call, tab-separated with padded fields, after a header line:
vru+line call_id customer_id priority type date vru_entry vru_exit vru_time q_start
q_exit q_time outcome ser_start ser_exit ser_time server. Dates are YYMMDD and times
local clock times H:MM:SS, where 0:00:00 in the queue and service columns means the
step did not happen.

Each AGENT (served) and HANG (abandoned) call becomes a consultation on the phone
channel; PHANTOM calls are virtual and skipped. Fields are split on any white space,
which also reads the lines where spaces stand in for a tab. A clock time earlier than
the entry into the voice response unit belongs to the next day (the call went past
midnight), except a few seconds to minutes earlier, which are clock skew between the
unit and the switch and stay on the same day.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.utils.translation import gettext

from ...models import Channel, ConsultationType, CustomerTier
from ..fields import FieldError
from .base import Adapter, FormatError, SourceRow, register

SOURCE = "anonymous-bank"
COLUMNS = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
NOT_HAPPENED = "0:00:00"
NO_SERVER = "NO_SERVER"
ANONYMOUS_CUSTOMER = "0"
# A clock earlier than the entry by less than this is skew, not the next day.
SKEW = timedelta(hours=1)
CHANNEL = "phone"


def _names() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    types = {
        "PS": ("regular", gettext("Regular")),
        "PE": ("regular-english", gettext("Regular, in English")),
        "IN": ("internet", gettext("Internet")),
        "NE": ("stock-exchange", gettext("Stock exchange")),
        "NW": ("prospect", gettext("Prospect")),
        "TT": ("call-back", gettext("Call-back")),
    }
    tiers = {
        "0": ("regular", gettext("Regular")),
        "1": ("regular", gettext("Regular")),
        "2": ("high", gettext("High priority")),
    }
    return types, tiers


@register
class AnonymousBankAdapter(Adapter):
    """Read the bank's call log; its times are local, so it needs a time zone."""

    name = SOURCE
    extensions = ()
    needs_timezone = True
    encoding = "latin-1"

    def prepare(self) -> None:
        """Create the phone channel, the call types and the priority tiers."""
        types, tiers = _names()
        Channel.objects.get_or_create(
            code=CHANNEL,
            defaults={"name": gettext("Phone"), "medium": Channel.Medium.VOICE},
        )
        for code, name in types.values():
            ConsultationType.objects.get_or_create(code=code, defaults={"name": name})
        for code, name in tiers.values():
            CustomerTier.objects.get_or_create(code=code, defaults={"name": name})

    def rows(self, stream: TextIO) -> Iterator[SourceRow]:
        header = stream.readline().split()
        if tuple(header) != COLUMNS:
            raise FormatError(
                gettext("The first line is not the header of the bank's call log.")
            )
        types, tiers = _names()
        type_codes = {key: code for key, (code, _name) in types.items()}
        tier_codes = {key: code for key, (code, _name) in tiers.items()}

        for line_number, line in enumerate(stream, 2):
            text = line.rstrip("\r\n")
            fields = text.split()
            if not fields:
                continue
            if len(fields) != len(COLUMNS):
                reason = gettext(
                    "The line has %(found)d fields; the log has %(expected)d."
                ) % {"found": len(fields), "expected": len(COLUMNS)}
                yield SourceRow(line_number, text, problem=("record", reason))
                continue
            call = dict(zip(COLUMNS, fields, strict=True))
            if call["outcome"] == "PHANTOM":
                yield SourceRow(line_number, text)
                continue
            try:
                record = _record(call, type_codes, tier_codes)
            except FieldError as error:
                problem = (error.field or "record", error.reason)
                yield SourceRow(line_number, text, problem=problem)
                continue
            yield SourceRow(line_number, text, record)


def _record(
    call: dict[str, str], type_codes: dict[str, str], tier_codes: dict[str, str]
) -> dict[str, Any]:
    """Return the record of one served or abandoned call; raise FieldError."""
    served = call["outcome"] == "AGENT"
    if not served and call["outcome"] != "HANG":
        raise FieldError(
            gettext("Unknown outcome %(value)r.") % {"value": call["outcome"]},
            "outcome",
        )
    day = _day(call["date"])
    entry = datetime.combine(day, _clock(call["vru_entry"], "vru_entry"))

    def moment(column: str) -> datetime | None:
        return _after(entry, call[column], column)

    queued = call["q_start"] != NOT_HAPPENED
    first_response = moment("ser_start") if served else None
    if served:
        ended = moment("ser_exit") or first_response or moment("q_exit")
    else:
        ended = moment("q_exit") if queued else None
    ended = ended or moment("vru_exit")
    return {
        "source": SOURCE,
        "external_id": f"{call['vru+line']}-{call['call_id']}",
        "started_at": entry,
        "first_response_at": first_response,
        "ended_at": ended,
        "channel": CHANNEL,
        "consultation_type": _lookup(type_codes, call["type"], "type"),
        "customer_tier": _lookup(tier_codes, call["priority"], "priority"),
        "customer": (
            None if call["customer_id"] == ANONYMOUS_CUSTOMER else call["customer_id"]
        ),
        "agent": None if call["server"] == NO_SERVER else call["server"],
        "abandoned": not served,
    }


def _day(value: str) -> date:
    # Two-digit years pivot as in POSIX strptime: 69-99 are the 1900s.
    try:
        year = int(value[:2])
        if len(value) != 6 or not value.isdigit():
            raise ValueError(value)
        return date(
            year + (1900 if year >= 69 else 2000), int(value[2:4]), int(value[4:])
        )
    except ValueError:
        raise FieldError(
            gettext("%(value)r is not a date as YYMMDD.") % {"value": value}, "date"
        ) from None


def _clock(value: str, column: str) -> time:
    try:
        hours, minutes, seconds = (int(part) for part in value.split(":"))
        return time(hours, minutes, seconds)
    except ValueError:
        raise FieldError(
            gettext("%(value)r is not a time as H:MM:SS.") % {"value": value}, column
        ) from None


def _after(entry: datetime, value: str, column: str) -> datetime | None:
    if value == NOT_HAPPENED:
        return None
    moment = datetime.combine(entry.date(), _clock(value, column))
    if moment < entry - SKEW:
        moment += timedelta(days=1)
    return moment


def _lookup(codes: dict[str, str], value: str, column: str) -> str:
    try:
        return codes[value]
    except KeyError:
        raise FieldError(
            gettext("Unknown %(column)s %(value)r.")
            % {"column": column, "value": value},
            column,
        ) from None
