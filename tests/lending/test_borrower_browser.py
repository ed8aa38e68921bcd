"""The borrower repays in Chromium at desktop and phone widths: my loans, the repay page, the
confirm step, and the loan page after; nothing widens the page. Set SCREENSHOTS_DIR to keep
a screenshot of each page."""

import os
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from lending.business_date import business_date_set
from lending.models import Installment, Loan, Repayment
from tests.lending.servicing import repaying_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") == width


def _shot(page, name):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.mark.parametrize("size", WIDTHS)
def test_repay_what_is_due_with_confirm(
    page_login, live_server, make_user, onboarding, product, size
):
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="2000.00")
    second = loan.installments.get(number=2)
    # A month on: the first installment overdue with its late charges, the second due today.
    business_date_set(on=second.due_on)
    Installment.objects.filter(loan=loan, number=1).update(
        status="overdue", late_fee_amount=D("50.00"), penalty_amount=D("8.88")
    )
    Loan.objects.filter(pk=loan.pk).update(days_past_due=31, delinquency_bucket="31-60")
    width, height = WIDTHS[size]
    page = page_login(loan.borrower)
    page.set_viewport_size({"width": width, "height": height})

    page.goto(f"{live_server.url}/dashboard/")
    assert "Principal outstanding" in page.inner_text("#borrower-money")
    _fits(page, width)
    _shot(page, f"dashboard-{size}")

    page.goto(f"{live_server.url}/borrow/loans/")
    card = page.locator(f"article[data-loan='{loan.reference}']")
    due = loan.installments.get(number=1).total_amount + D("58.88") + second.total_amount
    assert f"{due:,.2f}" in card.inner_text()
    assert "31 days late" in card.inner_text()
    _fits(page, width)
    _shot(page, f"borrowing-list-{size}")

    card.locator("a[role=button]", has_text="Pay").click()
    page.wait_for_selector("text=How much would you like to pay?")
    assert page.is_checked("input[name=choice][value=due]")
    assert "Paying off today" in page.inner_text("main")
    _fits(page, width)
    _shot(page, f"borrowing-repay-{size}")

    page.click("button:has-text('Review repayment')")
    page.wait_for_selector("text=Confirm your repayment")
    _fits(page, width)
    _shot(page, f"borrowing-repay-confirm-{size}")
    page.click(f"button:has-text('Pay {due:,.2f}')")

    page.wait_for_selector(f"text=You paid {due:,.2f}")
    assert Repayment.objects.get(loan=loan).amount == due
    statuses = dict(loan.installments.values_list("number", "status"))
    assert statuses[1] == "paid_late" and statuses[2] == "paid"
    assert page.locator("[data-installment='1'][data-status='paid_late']").count() == 1
    _fits(page, width)
    _shot(page, f"borrowing-detail-{size}")


@pytest.mark.parametrize("size", WIDTHS)
def test_pay_off_and_the_authorisation_page_fit(
    page_login, live_server, make_user, onboarding, product, size
):
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="2000.00")
    business_date_set(on=loan.installments.get(number=1).due_on + timedelta(days=9))
    width, height = WIDTHS[size]
    page = page_login(loan.borrower)
    page.set_viewport_size({"width": width, "height": height})

    page.goto(f"{live_server.url}/borrow/loans/{loan.pk}/authorisation/")
    _fits(page, width)
    _shot(page, f"borrowing-authorisation-{size}")
    page.click("button:has-text('I authorise automatic repayment')")
    page.wait_for_selector("text=Automatic repayment is on.")

    page.goto(f"{live_server.url}/borrow/loans/{loan.pk}/repay/")
    page.click("label.repay-choice:has(input[value=all])")
    page.click("button:has-text('Review repayment')")
    page.wait_for_selector("text=pays the loan off")
    _fits(page, width)
    page.click("button[data-action=pay]")
    page.wait_for_selector("text=This loan is closed.")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    _fits(page, width)
    _shot(page, f"borrowing-closed-{size}")

    page.goto(f"{live_server.url}/dashboard/")
    _fits(page, width)
