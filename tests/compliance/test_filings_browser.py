"""The filings list in a real browser: a regulator filters it and downloads a file; on a
phone the table becomes labelled cards and nothing scrolls sideways."""

import os

import pytest

from compliance.services.filings import filing_generate
from tests.compliance.filings_book import make_book

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def filings(make_user, onboarding, product):
    make_book(make_user, onboarding, product)
    for period in ("2026-02-01", "2026-02-02"):
        for fmt in ("csv", "xlsx", "json"):
            filing_generate(kind="daily_loans", period=period, fmt=fmt)


def test_a_regulator_filters_and_downloads_a_filing(page_login, live_server, make_user, filings):
    page = page_login(make_user("regulator"))
    page.goto(f"{live_server.url}/regulator/filings/")
    assert page.locator("table.filing-table tbody tr").count() == 6
    _shot(page, "filings-1280.png")
    page.select_option("select[name=format]", "xlsx")
    page.fill("input[name=period_from]", "2026-02-02")
    with page.expect_navigation():
        page.click("button[type=submit]")
    rows = page.locator("table.filing-table tbody tr")
    assert rows.count() == 1
    assert "2026-02-02" in rows.first.inner_text()
    with page.expect_download() as download:
        rows.first.locator("a.filing-download").click()
    assert download.value.suggested_filename == "daily_loans_2026-02-02_v1.xlsx"


def test_on_a_phone_the_filings_are_cards_without_sideways_scroll(
    page_login, live_server, make_user, filings
):
    page = page_login(make_user("regulator"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/regulator/filings/")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, width
    assert page.locator("table.filing-table thead").is_hidden()
    _shot(page, "filings-390.png")
