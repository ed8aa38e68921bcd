"""An enterprise borrower's apply page and an enterprise loan's disclosure in Chromium."""

import os
from decimal import Decimal as D

import pytest

from lending.services.listings import loan_disclosure
from tests.lending.factories import LoanFactory
from tests.lending.test_enterprise_borrowers import make_borrower

SHOTS = os.environ.get("LENDING_SHOTS_DIR", "/tmp/shots-lending")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enterprise_apply_page_and_loan_disclosure(page_login, live_server, make_user, product):
    os.makedirs(SHOTS, exist_ok=True)
    company = make_borrower(make_user, enterprise=True, other=D("4300000"))
    page = page_login(company)
    page.goto(f"{live_server.url}/borrow/apply/")
    caps = page.inner_text("#borrowing-caps")
    assert "As a company" in caps and "1,000,000" in caps and "5,000,000" in caps
    assert "700,000.00" in page.inner_text("main")  # 5,000,000 - 4,300,000 elsewhere
    page.screenshot(path=f"{SHOTS}/enterprise_apply.png", full_page=True)

    loan = LoanFactory(borrower=company, product=product, amount=D("150000.00"))
    loan.disclosure = loan_disclosure(loan.application)
    loan.save(update_fields=["disclosure"])
    page = page_login(make_user("investor"))
    page.goto(f"{live_server.url}/marketplace/{loan.pk}/")
    text = page.inner_text("main")
    assert "(enterprise)" in text and company.enterprise.credit_code_masked in text
    assert "Legal representative" in text and "Monthly revenue" in text
    page.screenshot(path=f"{SHOTS}/enterprise_loan_detail.png", full_page=True)
