from typing import Any

from rest_framework.renderers import BaseRenderer

from analytics.reporting.export import ReportTable, render_csv


class ReportCSVRenderer(BaseRenderer):
    """Write a report's table as CSV; selected with `?format=csv`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: ReportTable,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        return render_csv(data)
