from django.contrib.admin.apps import AdminConfig


class PeakdeskAdminConfig(AdminConfig):
    """Django's admin, with the dashboard site as the default `admin.site`."""

    default_site = "analytics.dashboard.site.PeakdeskAdminSite"
