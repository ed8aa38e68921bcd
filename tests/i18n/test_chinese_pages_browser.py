"""The main pages in Simplified Chinese, in Chromium at 1280 and 390 px: chosen with the
footer's switch (investor), kept on the account (borrower) or asked for by the browser
(a visitor); every page is in Chinese and none scrolls sideways on a phone (Chinese text has
no spaces to break at; it must still wrap). Needs a CJK font (fonts-wqy-zenhei) to render the
glyphs; screenshots go to $LAYOUT_SHOTS_DIR."""

import os
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest

from lending.business_date import business_date
from lending.services.applications import application_review
from lending.services.disbursements import disbursement_start
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.conftest import submit_application
from tests.lending.factories import LoanFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("LAYOUT_SHOTS_DIR", "/tmp/shots-layout")
PHONE = 390
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def world(make_user, onboarding, product):
    investor = fund(onboarding.investor(make_user("investor")), "90000.00")
    borrower = onboarding.borrower(make_user("borrower"))
    open_loan = LoanFactory(
        borrower=onboarding.borrower(make_user("borrower")),
        product=product,
        amount=D("120000.00"),
        grade="B",
        term_months=24,
        purpose="home_improvement",
        funding_deadline_on=business_date() + timedelta(days=5),
    )
    investment_place(investor=investor, loan_id=open_loan.pk, amount=D("1200"), idempotency_key="o")
    own = LoanFactory(borrower=borrower, product=product, amount=D("12000.00"), term_months=12)
    investment_place(investor=investor, loan_id=own.pk, amount=D("12000"), idempotency_key="own")
    disbursement_start(loan_id=own.pk, maker=make_user("operations"))
    application_review(application_id=submit_application(borrower, product).id)
    return {"investor": investor, "borrower": borrower, "open": open_loan, "own": own}


def _walk(page, base: str, paths: list[str], name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    for path in paths:
        for width in (1280, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + path)
            slug = path.strip("/").replace("/", "_") or "home"
            page.screenshot(path=f"{SHOTS}/zh_{name}_{slug}_{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.lang") == "zh-Hans", path
        heading = page.locator("main h1").first.inner_text()
        assert HAN.search(heading), f"{path}: heading not in Chinese: {heading!r}"
        wide = page.evaluate("document.scrollingElement.scrollWidth")
        assert wide <= PHONE, f"{path}: {wide} px wide at {PHONE} px"
        # Nothing sticks out of its box either (a long unbroken line inside a card).
        sticking_out = page.evaluate(
            """() => [...document.querySelectorAll('main *')].filter(e => {
                 const r = e.getBoundingClientRect();
                 return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1);
               }).map(e => e.tagName + ' ' + e.innerText.slice(0, 30)).slice(0, 5)"""
        )
        assert not sticking_out, f"{path}: off-screen at {PHONE} px: {sticking_out}"


def test_an_investor_switches_to_chinese_and_every_page_fits_a_phone(
    page_login, live_server, world
):
    page = page_login(world["investor"])
    page.goto(f"{live_server.url}/dashboard/")
    page.locator(".language-switch button[value='zh-hans']").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator("main h1").inner_text().startswith("欢迎")
    world["investor"].refresh_from_db()
    assert world["investor"].language == "zh-hans"
    _walk(
        page,
        live_server.url,
        [
            "/dashboard/",
            "/marketplace/",
            f"/marketplace/{world['open'].pk}/",
            "/invest/portfolio/",
            "/invest/auto/",
            "/wallet/",
            "/wallet/history",
            "/notifications/",
            "/settings/",
        ],
        "investor",
    )


def test_a_borrowers_stored_language_shows_every_page_in_chinese(page_login, live_server, world):
    borrower = world["borrower"]
    borrower.language = "zh-hans"
    borrower.save(update_fields=["language"])
    page = page_login(borrower)
    own = world["own"].pk
    _walk(
        page,
        live_server.url,
        [
            "/dashboard/",
            "/borrow/apply/",
            "/borrow/applications/",
            "/borrow/loans/",
            f"/borrow/loans/{own}/",
            f"/borrow/loans/{own}/repay/",
        ],
        "borrower",
    )


def test_a_visitor_whose_browser_asks_for_chinese_gets_it(_chromium, live_server, world):
    context = _chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _walk(
            page,
            live_server.url,
            ["/", "/accounts/login/", "/accounts/signup/", f"/marketplace/{world['open'].pk}/"],
            "visitor",
        )
        # The switch takes them back to English, and English stays.
        page.locator(".language-switch button[value='en']").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == "en"
        page.goto(f"{live_server.url}/")
        assert "Open an account" in page.locator("main").inner_text()
    finally:
        context.close()
