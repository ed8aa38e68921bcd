"""The disclosure page in Chromium at 1280 and 390 px: no sideways scroll on a phone, no
figure hidden off-screen, the charts drawn; and the drill-down as a regulator sees it.
Screenshots go to $LAYOUT_SHOTS_DIR (default /tmp/shots-statistics)."""

import os
from datetime import date

import pytest

from custody.models import ReconciliationRun
from disclosure.services.statistics import statistics_snapshot_take
from lending.business_date import business_date_set
from tests.disclosure.statistics_book import build_book

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("LAYOUT_SHOTS_DIR", "/tmp/shots-statistics")


@pytest.fixture
def months(make_user):
    """The book, and monthly reports from January to June 2026 (a year's book grows)."""
    book = build_book(make_user)
    for month, end in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31)):
        ReconciliationRun.objects.create(statement_on=date(2026, month, end))
        statistics_snapshot_take(period=f"2026-{month:02d}")
    statistics_snapshot_take(period="2026-06")
    business_date_set(on=date(2026, 7, 1))
    return book


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_disclosure_page_fits_and_draws_its_charts(page, live_server, months, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/disclosure/")
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("#figure-overdue_90_count td").inner_text().strip() == "2"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    hidden = page.evaluate(
        """() => [...document.querySelectorAll('main td, main th')].filter(c => {
            const r = c.getBoundingClientRect();
            const box = c.closest('.table-scroll');
            const right = box ? box.getBoundingClientRect().right : window.innerWidth;
            return r.width && r.right > right + 1 && !box;
        }).map(c => c.innerText.slice(0, 30))"""
    )
    assert hidden == []
    _shot(page, f"disclosure-{width}")
    page.goto(f"{live_server.url}/")
    assert page.locator(".stats-headline").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    _shot(page, f"home-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_drill_down_as_a_regulator(page, page_login, live_server, months, make_user, width):
    page_login(make_user("regulator"))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/disclosure/statistics/2026-06/overdue_amount/loans")
    rows = page.locator("#drilldown-loans tbody tr")
    assert rows.count() == 4
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    _shot(page, f"drilldown-{width}")
