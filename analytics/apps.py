from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Import the `reports` module of every installed app, this one included, so
        # that its reports register, the way the admin finds `admin.py`.
        autodiscover_modules("reports")
