from django.urls import URLPattern, path

from analytics.reporting.registry import list_reports

from .views import AnyReportView, ReportListView, documented_report_view


def _documented_paths() -> list[URLPattern]:
    # Reports are registered by the time URLs load (AnalyticsConfig.ready()).
    return [
        path(f"{report.slug}/", documented_report_view(report).as_view())
        for report in list_reports()
    ]


urlpatterns = [
    path("", ReportListView.as_view(), name="report-list"),
    *_documented_paths(),
    path("<str:slug>/", AnyReportView.as_view(), name="report-detail"),
]
