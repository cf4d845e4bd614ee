"""
The admin site of Peakdesk: Django's own, with the analytics dashboard added.

The dashboard pages are prepended to the site's URLs and listed first in its
navigation, so they share the admin's login, look and sidebar.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, reverse
from django.utils.translation import gettext_lazy as _

from .permissions import can_view_dashboard


class PeakdeskAdminSite(admin.AdminSite):
    site_header = _("Peakdesk administration")
    site_title = _("Peakdesk")
    index_title = _("Peakdesk administration")

    def get_urls(self) -> list[URLPattern]:
        from .urls import dashboard_urls

        return [*dashboard_urls(self), *super().get_urls()]

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        if app_label is None and can_view_dashboard(request.user):
            app_list.insert(0, self._dashboard_entry())
        return app_list

    def _dashboard_entry(self) -> dict:
        index_url = reverse("admin:analytics_dashboard", current_app=self.name)
        pages = [
            (_("Reports"), "Reports", index_url),
            (
                _("Period comparison"),
                "Comparison",
                reverse("admin:analytics_dashboard_compare", current_app=self.name),
            ),
        ]
        return {
            "name": _("Dashboard"),
            "app_label": "dashboard",
            "app_url": index_url,
            "has_module_perms": True,
            "models": [
                {
                    "name": name,
                    "object_name": object_name,
                    "perms": {"view": True},
                    "admin_url": url,
                    "add_url": None,
                    "view_only": True,
                }
                for name, object_name, url in pages
            ],
        }
