from typing import Any

from django.utils.translation import gettext_lazy as _

from analytics.reporting.base import Report, ReportQuery
from analytics.reporting.registry import register


@register
class ThirdPartyReport(Report):
    """Return nothing; exists to be discovered."""

    slug = "thirdparty-sample"
    title = _("Third-party sample")
    description = _("Shipped by an installed app.")

    def compute(self, query: ReportQuery) -> dict[str, Any]:
        return {"rows": []}
