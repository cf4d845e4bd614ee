"""Import consultations from a file through the ingestion service, chunk by chunk."""

import csv
import gc
import io
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from tqdm import tqdm

from consultations.ingestion import IngestResult, ingest_chunks
from consultations.ingestion.adapters import (
    ADAPTERS,
    Adapter,
    FormatError,
    SourceRow,
    adapter_for_path,
    get_adapter,
)

logger = logging.getLogger(__name__)

# Twice the API's batch: each chunk costs some fixed statements and a commit, and
# two chunks in memory (one written, the next prepared) stay under 200 MiB.
DEFAULT_CHUNK_SIZE = 10_000
READ_AHEAD_ROWS = 1_000


class Command(BaseCommand):
    # The checks load every URL pattern and view, a fifth of a second of start-up
    # that an import does not need: `manage.py check` and the server run them.
    requires_system_checks: list[str] = []

    @property
    def help(self) -> str:  # type: ignore[override]
        # Evaluated here, not lazily: argparse cannot format lazy strings.
        return gettext(
            "Import consultations from a file (CSV, JSON Lines or another "
            "registered format), upserting by source and external id. Rejected "
            "rows go to a CSV file with their reasons."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=gettext("The file to import."))
        parser.add_argument(
            "--format",
            dest="format_name",
            metavar="FORMAT",
            help=gettext(
                "The file's format, one of %(formats)s; guessed from its "
                "extension when left out."
            )
            % {"formats": ", ".join(sorted(ADAPTERS))},
        )
        parser.add_argument(
            "--timezone",
            help=gettext(
                "IANA zone to read times without a UTC offset in; without it such "
                "times are rejected. Required by formats of local clock times."
            ),
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help=gettext(
                "Where to write rejected rows (CSV); default: FILE's name plus "
                ".rejects.csv in the current directory. Written only if a row is "
                "rejected."
            ),
        )
        parser.add_argument(
            "--no-create-dimensions",
            action="store_true",
            help=gettext(
                "Reject unknown dimension codes and agents instead of creating them."
            ),
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=gettext("Rows validated and written together (default %(default)s)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """
        Import FILE chunk by chunk and print what became of its rows.

        Raise CommandError for a missing file, an unknown format or zone, or a file
        that is not in its format; rejected rows do not fail the command.
        """
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(gettext("No such file: %(path)s") % {"path": path})
        if options["chunk_size"] < 1:
            raise CommandError(gettext("--chunk-size must be at least 1."))
        adapter = self._adapter(path, options["format_name"], options["timezone"])
        rejects = Rejects(options["rejects"] or Path(f"{path.name}.rejects.csv"))

        started = time.monotonic()
        adapter.prepare()
        with few_collections():
            totals = self._import(
                path,
                adapter,
                rejects,
                allow_new_dimensions=not options["no_create_dimensions"],
                chunk_size=options["chunk_size"],
                quiet=options["verbosity"] == 0,
            )

        self._report(totals, rejects, time.monotonic() - started)

    def _adapter(
        self, path: Path, format_name: str | None, timezone: str | None
    ) -> Adapter:
        try:
            adapter_class = (
                get_adapter(format_name) if format_name else adapter_for_path(path)
            )
        except LookupError as error:
            raise CommandError(error.args[0]) from None
        zone = _zone(timezone) if timezone else None
        if adapter_class.needs_timezone and zone is None:
            raise CommandError(
                gettext(
                    "The %(format)s format holds local clock times: give the "
                    "zone they are in with --timezone."
                )
                % {"format": adapter_class.name}
            )
        return adapter_class(timezone=zone)

    def _import(
        self,
        path: Path,
        adapter: Adapter,
        rejects: "Rejects",
        *,
        allow_new_dimensions: bool,
        chunk_size: int,
        quiet: bool,
    ) -> IngestResult:
        with (
            path.open("rb") as binary,
            io.TextIOWrapper(binary, encoding=adapter.encoding, newline="") as stream,
            tqdm(
                total=path.stat().st_size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                disable=True if quiet else None,
            ) as progress,
            rejects,
            ReadAhead(adapter.rows(stream)) as rows,
        ):
            feed = Feed(rows, rejects)
            results = ingest_chunks(
                feed.records(),
                allow_new_dimensions=allow_new_dimensions,
                naive_timezone=adapter.timezone,
                chunk_size=chunk_size,
            )
            try:
                for result in results:
                    feed.reject(result)
                    progress.update(binary.tell() - progress.n)
            except (FormatError, UnicodeDecodeError) as error:
                raise CommandError(
                    gettext("Cannot read %(path)s: %(error)s")
                    % {"path": path, "error": error}
                ) from None
        return feed.totals

    def _report(self, totals: IngestResult, rejects: "Rejects", seconds: float) -> None:
        rows = totals.total + rejects.count
        summary = {
            "created": totals.created,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
            "rejected": rejects.count,
            "skipped": totals.skipped,
            "seconds": seconds,
            "rate": rows / seconds if seconds else 0,
        }
        logger.info(
            "imported %(created)d created, %(updated)d updated, %(unchanged)d "
            "unchanged, %(rejected)d rejected, %(skipped)d skipped in %(seconds).1f s",
            summary,
        )
        self.stdout.write(
            gettext(
                "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(rejected)d rejected, %(skipped)d skipped in %(seconds).1f s "
                "(%(rate)d rows/s)."
            )
            % summary
        )
        if rejects.count:
            self.stdout.write(
                gettext("Rejected rows and their reasons: %(path)s")
                % {"path": rejects.path}
            )


class Rejects:
    """The CSV file of rejected rows, created at the first one."""

    HEADER = ("line", "field", "reason", "row")

    def __init__(self, path: Path) -> None:
        if not os.access(path.parent, os.W_OK):
            raise CommandError(
                gettext("Cannot write the rejected rows to %(path)s.") % {"path": path}
            )
        self.path = path
        self.count = 0
        self._file: TextIO | None = None
        self._writer: Any = None

    def __enter__(self) -> "Rejects":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close()

    def write(self, row: SourceRow, field: str, reason: str) -> None:
        """Add `row` with the field at fault and the reason."""
        if self._writer is None:
            self._file = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.HEADER)
        self._writer.writerow((row.line, field, reason, _text(row.original)))
        self.count += 1


class Feed:
    """
    The records of a file's rows for the ingestion service, and back.

    Rows the adapter could not read go to the rejects file at once, skipped rows
    are counted; the rows behind the records in flight are kept until their
    chunk's result names the rejected ones, then let go, so memory stays bounded
    by the chunk size.
    """

    def __init__(self, rows: Iterable[SourceRow], rejects: Rejects) -> None:
        self.rows = rows
        self.rejects = rejects
        self.totals = IngestResult()
        # The rows of the records sent and not yet accounted for, oldest first;
        # the first of them is record number `done`.
        self.in_flight: list[SourceRow] = []
        self.done = 0

    def records(self) -> Iterator[Mapping[str, Any]]:
        """Yield the records of the rows, in order."""
        send = self.in_flight.append
        for row in self.rows:
            if row.record is not None:
                send(row)
                yield row.record
            elif row.problem is not None:
                self.rejects.write(row, *row.problem)
            else:
                self.totals.skipped += 1

    def reject(self, result: IngestResult) -> None:
        """Write the rejections of the next chunk's result; add up its counts."""
        for rejection in result.rejected:
            row = self.in_flight[rejection.index - self.done]
            self.rejects.write(row, rejection.field, rejection.reason)
        chunk = result.total
        del self.in_flight[:chunk]
        self.done += chunk
        # The rejections are in the file; the totals keep counts only, so memory
        # does not grow with the number of rejected rows.
        result.rejected = []
        self.totals.add(result)


class ReadAhead:
    """
    The rows of an adapter, read by a second thread a few batches ahead.

    Decoding and splitting the file then go on while the importing thread waits
    for the database. Errors of the reading surface where the rows are taken.
    Use as a context manager: leaving it stops the reading thread, so the file
    can be closed.
    """

    def __init__(self, rows: Iterator[SourceRow], batch_size: int = READ_AHEAD_ROWS):
        self._batches: queue.Queue[list[SourceRow] | BaseException] = queue.Queue(2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(rows, batch_size), name="import-read", daemon=True
        )

    def __enter__(self) -> Iterator[SourceRow]:
        self._thread.start()
        return self._rows()

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        while self._thread.is_alive():
            # Make room for a batch the thread may be waiting to hand over.
            try:
                self._batches.get_nowait()
            except queue.Empty:
                self._thread.join(0.01)

    def _read(self, rows: Iterator[SourceRow], batch_size: int) -> None:
        batch: list[SourceRow] = []
        try:
            for row in rows:
                batch.append(row)
                if len(batch) == batch_size:
                    self._batches.put(batch)
                    batch = []
                    if self._stopped.is_set():
                        return
        except BaseException as error:
            # Raised where the rows are taken, after the rows read before it, which
            # are imported first as without reading ahead.
            if batch:
                self._batches.put(batch)
            self._batches.put(error)
            return
        if batch:
            self._batches.put(batch)
        self._batches.put([])

    def _rows(self) -> Iterator[SourceRow]:
        while True:
            batch = self._batches.get()
            if isinstance(batch, BaseException):
                raise batch
            if not batch:
                return
            yield from batch


@contextmanager
def few_collections() -> Iterator[None]:
    """Run the garbage collector rarely, and not over the objects of start-up."""
    # The chunks in flight hold up to some 200,000 containers, which the default
    # threshold (700) would have the collector walk every few records, at about a
    # tenth of the run. Ingestion makes no reference cycles (an import of 200,000
    # rows leaves 15 unreachable objects), so the threshold lies well above what
    # the chunks hold: a collection runs only if something keeps growing.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(1_000_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            gettext("%(name)r is not a known IANA time zone name.") % {"name": name}
        ) from None


def _text(original: str | list[str]) -> str:
    if isinstance(original, str):
        return original
    buffer = io.StringIO()
    csv.writer(buffer).writerow(original)
    return buffer.getvalue().rstrip("\r\n")
