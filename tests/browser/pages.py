"""What the browser tests share: the demo data's dates, chart reading, screenshots."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page

# Screenshots of every page, kept out of version control.
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
# Two weeks of demo data ending on a fixed day, never near the clock.
DEMO_END = dt.date(2024, 3, 10)
DEMO_DAYS = 14
DEMO_RANGE = "from=2024-02-26&to=2024-03-11&tz=Asia/Shanghai"


def chart_data(page: Page, index: int = 0) -> dict:
    """Return the labels and dataset values of the index-th chart on the page."""
    return page.evaluate(
        """(index) => {
            const canvas = document.querySelectorAll("canvas")[index];
            const chart = window.Chart.getChart(canvas);
            return {
                labels: chart.data.labels,
                datasets: chart.data.datasets.map(
                    (set) => ({label: set.label, data: set.data})),
            };
        }""",
        index,
    )


def screenshot(page: Page, name: str) -> Path:
    """
    Save the whole page as test-artifacts/browser/<name>.png, and what the window
    shows as <name>-window.png (the size a README can show).
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-window.png"))
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
