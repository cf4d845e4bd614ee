"""
The dashboard in a real browser: log in, read the charts, filter, switch language,
download, drill down and refresh, on generated demo data.
"""

import csv
import datetime as dt
import io
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from analytics.reporting.registry import list_reports
from analytics.services import refresh_aggregates
from consultations.models import Channel, Consultation
from tests.browser.pages import DEMO_RANGE, chart_data, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_data")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
RANGE_START = dt.datetime(2024, 2, 26, tzinfo=SHANGHAI)
RANGE_END = dt.datetime(2024, 3, 11, tzinfo=SHANGHAI)
REPORTS = "/admin/analytics/dashboard/reports"
# The first week of the demo data as period A, the second as B.
TWO_WEEKS = (
    "from_a=2024-02-26&to_a=2024-03-04&from_b=2024-03-04&to_b=2024-03-11"
    "&tz=Asia/Shanghai&slot=60"
)


def hourly_counts(channel_code: str | None = None) -> list[int]:
    """Count the stored consultations per local hour in Shanghai over the range."""
    consultations = Consultation.objects.filter(
        started_at__gte=RANGE_START, started_at__lt=RANGE_END
    )
    if channel_code is not None:
        consultations = consultations.filter(channel__code=channel_code)
    hours = Counter(
        started_at.astimezone(SHANGHAI).hour
        for started_at in consultations.values_list("started_at", flat=True)
    )
    return [hours[hour] for hour in range(24)]


def test_dashboard_index_lists_reports_after_login(analyst_page: Page, live_server):
    # Given an analyst logged in through the admin's form
    page = analyst_page

    # When the dashboard is opened from the admin's navigation
    page.goto(f"{live_server.url}/admin/")
    with page.expect_navigation():
        page.click("text=Reports")
    screenshot(page, "dashboard-index")

    # Then every registered report has its card, and the comparison one more
    titles = page.locator(".report-card h2").all_inner_texts()
    assert titles == [str(report.title) for report in list_reports()] + [
        "Period comparison"
    ]


def test_day_distribution_filter_changes_chart_data(analyst_page: Page, live_server):
    # Given the day distribution of the demo data in hourly slots
    page = analyst_page
    page.goto(f"{live_server.url}{REPORTS}/day-distribution/?{DEMO_RANGE}&slot=60")
    before = chart_data(page)
    screenshot(page, "report-day-distribution")

    # When the website channel is picked in the filter bar and applied
    page.select_option("select[name=channel]", ["web"])
    with page.expect_navigation():
        page.click(".filter-bar button[type=submit]")

    # Then the URL holds the filter and the chart shows the website's volume only
    after = chart_data(page)
    assert "channel=web" in page.url
    assert before["datasets"][0]["label"] == "Consultations"
    assert before["datasets"][0]["data"] == hourly_counts()
    assert after["datasets"][0]["data"] == hourly_counts("web")
    assert after["datasets"][0]["data"] != before["datasets"][0]["data"]
    assert after["labels"] == [f"{hour:02d}:00" for hour in range(24)]
    assert page.locator("select[name=channel] option:checked").all_inner_texts() == [
        Channel.objects.get(code="web").name
    ]


# Each report page with its query and the number of charts it draws.
REPORT_PAGES = (
    ("weekday-hour", "slot=60", 1),
    ("trend", "granularity=day&breakdown=channel", 1),
    ("concurrency", "slot=30", 1),
    ("quality", "slot=60", 4),
)


def test_every_report_page_draws_its_charts(analyst_page: Page, live_server):
    page = analyst_page
    for slug, query, charts in REPORT_PAGES:
        # When a report page is opened on the demo data
        page.goto(f"{live_server.url}{REPORTS}/{slug}/?{DEMO_RANGE}&{query}")
        screenshot(page, f"report-{slug}")

        # Then each of its charts is drawn with data, with a PNG button each
        assert page.locator("canvas").count() == charts, slug
        for index in range(charts):
            values = [
                value
                for dataset in chart_data(page, index)["datasets"]
                for value in dataset["data"]
            ]
            assert any(values), (slug, index)
        assert page.locator("button.png-download").count() == charts, slug


def test_heatmap_has_colour_legend_and_a_cell_per_weekday_and_hour(
    analyst_page: Page, live_server
):
    # When the heatmap is opened in hourly slots
    page = analyst_page
    page.goto(f"{live_server.url}{REPORTS}/weekday-hour/?{DEMO_RANGE}&slot=60")

    # Then it is a matrix of 7 x 24 cells with a legend of its colour scale
    cells = page.evaluate(
        """() => {
            const chart = window.Chart.getChart(document.querySelector("canvas"));
            return {type: chart.config.type, count: chart.data.datasets[0].data.length};
        }"""
    )
    assert cells == {"type": "matrix", "count": 7 * 24}
    legend = page.locator("[data-legend=heatmap]").inner_text()
    assert legend.startswith("Mean per day") and "(fewer)" in legend


def test_language_switch_shows_chinese_labels(analyst_page: Page, live_server):
    # Given the day distribution in English
    page = analyst_page
    page.goto(f"{live_server.url}{REPORTS}/day-distribution/?{DEMO_RANGE}")
    assert page.locator("h1").inner_text() == "Distribution over the day"

    # When Simplified Chinese is chosen in the header
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    screenshot(page, "report-day-distribution-zh-hans")

    # Then the page, its filter bar and its chart speak Chinese
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "日内分布"
    assert page.locator(".filter-bar button[type=submit]").inner_text() == "应用"
    assert page.locator(".csv-download").inner_text() == "下载 CSV"
    assert chart_data(page)["datasets"][0]["label"] == "咨询量"
    assert "数据截至" in page.locator("[data-freshness]").inner_text()

    # And the other pages keep the language
    page.goto(f"{live_server.url}/admin/analytics/comparison/?{TWO_WEEKS}")
    page.wait_for_selector("[data-compare-table] tbody tr")
    screenshot(page, "comparison-zh-hans")
    assert page.locator("h1").inner_text() == "时段对比"


def test_csv_download_holds_the_table_with_bom(analyst_page: Page, live_server):
    # Given the day distribution filtered to the app channel
    page = analyst_page
    page.goto(
        f"{live_server.url}{REPORTS}/day-distribution/?{DEMO_RANGE}&slot=60&channel=app"
    )

    # When its CSV is downloaded
    with page.expect_download() as download:
        page.click(".csv-download")
    content = download.value.path().read_bytes()

    # Then it is UTF-8 with a byte order mark, one row per hour, app volume only
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["slot", "count", "mean_per_day", "share"]
    assert [row[0] for row in rows[1:]] == [f"{hour:02d}:00" for hour in range(24)]
    assert [int(row[1]) for row in rows[1:]] == hourly_counts("app")
    assert download.value.suggested_filename == (
        "day-distribution_2024-02-26_2024-03-11.csv"
    )


def test_png_download_is_an_image_of_the_chart(analyst_page: Page, live_server):
    # Given the concurrency chart
    page = analyst_page
    page.goto(f"{live_server.url}{REPORTS}/concurrency/?{DEMO_RANGE}")

    # When its PNG is downloaded
    with page.expect_download() as download:
        page.click("button.png-download")

    # Then the file is a PNG named after the report
    assert download.value.suggested_filename == "concurrency.png"
    assert download.value.path().read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_clicking_a_bar_lists_its_consultations(analyst_page: Page, live_server):
    # Given the hourly day distribution of the website channel
    page = analyst_page
    page.goto(
        f"{live_server.url}{REPORTS}/day-distribution/?{DEMO_RANGE}&slot=60&channel=web"
    )
    expected = hourly_counts("web")[10]

    # When the 10:00 bar is clicked
    point = page.evaluate(
        """() => {
            const canvas = document.querySelector("canvas");
            const bar = window.Chart.getChart(canvas).getDatasetMeta(0).data[10];
            const box = canvas.getBoundingClientRect();
            return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
        }"""
    )
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    screenshot(page, "drill-down-change-list")

    # Then the change list shows the website's consultations of that hour
    assert page.url.startswith(f"{live_server.url}/admin/consultations/consultation/")
    assert "local_time=10%3A00" in page.url and "channel=web" in page.url
    assert page.locator(".paginator").inner_text().startswith(f"{expected} ")


def test_comparison_shows_both_periods_and_their_changes(
    analyst_page: Page, live_server
):
    # When the first week of the demo data is compared with the second
    page = analyst_page
    page.goto(f"{live_server.url}/admin/analytics/comparison/?{TWO_WEEKS}")
    page.wait_for_selector("[data-compare-table] tbody tr")
    screenshot(page, "comparison")

    # Then one chart holds both curves, and the table a row of changes per hour
    data = chart_data(page)
    assert [dataset["label"] for dataset in data["datasets"]] == [
        "Period A (2024-02-26 – 2024-03-04)",
        "Period B (2024-03-04 – 2024-03-11)",
    ]
    assert page.locator("[data-compare-table] tbody tr").count() == 24
    assert page.locator("[data-compare-table] thead th").all_inner_texts()[:4] == [
        "LOCAL TIME",
        "MEAN PER DAY, A",
        "MEAN PER DAY, B",
        "CHANGE (B - A)",
    ]

    # And periods without data say so in words instead of drawing empty curves
    page.goto(
        f"{live_server.url}/admin/analytics/comparison/?from_a=2023-01-02"
        "&to_a=2023-01-09&from_b=2023-01-09&to_b=2023-01-16"
    )
    status = page.locator("[data-compare-status]")
    status.wait_for()
    assert status.inner_text() == (
        "No consultations in either period with these filters."
    )
    assert page.locator("[data-compare-body]").is_hidden()


def test_auto_refresh_updates_data_without_reloading(analyst_page: Page, live_server):
    # Given an open day distribution, marked so that a reload would show
    page = analyst_page
    page.goto(f"{live_server.url}{REPORTS}/day-distribution/?{DEMO_RANGE}&slot=60")
    page.evaluate("() => { window.notReloaded = true; }")
    before = chart_data(page)["datasets"][0]["data"]

    # When a consultation arrives, the aggregates refresh and the page refreshes
    Consultation.objects.create(
        source="late",
        external_id="late-1",
        started_at=dt.datetime(2024, 3, 5, 3, 30, tzinfo=SHANGHAI),
        channel=Channel.objects.get(code="web"),
    )
    refresh_aggregates()
    assert page.evaluate("() => window.peakdesk.refresh()") is True

    # Then the chart counts it at 03:00, on the same page
    after = chart_data(page)["datasets"][0]["data"]
    assert after == before[:3] + [before[3] + 1] + before[4:]
    assert page.evaluate("() => window.notReloaded") is True
