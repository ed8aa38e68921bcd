"""The final offer in Chromium at 1280 and 390 px: the borrower finds the offer, accepts it
and downloads the agreement; an investor with a ticket downloads the same document."""

import hashlib
import os
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.utils import timezone

from lending.models import Loan, LoanAgreement
from lending.services.investments import investment_place
from lending.services.offers import offer_accept
from tests.lending.test_offers import offered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]
# Screenshots for a person to look at (test-artifacts/ is not committed).
SHOTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") == width


@pytest.mark.parametrize("width", WIDTHS)
def test_borrower_accepts_the_offer_and_downloads_the_agreement(
    page_login, live_server, borrower, product, width
):
    application = offered(borrower, product)
    page = page_login(borrower)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/borrow/applications/")
    page.click("text=See the offer")
    page.wait_for_selector("h1:has-text('Your loan offer')")
    main = page.inner_text("main")
    assert f"{application.offer_apr * 100:.2f}%" in main and "9,800.00" in main
    _fits(page, width)
    _shot(page, f"offer-{width}")
    page.click("button[data-action=accept]")  # the box is not ticked: the browser stops it
    assert not Loan.objects.exists()
    page.check("input[name=confirm]")
    page.click("button[data-action=accept]")
    page.wait_for_selector("text=Offer accepted")
    loan = Loan.objects.get(application=application)
    assert loan.reference in page.inner_text("h1")
    _fits(page, width)
    _shot(page, f"offer-accepted-{width}")
    with page.expect_download() as download:
        page.click("a[data-action=agreement]")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    (SHOTS / f"agreement-{width}.pdf").write_bytes(pdf)
    assert hashlib.sha256(pdf).hexdigest() == LoanAgreement.objects.get(loan=loan).sha256


@pytest.mark.parametrize("width", WIDTHS)
def test_an_investor_with_a_ticket_downloads_the_same_agreement(
    page_login, live_server, borrower, product, investor, width
):
    application = offered(borrower, product)
    offer_accept(application_id=application.pk, borrower=borrower)
    loan = Loan.objects.get(application=application)
    Loan.objects.filter(pk=loan.pk).update(auto_invest_done_at=timezone.now())
    investment_place(investor=investor, loan_id=loan.pk, amount=D("500"), idempotency_key="b1")
    page = page_login(investor)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/marketplace/{loan.pk}/")
    _fits(page, width)
    with page.expect_download() as download:
        page.click("a[data-action=agreement]")
    pdf = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == LoanAgreement.objects.get(loan=loan).sha256
