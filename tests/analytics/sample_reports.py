"""
A small report that echoes its query, for testing the framework without the core
reports, and a context manager that registers a report for the length of a test.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.reporting.base import Report, ReportQuery
from analytics.reporting.registry import register, unregister


class EchoOptions(serializers.Serializer):
    label = serializers.ChoiceField(
        choices=[("早高峰", "morning peak"), ("晚高峰", "evening peak")],
        default="早高峰",
        help_text="Label of the first row.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=3, default=2)
    detailed = serializers.BooleanField(default=True)
    weekdays = serializers.ListField(child=serializers.IntegerField(), required=False)


class EchoReport(Report):
    """Return the query it was given, and up to `limit` fixed rows."""

    slug = "echo"
    title = _("Echo")
    description = _("Return the query it was given.")
    options_serializer = EchoOptions

    def compute(self, query: ReportQuery) -> dict[str, Any]:
        window = query.slice_filter
        rows = [
            {
                "slot": "00:00",
                "label": query.options["label"],
                "count": 3,
                "share": 0.75,
            },
            {"slot": "01:00", "label": "=1+1", "count": 1, "share": None},
            {"slot": "02:00", "label": "-", "count": 0, "share": 0.0},
        ]
        return {
            "window": [window.start, window.end],
            "dimensions": dict(query.dimensions),
            "detailed": query.options["detailed"],
            "rows": rows[: query.options["limit"]],
        }


@contextmanager
def registered(report_class: type[Report]) -> Iterator[type[Report]]:
    """Register `report_class` for the length of the block."""
    register(report_class)
    try:
        yield report_class
    finally:
        unregister(report_class.slug)
