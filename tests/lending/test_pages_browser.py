"""Lending pages in Chromium: the live schedule preview (htmx) and investing with confirmation."""

from decimal import Decimal as D

import pytest

from lending.models import Investment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_preview_updates_as_the_borrower_types(page_login, live_server, borrower, product):
    product.rates_by_grade = {"C": "0.12"}
    product.save()
    page = page_login(borrower)
    page.goto(f"{live_server.url}/borrow/apply/")
    page.fill("input[name=amount]", "10000")
    page.select_option("select[name=term_months]", "12")
    page.wait_for_selector("#schedule-preview:has-text('888.47')")
    assert "888.49" in page.inner_text("#schedule-preview")
    page.fill("input[name=amount]", "12000")
    page.wait_for_selector("#schedule-preview:has-text('12,000.00')")


def test_invest_through_the_confirmation_page(page_login, live_server, investor, open_loan):
    page = page_login(investor)
    page.goto(f"{live_server.url}/marketplace/{open_loan.pk}/")
    assert "Risk warning" in page.inner_text("main")
    page.fill("input[name=amount]", "300")
    page.click("text=Review investment")
    page.wait_for_selector("text=Confirm your investment")
    page.click("button:has-text('Invest 300.00')")
    page.wait_for_selector("text=My investments")
    assert open_loan.reference in page.inner_text("main")
    assert Investment.objects.get(investor=investor).amount == D("300.00")


@pytest.mark.parametrize("path", ["/marketplace/", "/dashboard/", "/notifications/"])
def test_pages_fit_a_phone_without_scrolling_sideways(
    page_login, live_server, investor, open_loan, path
):
    """At 390 px the navigation folds into a menu and the loan table becomes labelled
    cards: nothing widens the page (tests/lending/test_phone_layout_browser.py has more)."""
    page = page_login(investor)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    if path == "/marketplace/":
        assert open_loan.reference in page.inner_text("main")
        assert page.locator("table.is-stacked").count() == 1  # rows as cards on a phone
