"""
Fixtures for tests that drive Debian's Chromium through Playwright against the live
test server: the browser, a page per test, demo data and a logged-in analyst.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, sync_playwright

from analytics.services import refresh_aggregates
from tests.analytics.dashboard_data import PASSWORD, create_staff
from tests.browser.pages import DEMO_DAYS, DEMO_END

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's synchronous API runs an event loop in the test's thread; the test
# itself still uses the database synchronously, which Django allows only when told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch headless Chromium once for the whole run."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test` or apt-get install chromium"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Return a fresh page (own cookies) that fails the test on a script error."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors in the page: {errors}"


@pytest.fixture
def demo_data(transactional_db: None, tmp_path: Path) -> None:
    """Generate two weeks of demo consultations and refresh the aggregates."""
    call_command(
        "generate_demo_data",
        days=DEMO_DAYS,
        per_day=80,
        seed=7,
        end=DEMO_END.isoformat(),
        truth=str(tmp_path / "truth.json"),
        verbosity=0,
    )
    refresh_aggregates()


@pytest.fixture
def analyst_page(page: Page, live_server, transactional_db: None) -> Page:
    """Return a page logged in through the admin's login form."""
    create_staff("analyst", permissions=("consultations.view_consultation",))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    return page
