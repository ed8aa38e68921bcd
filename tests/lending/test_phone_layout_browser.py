"""Phone layout, in Chromium at 390 px: no page with a table scrolls sideways, and no table
hides its key columns off-screen (on a phone each row is a card, every cell labelled with its
column); the marketplace filters fold away above the list; the navigation fits one row or a
menu. Screenshots of every page at 1280 and 390 px go to $LAYOUT_SHOTS_DIR."""

import os
from datetime import timedelta
from decimal import Decimal as D

import pytest

from lending.business_date import business_date
from lending.services.applications import application_review
from lending.services.disbursements import disbursement_start
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.conftest import submit_application
from tests.lending.factories import AutoInvestRuleFactory, LoanFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("LAYOUT_SHOTS_DIR", "/tmp/shots-layout")
PHONE = 390

INVESTOR_PAGES = [
    "/marketplace/",
    "/invest/portfolio/",
    "/invest/auto/",
    "/wallet/",
    "/wallet/history",
    "/accounts/sessions/",  # allauth's table of signed-in devices
]
BORROWER_PAGES = [
    "/borrow/applications/",
    "/borrow/loans/",
    "/borrow/loans/{loan}/",
    "/borrow/apply/",
]


@pytest.fixture
def world(make_user, onboarding, product):
    """An investor holding several loans (one repaying), with an auto-invest rule and wallet
    history; a borrower with applications, a repaying loan and its schedule."""
    investor = fund(onboarding.investor(make_user("investor")), "90000.00")
    borrower = onboarding.borrower(make_user("borrower"))
    others = [onboarding.borrower(make_user("borrower")) for _ in range(6)]
    loans = [
        LoanFactory(
            borrower=other,
            product=product,
            amount=D("120000.00"),
            grade="BCDEAB"[n],
            term_months=24,
            purpose="home_improvement",
            funding_deadline_on=business_date() + timedelta(days=n + 1),
        )
        for n, other in enumerate(others)
    ]
    for n, loan in enumerate(loans[:4]):
        investment_place(
            investor=investor, loan_id=loan.pk, amount=D("1200"), idempotency_key=f"w{n}"
        )
    AutoInvestRuleFactory(investor=investor, grades=["A", "B", "C"], amount_per_loan=D("500"))
    # The borrower's own repaying loan, funded by the investor and paid out.
    own = LoanFactory(borrower=borrower, product=product, amount=D("12000.00"), term_months=12)
    investment_place(investor=investor, loan_id=own.pk, amount=D("12000"), idempotency_key="own")
    disbursement_start(loan_id=own.pk, maker=make_user("operations"))
    application_review(application_id=submit_application(borrower, product).id)
    return {"investor": investor, "borrower": borrower, "loan": own}


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def _hidden_cells(page) -> list[str]:
    """Table cells whose right edge lies beyond the viewport or beyond their scroll box."""
    return page.evaluate(
        """() => {
        const out = [];
        for (const cell of document.querySelectorAll('main td, main th')) {
          const r = cell.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          if (r.right > window.innerWidth + 1 || r.left < -1) out.push(cell.innerText.slice(0, 40));
        }
        return out;
      }"""
    )


def _visit(page, url: str, name: str) -> None:
    for width in (1280, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.screenshot(path=f"{SHOTS}/{name}_{width}.png", full_page=True)
    assert _overflow(page) <= PHONE, f"{url}: {_overflow(page)} px wide at {PHONE} px"
    hidden = _hidden_cells(page)
    assert not hidden, f"{url}: cells off-screen at {PHONE} px: {hidden[:5]}"


@pytest.mark.parametrize("role", ["investor", "borrower"])
def test_no_page_with_a_table_scrolls_sideways_on_a_phone(page_login, live_server, world, role):
    os.makedirs(SHOTS, exist_ok=True)
    page = page_login(world[role])
    paths = INVESTOR_PAGES if role == "investor" else BORROWER_PAGES
    for path in paths:
        url = f"{live_server.url}{path.format(loan=world['loan'].pk)}"
        name = f"{role}_{path.strip('/').replace('/', '_').replace('{loan}', 'detail') or 'home'}"
        _visit(page, url, name)
    # A loan's page (disclosure, the investor's stake).
    _visit(page, f"{live_server.url}/marketplace/{world['loan'].pk}/", f"{role}_loan_page")


def test_on_a_phone_table_rows_are_labelled_cards(page_login, live_server, world):
    page = page_login(world["investor"])
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(f"{live_server.url}/invest/portfolio/")
    labels = page.evaluate(
        """() => [...document.querySelectorAll('main tbody tr:first-child td')]
            .map(td => getComputedStyle(td, '::before').content)"""
    )
    assert any("Loan" in label for label in labels), labels
    assert any("Amount" in label for label in labels), labels


def test_marketplace_filters_fold_away_above_the_list_on_a_phone(page_login, live_server, world):
    page = page_login(world["investor"])
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(f"{live_server.url}/marketplace/")
    details = page.locator("details.filters-fold")
    assert details.count() == 1
    assert details.evaluate("d => !d.open")  # folded on a phone
    list_top = page.evaluate(
        "document.querySelector('main table, main .loan-cards').getBoundingClientRect().top"
    )
    assert list_top < 900, "the list starts below the first screen"
    details.locator("summary").click()
    assert details.evaluate("d => d.open")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/marketplace/")
    assert page.locator("details.filters-fold").evaluate("d => d.open")  # open on a desktop


@pytest.mark.parametrize("role", ["investor", "borrower", "reviewer", "regulator"])
def test_navigation_fits_one_row_or_a_menu_on_a_phone(page_login, live_server, make_user, role):
    page = page_login(make_user(role))
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(f"{live_server.url}/dashboard/")
    page.screenshot(path=f"{SHOTS}/nav_{role}_{PHONE}.png")
    # One row: every visible item of the header sits on the brand's line.
    tops = page.evaluate(
        """() => [...document.querySelectorAll('.site-header nav > ul > li')]
            .filter(li => li.offsetParent !== null)
            .map(li => Math.round(li.getBoundingClientRect().top))"""
    )
    assert len(tops) >= 2 and max(tops) - min(tops) <= 12, tops
    assert _overflow(page) <= PHONE
    menu = page.locator(".site-header details.nav-menu")
    if menu.count():
        menu.locator("summary").click()
        assert page.locator(".site-header details.nav-menu a").first.is_visible()
