"""
The dashboard pages: the list of reports, one page per report, the comparison.

Every page reads its whole state from the query string. A report page validates it
with the same code as the API, computes the report on the server and renders the
table; the charts are drawn in the browser from the same result, embedded as JSON.
Auto-refresh fetches the page again with `fragment=1` and swaps the result region.
"""

import datetime as dt

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics.reporting.base import Report, ReportQuery
from analytics.reporting.export import run_report
from analytics.reporting.parameters import (
    DEFAULT_SLOT_MINUTES,
    ReportParameterError,
    parse_report_parameters,
)
from analytics.reporting.registry import ReportNotFound, get_report, list_reports

from . import filters
from .drilldown import changelist_url, row_urls
from .freshness import get_freshness
from .permissions import can_view_dashboard
from .tables import build_table, column_label, is_empty

COMPARISON_DEFAULT_DAYS = 28
# Not a report slug: the comparison page's place in the navigation.
COMPARISON = ""
REPORT_TEMPLATE = "admin/analytics/dashboard/report.html"
RESULT_TEMPLATE = "admin/analytics/dashboard/_result.html"
FRESHNESS_TEMPLATE = "admin/analytics/dashboard/_freshness.html"


def dashboard_index(request: HttpRequest, *, admin_site: AdminSite) -> TemplateResponse:
    """List every registered report, each linked with the current filters."""
    _require_permission(request)
    query = filters.shared_query(request.GET).urlencode()
    reports = [
        {
            "slug": report.slug,
            "title": report.title,
            "description": report.description,
            "url": _report_url(report.slug, query),
        }
        for report in list_reports()
    ]
    context = {
        **admin_site.each_context(request),
        "title": _("Dashboard"),
        "reports": reports,
        "compare_url": _comparison_url(request.GET),
        **_freshness_context(request.GET),
    }
    return TemplateResponse(request, "admin/analytics/dashboard/index.html", context)


def report_page(
    request: HttpRequest, slug: str, *, admin_site: AdminSite
) -> TemplateResponse:
    """Show one report: the filter bar, its charts and its table."""
    _require_permission(request)
    report = _report_or_404(slug)
    params = filters.report_params(request.GET)

    try:
        parsed = parse_report_parameters(report, params)
    except ReportParameterError as error:
        context = {
            **_page_context(request, admin_site, report, params),
            "errors": [
                f"{name}: {' '.join(reasons)}" for name, reasons in error.errors.items()
            ],
        }
        return TemplateResponse(request, REPORT_TEMPLATE, context, status=400)

    payload = run_report(report, parsed, generated_at=timezone.now())
    shown = filters.with_values(params, parsed.echo)
    context = {
        **_page_context(request, admin_site, report, shown),
        **_result_context(report, parsed.query, shown, payload),
    }
    fragment = request.GET.get(filters.FRAGMENT_KEY)
    return TemplateResponse(
        request, RESULT_TEMPLATE if fragment else REPORT_TEMPLATE, context
    )


def comparison_page(request: HttpRequest, *, admin_site: AdminSite) -> TemplateResponse:
    """Show the period comparison: two ranges, one chart, the table of changes."""
    _require_permission(request)
    params = filters.report_params(request.GET)
    context = {
        **admin_site.each_context(request),
        **_filter_bar_context(params),
        "quick_ranges": filters.comparison_quick_ranges(params),
        "title": _("Period comparison"),
        "periods": _comparison_periods(params),
        "reports_nav": _reports_nav(params, current=COMPARISON),
        # The dedicated comparison report (chi-square test of the day's shape,
        # quality changes with intervals) is not registered yet; until it is, the
        # page fetches the day distribution of each period and compares them.
        "compare_config": {
            "api_url": reverse("report-detail", args=["day-distribution"]),
            "changelist_url": changelist_url(),
            "shared": _shared_params(params),
            "strings": _comparison_strings(),
        },
        **_freshness_context(params),
    }
    if request.GET.get(filters.FRAGMENT_KEY):
        return TemplateResponse(request, FRESHNESS_TEMPLATE, context)
    return TemplateResponse(request, "admin/analytics/dashboard/compare.html", context)


def _require_permission(request: HttpRequest) -> None:
    if not can_view_dashboard(request.user):
        raise PermissionDenied


def _report_or_404(slug: str) -> Report:
    try:
        return get_report(slug)
    except ReportNotFound as error:
        raise Http404(str(error)) from None


def _report_url(slug: str, query: str) -> str:
    return _with_query(reverse("admin:analytics_dashboard_report", args=[slug]), query)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _page_context(
    request: HttpRequest, admin_site: AdminSite, report: Report, params: QueryDict
) -> dict:
    return {
        **admin_site.each_context(request),
        **_filter_bar_context(params),
        "title": report.title,
        "report": report,
        "options": filters.option_fields(report.options_serializer, params),
        "reports_nav": _reports_nav(params, current=report.slug),
        **_freshness_context(params),
    }


def _freshness_context(params: QueryDict) -> dict:
    return {
        "freshness": get_freshness(),
        "display_zone": filters.selected_zone(params).key,
    }


def _filter_bar_context(params: QueryDict) -> dict:
    return {
        "params": params,
        "quick_ranges": filters.quick_ranges(params),
        "zones": filters.zone_choices(params.get("tz") or filters.business_zone_name()),
        "slots": filters.slot_choices(params),
        "dimensions": filters.dimension_selects(params),
    }


def _reports_nav(params: QueryDict, *, current: str) -> list[dict]:
    """Return a link to every report and to the comparison, keeping the filters."""
    query = filters.shared_query(params).urlencode()
    items = [
        {
            "title": report.title,
            "url": _report_url(report.slug, query),
            "current": report.slug == current,
        }
        for report in list_reports()
    ]
    items.append(
        {
            "title": _("Period comparison"),
            "url": _comparison_url(params),
            "current": current == COMPARISON,
        }
    )
    return items


def _comparison_url(params: QueryDict) -> str:
    query = filters.shared_query(params, keep_range=False).urlencode()
    return _with_query(reverse("admin:analytics_dashboard_compare"), query)


def _result_context(
    report: Report, query: ReportQuery, params: QueryDict, result: dict
) -> dict:
    rows = result.get("rows") or []
    columns = report.csv_columns(result)
    breakdown = query.options.get("breakdown") or None
    urls = row_urls(query, params, rows, breakdown=breakdown)
    csv_query = params.copy()
    csv_query["format"] = "csv"
    return {
        "query": query,
        "empty": is_empty(rows),
        "filtered": filters.active_dimension_filters(params),
        "table": build_table(columns, rows, urls=urls, bases=result.get("bases") or {}),
        "csv_url": _with_query(
            reverse("report-detail", args=[report.slug]), csv_query.urlencode()
        ),
        "chart_config": {
            "slug": report.slug,
            "title": str(report.title),
            "weekday_names": [str(name) for name in WEEKDAYS.values()],
            "rows": rows,
            "columns": columns,
            "labels": {key: column_label(key) for key in _row_keys(rows, columns)},
            "urls": urls,
            "bases": result.get("bases") or {},
            "strings": _chart_strings(),
        },
    }


def _row_keys(rows: list[dict], columns: list[str]) -> list[str]:
    keys = dict.fromkeys(columns)
    for row in rows[:1]:
        keys.update(dict.fromkeys(row))
    return list(keys)


def _shared_params(params: QueryDict) -> dict[str, list[str]]:
    """Return the filters both periods of a comparison share."""
    shared = {"tz": [params.get("tz") or filters.business_zone_name()]}
    shared["slot"] = [params.get("slot") or str(DEFAULT_SLOT_MINUTES)]
    for select in filters.dimension_selects(params):
        codes = params.getlist(select.name)
        if codes:
            shared[select.name] = codes
    return shared


def _comparison_periods(params: QueryDict) -> list[dict]:
    """Return periods A and B, by default the last four weeks (B) and those before."""
    end_b = filters.local_today(filters.selected_zone(params))
    start_b = end_b - dt.timedelta(days=COMPARISON_DEFAULT_DAYS)
    start_a = start_b - dt.timedelta(days=COMPARISON_DEFAULT_DAYS)
    defaults = {"a": (start_a, start_b), "b": (start_b, end_b)}
    return [
        {
            "key": key,
            "label": label,
            "from": params.get(f"from_{key}") or defaults[key][0].isoformat(),
            "to": params.get(f"to_{key}") or defaults[key][1].isoformat(),
        }
        for key, label in (("a", _("Period A")), ("b", _("Period B")))
    ]


def _chart_strings() -> dict[str, str]:
    return {
        "png": gettext("Download PNG"),
        "slot": gettext("Local time"),
        "weekday": gettext("Weekday"),
        "in_progress": gettext("Consultations in progress"),
        "percent": gettext("Percent"),
        "seconds": gettext("Seconds"),
        "thin": gettext("few observations"),
        "thin_note": gettext(
            # xgettext:no-python-format
            "Hollow triangles and dashed lines mark figures resting on too few "
            "observations to be reliable; shaded bands are 95% intervals."
        ),
        # xgettext:no-python-format
        "rates_title": gettext("Rates with 95% intervals"),
        "wait_title": gettext("First response time"),
        "duration_title": gettext("Duration"),
        "legend_low": gettext("fewer"),
        "legend_high": gettext("more"),
    }


def _comparison_strings() -> dict[str, str]:
    return {
        **_chart_strings(),
        "chart_title": gettext("Mean per day in each slot, A and B"),
        "period_a": gettext("Period A"),
        "period_b": gettext("Period B"),
        "mean_per_day": gettext("Mean per day"),
        "mean_per_day_a": gettext("Mean per day, A"),
        "mean_per_day_b": gettext("Mean per day, B"),
        "change": gettext("Change (B - A)"),
        "change_relative": gettext("Change (%)"),
        "share_a": gettext("Share, A"),
        "share_b": gettext("Share, B"),
        "change_share": gettext("Change of share (points)"),
        "failed": gettext("The comparison could not be loaded: %(reason)s"),
        "empty": gettext("No consultations in either period with these filters."),
    }
