"""
The contract between a report plugin and the framework that serves it.

The framework validates a request's parameters once, for the API and the command line
alike, hands the report a `ReportQuery`, and renders what `Report.compute()` returns:
all of it as JSON, its `rows` as CSV.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rest_framework import serializers

from analytics.buckets import BUCKET_MINUTES, bucket_of
from analytics.selectors import SliceFilter

_BUCKET = dt.timedelta(minutes=BUCKET_MINUTES)


def local_day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """
    Return the UTC instant at which the local `day` begins in `zone`.

    That is the first 15-minute bucket whose local date is `day` or later: local
    midnight where it exists, the end of the gap where a transition skips it, and the
    next day's start where a transition skips the whole day. The rare offsets that are
    not a multiple of 15 minutes (some zones before 1973) start the day at the next
    bucket, which is where `localtime.localize()` places the day's first bucket too.
    """
    midnight = dt.datetime.combine(day, dt.time())
    readings = [
        midnight.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)
    ]
    # The two readings of a skipped or repeated midnight bracket the day's start;
    # elsewhere they are equal and the loop does not run.
    moment = bucket_of(min(readings))
    while moment.astimezone(zone).date() < day:
        moment += _BUCKET
    return moment


@dataclass(frozen=True)
class ReportQuery:
    """
    Validated parameters of one report request.

    `start_date` (inclusive) and `end_date` (exclusive) are local dates in `zone`;
    `dimensions` maps names of `grouping.DIMENSIONS` to the ids to keep and holds only
    the filtered dimensions; `options` holds the report's own validated parameters.
    """

    start_date: dt.date
    end_date: dt.date
    zone: ZoneInfo
    slot_minutes: int
    dimensions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def slice_filter(self) -> SliceFilter:
        """Return the UTC range from the start of `start_date` to that of `end_date`."""
        return SliceFilter(
            start=local_day_start(self.start_date, self.zone),
            end=local_day_start(self.end_date, self.zone),
            dimensions=dict(self.dimensions),
        )


class Report:
    """
    A report plugin: a slug, a title, optional parameters of its own, and `compute`.

    Register a subclass with `analytics.reports.register`. Its parameters are the
    shared ones (range, time zone, slot, dimension filters) plus the fields of
    `options_serializer`, whose validated values reach `compute` in `query.options`.
    `result_serializer`, when given, documents the result in the OpenAPI schema.
    """

    slug: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    options_serializer: ClassVar[type[serializers.Serializer] | None] = None
    result_serializer: ClassVar[type[serializers.Serializer] | None] = None

    def compute(self, query: ReportQuery) -> dict[str, Any]:
        """
        Return the report for `query` as a JSON-ready dict.

        Put the tabular part under "rows" as a list of flat dicts; it is what the CSV
        export writes. The keys "report", "parameters", "generated_at" and
        "data_as_of" are added by the framework and must not be returned.
        """
        raise NotImplementedError(f"{type(self).__qualname__} must define compute().")

    def csv_columns(self, result: Mapping[str, Any]) -> list[str]:
        """
        Return the columns of the CSV export of `result`, in order.

        By default the keys of the first row; override to fix the columns when rows
        may be missing or vary.
        """
        rows = result.get("rows") or []
        return list(rows[0]) if rows else []

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """Return the names of the report's own parameters."""
        if cls.options_serializer is None:
            return ()
        return tuple(cls.options_serializer().fields)
