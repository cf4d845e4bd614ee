"""The dashboard's URLs, prepended to the admin site's own."""

from collections.abc import Callable

from django.contrib.admin import AdminSite
from django.urls import URLPattern, path

from . import views


def dashboard_urls(site: AdminSite) -> list[URLPattern]:
    """Return the dashboard pages, each behind the site's login and staff check."""

    def wrap(view: Callable) -> Callable:
        def page(request, *args, **kwargs):
            return view(request, *args, admin_site=site, **kwargs)

        return site.admin_view(page)

    return [
        path(
            "analytics/dashboard/",
            wrap(views.dashboard_index),
            name="analytics_dashboard",
        ),
        path(
            "analytics/comparison/",
            wrap(views.comparison_page),
            name="analytics_dashboard_compare",
        ),
        path(
            "analytics/dashboard/reports/<slug:slug>/",
            wrap(views.report_page),
            name="analytics_dashboard_report",
        ),
    ]
