"""
The one registry of report plugins.

A report class registers itself with `@register`; `AnalyticsConfig.ready()` imports
the `reports` module of every installed app so that a third-party app adds a report
by shipping one, the way the admin finds `admin.py`. Registration order is kept:
it is the order in which reports are listed.
"""

import re
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .base import Report
from .parameters import RESERVED_PARAMETERS

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

ReportClass = TypeVar("ReportClass", bound=type[Report])

_reports: dict[str, type[Report]] = {}


class ReportNotFound(LookupError):
    """No report is registered under the slug asked for."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        known = ", ".join(_reports) or "-"
        super().__init__(
            _("No report is named %(slug)s; the reports are: %(known)s.")
            % {"slug": slug, "known": known}
        )


def register(report_class: ReportClass) -> ReportClass:
    """
    Register a report class under its slug and return it unchanged.

    Raise ImproperlyConfigured when the class is not a Report, its slug is not
    lower-case letters, digits, hyphens and underscores, the slug is taken, or an
    option shadows a shared parameter.
    """
    _check_declaration(report_class)
    if report_class.slug in _reports:
        raise ImproperlyConfigured(
            f"A report with the slug {report_class.slug!r} is already registered "
            f"({_reports[report_class.slug].__qualname__})."
        )

    _reports[report_class.slug] = report_class
    return report_class


def unregister(slug: str) -> None:
    """Remove a registered report; raise ReportNotFound when there is none."""
    if slug not in _reports:
        raise ReportNotFound(slug)
    del _reports[slug]


def get_report(slug: str) -> Report:
    """Return an instance of the report registered under `slug`."""
    try:
        return _reports[slug]()
    except KeyError:
        raise ReportNotFound(slug) from None


def list_reports() -> list[Report]:
    """Return an instance of every registered report, in registration order."""
    return [report_class() for report_class in _reports.values()]


def _check_declaration(report_class: type) -> None:
    if not (isinstance(report_class, type) and issubclass(report_class, Report)):
        raise ImproperlyConfigured(f"{report_class!r} is not a Report subclass.")
    slug = getattr(report_class, "slug", "")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ImproperlyConfigured(
            f"{report_class.__qualname__}.slug must be lower-case letters, digits, "
            f"hyphens and underscores; got {slug!r}."
        )
    shadowing = sorted(set(report_class.option_names()) & RESERVED_PARAMETERS)
    if shadowing:
        raise ImproperlyConfigured(
            f"Options of {report_class.__qualname__} shadow shared parameters: "
            f"{', '.join(shadowing)}."
        )
