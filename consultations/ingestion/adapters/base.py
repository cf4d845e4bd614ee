"""
The registry of import formats.

An adapter reads one file format into records for `ingest`. Register a new one with
the `register` decorator from any module that is imported at start-up (an app's
`AppConfig.ready`, for instance); `manage.py import_consultations --format NAME` then
finds it, and so does the file extension it declares.
"""

from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TextIO

from django.utils.translation import gettext


class FormatError(ValueError):
    """The file as a whole cannot be read in the format asked for."""


class SourceRow(NamedTuple):
    """
    One row of an input file, as the adapter read it.

    `record` is what to ingest. Without a record the row is either unreadable
    (`problem` holds the field and the reason) or deliberately skipped. `original`
    is the row as it was in the file: its text, or the values of a delimited row.
    A named tuple, because one is made for every row of every file.
    """

    line: int
    original: str | list[str]
    record: dict[str, Any] | None = None
    problem: tuple[str, str] | None = None

    @property
    def skipped(self) -> bool:
        return self.record is None and self.problem is None


class Adapter:
    """
    Reads one import format; subclass, set the class attributes, decorate.

    `name` is what --format takes, `extensions` (with the dot, lower case) the file
    names it is guessed from. An adapter whose files hold local clock times sets
    `needs_timezone`; it then gets the zone to read them in.
    """

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()
    needs_timezone: ClassVar[bool] = False
    encoding: ClassVar[str] = "utf-8-sig"

    def __init__(self, *, timezone: tzinfo | None = None) -> None:
        self.timezone = timezone

    def prepare(self) -> None:
        """Create the dimension values this format knows. Run once, before reading."""

    def rows(self, stream: TextIO) -> Iterator[SourceRow]:
        """Yield the rows of `stream`; raise FormatError if it is not this format."""
        raise NotImplementedError


ADAPTERS: dict[str, type[Adapter]] = {}


def register(adapter: type[Adapter]) -> type[Adapter]:
    """Add `adapter` to the registry under its name; use as a class decorator."""
    if adapter.name in ADAPTERS and ADAPTERS[adapter.name] is not adapter:
        raise ValueError(f"An import format named {adapter.name!r} already exists.")
    ADAPTERS[adapter.name] = adapter
    return adapter


def get_adapter(name: str) -> type[Adapter]:
    """Return the adapter registered as `name`; raise LookupError naming the known."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise LookupError(
            gettext("Unknown import format %(name)r; known formats: %(known)s.")
            % {"name": name, "known": ", ".join(sorted(ADAPTERS))}
        ) from None


def adapter_for_path(path: Path) -> type[Adapter]:
    """Return the adapter for a file name's extension; raise LookupError if none."""
    suffix = path.suffix.lower()
    for adapter in ADAPTERS.values():
        if suffix in adapter.extensions:
            return adapter
    raise LookupError(
        gettext(
            "Cannot tell the format of %(path)s from its extension; give --format "
            "(known formats: %(known)s)."
        )
        % {"path": path.name, "known": ", ".join(sorted(ADAPTERS))}
    )
