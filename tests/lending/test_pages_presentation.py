"""How customer pages present themselves: error pages in the site layout, amounts with their
currency, wallet entries in words, and nothing wider than a 390 px phone."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.template import loader
from django.test import RequestFactory

from core import handlers as errors
from custody.services import funds_reserve
from lending.business_date import business_date
from lending.models import Installment, Loan
from tests.lending.factories import AutoInvestRuleFactory, LoanFactory

LAYOUT_MARKER = 'class="site-header"'  # base.html's header: the page is in the site layout

ENTERPRISE_DISCLOSURE = {
    "borrower": {
        "kind": "enterprise",
        "name": "Hangzhou Xin******* Packaging Co., Ltd.",
        "credit_code": "9133**********0266",
        "legal_representative": "Wang *",
        "registered_address": "Building 7, Xixi Science and Technology Park, Hangzhou****",
        "monthly_revenue_band": "200,000-1,000,000",
    },
    "credit_report": {
        "overdue_records_6m": 1,
        "court_judgments_2y": 0,
        "tax_credit_rating": "A",
        "other_platform_borrowing": "0.00",
        "other_platform_count": 0,
    },
    "purpose_detail": "Working capital for a second corrugated-board line.",
}


@pytest.fixture
def no_debug(settings):
    settings.DEBUG = False


# --- error pages --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("no_debug")
@pytest.mark.parametrize("path", ["/no-such-page/", "/marketplace/99999/"])
def test_not_found_pages_use_the_site_layout(client, path):
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 404
    assert LAYOUT_MARKER in html and "We can't find that page" in html
    assert 'href="/"' in html  # a way home


@pytest.mark.django_db
@pytest.mark.usefixtures("no_debug")
def test_investor_on_a_borrower_page_gets_a_403_in_the_site_layout(client, make_user):
    client.force_login(make_user("investor"))
    response = client.get("/borrow/apply/")
    html = response.content.decode()
    assert response.status_code == 403
    assert LAYOUT_MARKER in html and "isn't available to your account" in html
    assert 'href="/dashboard/"' in html


@pytest.mark.django_db
@pytest.mark.usefixtures("no_debug")
def test_bad_request_page_uses_the_site_layout_without_a_request(client):
    response = errors.bad_request(RequestFactory().get("/wallet/"), Exception("too large"))
    html = response.content.decode()
    assert response.status_code == 400
    assert LAYOUT_MARKER in html and "couldn't read that request" in html


@pytest.mark.django_db
def test_server_error_page_is_standalone(django_assert_max_num_queries):
    """The 500 page renders with no request, no context processors and no database."""
    with django_assert_max_num_queries(0):
        html = loader.get_template("500.html").render()
        response = errors.api_server_error(RequestFactory().get("/wallet/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Something went wrong on our side" in html and 'href="/"' in html
    assert "<link" not in html  # no stylesheet to fail: its style is inline


# --- words and currency -------------------------------------------------------------------


@pytest.mark.django_db
def test_wallet_history_names_movements_and_counts_them(client, investor):
    funds_reserve(
        user_id=investor.pk, amount=D("300.00"), idempotency_key="k1", memo="Investing in LN1"
    )
    client.force_login(investor)
    html = client.get("/wallet/history").content.decode()
    assert ">Reserved for LN1<" in html and ">Deposit from your bank card<" in html
    assert ">reserve<" not in html and ">deposit<" not in html
    # One line per movement: the reservation's two legs are one line.
    assert "2 movements" in html and "postings" not in html and "entries" not in html
    assert "CNY" in html


@pytest.mark.django_db
def test_wallet_movements_show_no_truncated_references(client, investor):
    from custody.services.movements import deposit_request

    deposit = deposit_request(user=investor, amount=D("100.00"), request_key="dep-1")
    client.force_login(investor)
    html = client.get("/wallet/").content.decode()
    assert "Deposits and withdrawals" in html
    assert str(deposit.reference)[:8] not in html


@pytest.mark.django_db
def test_loan_pages_show_amounts_with_the_currency(client, investor, product, borrower):
    loan = LoanFactory(borrower=borrower, product=product, amount=D("10000.00"))
    client.force_login(investor)
    detail = client.get(f"/marketplace/{loan.pk}/").content.decode()
    assert '10,000.00<span class="cur">CNY</span>' in detail
    market = client.get("/marketplace/").content.decode()
    assert 'Left <span class="cur">CNY</span>' in market


@pytest.mark.django_db
def test_borrower_without_loans_is_offered_to_apply(client, borrower):
    client.force_login(borrower)
    html = client.get("/borrow/loans/").content.decode()
    assert "You have no loans yet" in html and 'href="/borrow/apply/"' in html


@pytest.mark.django_db
def test_applications_page_says_how_much_more_can_be_borrowed(client, borrower, product):
    LoanFactory(borrower=borrower, product=product)
    client.force_login(borrower)
    html = client.get("/borrow/applications/").content.decode()
    assert "You can still borrow" in html and "headroom" not in html


@pytest.mark.django_db
def test_notifications_without_any_show_an_empty_state(client, make_user):
    client.force_login(make_user("investor"))
    html = client.get("/notifications/").content.decode()
    assert "No notifications yet" in html
    assert "0 in all" not in html and "All read" not in html


@pytest.mark.django_db
def test_account_pages_use_sentence_case(client, make_user):
    client.force_login(make_user("investor"))
    email = client.get("/accounts/email/").content.decode()
    assert "Email addresses" in email and "Email Addresses" not in email
    assert "Make primary" in email and "Add Email" not in email
    sessions = client.get("/accounts/sessions/").content.decode()
    assert "Started" in sessions and "Started At" not in sessions and "IP Address" not in sessions
    client.logout()
    login = client.get("/accounts/login/").content.decode()
    assert "Remember me" in login and "Remember Me" not in login


# --- phones -------------------------------------------------------------------------------


@pytest.fixture
def phone_data(borrower, investor, product):
    """What makes pages wide: a repaying loan with its schedule, an enterprise disclosure with
    masked codes, an auto-invest rule, and wallet entries with memos."""
    loan = LoanFactory(
        borrower=borrower,
        product=product,
        amount=D("120000.00"),
        term_months=12,
        status=Loan.Status.REPAYING,
        disbursed_on=business_date(),
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            number=n,
            due_on=business_date() + timedelta(days=30 * n),
            principal_amount=D("10000.00"),
            interest_amount=D("1000.00") - n,
        )
        for n in range(1, 13)
    )
    listed = LoanFactory(
        borrower=borrower, product=product, amount=D("600000.00"), disclosure=ENTERPRISE_DISCLOSURE
    )
    AutoInvestRuleFactory(
        investor=investor,
        grades=["A", "B", "C"],
        min_term_months=3,
        max_term_months=24,
        min_rate=D("0.06"),
        max_rate=D("0.12"),
        amount_per_loan=D("100.00"),
        keep_cash_amount=D("1000.00"),
        is_active=False,
    )
    funds_reserve(
        user_id=investor.pk,
        amount=D("1000.00"),
        idempotency_key="phone-reserve",
        memo=f"Investing in {listed.reference}",
    )
    return {"borrowing": loan, "listed": listed}


PHONE_PAGES = [
    ("borrower", "/borrow/loans/{borrowing}/"),
    ("borrower", "/borrow/loans/"),
    ("borrower", "/borrow/applications/"),
    ("investor", "/marketplace/{listed}/"),
    ("investor", "/invest/auto/"),
    ("investor", "/invest/portfolio/"),
    ("investor", "/accounts/email/"),
    ("investor", "/accounts/sessions/"),
    ("investor", "/wallet/"),
    ("investor", "/wallet/history"),
    ("investor", "/no-such-page/"),
    ("investor", "/borrow/apply/"),  # the 403 page
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("who", "path"), PHONE_PAGES)
def test_pages_are_no_wider_than_a_phone(
    page_login, live_server, borrower, investor, phone_data, who, path
):
    page = page_login(borrower if who == "borrower" else investor)
    page.set_viewport_size({"width": 390, "height": 844})
    url = path.format(borrowing=phone_data["borrowing"].pk, listed=phone_data["listed"].pk)
    page.goto(f"{live_server.url}{url}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wide_tables = page.evaluate(
        "[...document.querySelectorAll('main table')].filter(t => t.scrollWidth > 390).length"
    )
    if wide_tables:  # a table wider than the phone scrolls inside its own box
        assert page.evaluate(
            "[...document.querySelectorAll('main table')].every(t => "
            "['auto', 'scroll'].includes(getComputedStyle(t.parentElement).overflowX))"
        )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_layout_aligns_brand_and_tabs_with_the_content(page_login, live_server, investor):
    page = page_login(investor)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/invest/portfolio/")
    left = page.evaluate(
        "s => Math.round(document.querySelector(s).getBoundingClientRect().left)", ".brand-mark"
    )
    tab = page.evaluate(
        "s => Math.round(document.querySelector(s).getBoundingClientRect().left)", ".subnav a"
    )
    content = page.evaluate(
        "s => Math.round(document.querySelector(s).getBoundingClientRect().left)", "main h1"
    )
    assert left == tab == content > 0
