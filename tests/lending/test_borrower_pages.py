"""The borrower's servicing pages through the Django client: my loans with what is due, the
loan page's schedule states and history, repaying with a confirm step (a double submit pays
once), refusals as form errors that move nothing, and the standing authorisation."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from custody.models import JournalEntry
from custody.services import funds_reserve
from lending.business_date import business_date_set
from lending.models import Installment, Loan, Repayment, RepaymentAuthorisation
from lending.services.repayments import repayment_make
from tests.custody.test_wallet_pages import PAGE_BAD_AMOUNTS
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(make_user, onboarding, product):
    """A 10,000.00 loan over 12 months at 12%, on the business date of its first due date,
    the borrower holding 2,000.00 besides the net amount received."""
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="2000.00")
    business_date_set(on=loan.installments.get(number=1).due_on)
    return loan


@pytest.fixture
def borrower_client(client, loan):
    client.force_login(loan.borrower)
    client.raise_request_exception = False
    return client


def _state(loan):
    """What a refusal must leave as it was: ledger entries, repayments, installments."""
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        list(
            Installment.objects.filter(loan=loan)
            .order_by("number")
            .values_list("status", "paid_principal_amount", "paid_interest_amount")
        ),
        available(loan.borrower),
    )


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_my_loans_shows_due_now_next_payment_and_delinquency(borrower_client, loan):
    first = loan.installments.get(number=1)
    Loan.objects.filter(pk=loan.pk).update(days_past_due=0)
    html = borrower_client.get("/borrow/loans/").content.decode()
    assert loan.reference in html
    due = f"{first.total_amount:,.2f}"
    assert f'<strong class="due-now">{due}' in html
    assert f'<strong class="next-payment">{due}' in html  # due today is the next payment
    assert "On time" in html
    # Lateness (the daily batch's days past due) shows while something is overdue.
    Loan.objects.filter(pk=loan.pk).update(days_past_due=12, delinquency_bucket="1-30")
    assert "days late" not in borrower_client.get("/borrow/loans/").content.decode()
    business_date_set(on=first.due_on + timedelta(days=12))
    html = borrower_client.get("/borrow/loans/").content.decode()
    assert "12 days late" in html
    assert f"{first.total_amount:,.2f} overdue" in html


def test_my_loans_reads_a_page_of_loans_in_bounded_queries(
    borrower_client, loan, make_user, onboarding, product
):
    with CaptureQueriesContext(connection) as one:
        assert borrower_client.get("/borrow/loans/").status_code == 200
    from tests.lending.factories import LoanFactory

    for _ in range(5):
        LoanFactory(borrower=loan.borrower, product=product)
    with CaptureQueriesContext(connection) as six:
        assert borrower_client.get("/borrow/loans/").status_code == 200
    assert len(six) == len(one)


def test_loan_page_shows_each_state_late_charges_and_history(borrower_client, loan):
    first, second, third = loan.installments.order_by("number")[:3]
    business_date_set(on=second.due_on + timedelta(days=20))
    repayment_make(
        loan_id=loan.pk,
        borrower=loan.borrower,
        amount=first.total_amount,
        idempotency_key="first",
    )  # the first, as if on time
    Installment.objects.filter(pk=first.pk).update(status="paid")
    # The daily batch's doing: the second overdue with its late fee and penalty interest.
    Installment.objects.filter(pk=second.pk).update(
        status="overdue", late_fee_amount=D("50.00"), penalty_amount=D("12.34")
    )
    Loan.objects.filter(pk=loan.pk).update(days_past_due=20, delinquency_bucket="1-30")
    html = borrower_client.get(f"/borrow/loans/{loan.pk}/").content.decode()
    assert 'data-installment="1" data-status="paid"' in html
    assert 'data-installment="2" data-status="overdue"' in html
    assert 'data-installment="3" data-status="scheduled"' in html
    assert "50.00" in html and "12.34" in html
    overdue = second.total_amount + D("62.34")
    assert f"{overdue:,.2f} {loan.currency} is overdue (20 days late)" in html
    assert 'id="hardship"' in html  # the spot the hardship request takes
    assert "You paid" in html and f"{first.total_amount:,.2f}" in html  # the history
    assert third.due_on.isoformat() in html


def test_repay_what_is_due_through_review_and_confirm_pays_once(borrower_client, loan):
    first = loan.installments.get(number=1)
    page = borrower_client.get(f"/borrow/loans/{loan.pk}/repay/")
    assert page.status_code == 200
    review = borrower_client.post(f"/borrow/loans/{loan.pk}/repay/", {"choice": "due"})
    assert review.status_code == 200
    html = review.content.decode()
    assert "Confirm your repayment" in html
    assert f"Pay {first.total_amount:,.2f}" in html
    assert not Repayment.objects.exists()  # reviewing moves nothing
    before = available(loan.borrower)
    confirm = {
        "choice": "due",
        "amount": str(first.total_amount),
        "confirmed": "True",
        "idempotency_key": _key(html),
    }
    for _ in range(2):  # a double submit
        response = borrower_client.post(f"/borrow/loans/{loan.pk}/repay/", confirm)
        assert response.status_code == 302
        assert response["Location"] == f"/borrow/loans/{loan.pk}/"
    repayment = Repayment.objects.get()
    assert repayment.amount == first.total_amount
    assert available(loan.borrower) == before - first.total_amount
    first.refresh_from_db()
    assert first.status == "paid"
    followed = borrower_client.get(f"/borrow/loans/{loan.pk}/").content.decode()
    assert f"You paid {first.total_amount:,.2f} {loan.currency}" in followed
    assert_ledger_holds()


def test_pay_off_through_the_page_closes_the_loan(borrower_client, loan):
    business_date_set(on=loan.installments.get(number=1).due_on + timedelta(days=10))
    page = borrower_client.get(f"/borrow/loans/{loan.pk}/repay/").content.decode()
    assert "Prepayment fee" in page and "Paying off today" in page
    review = borrower_client.post(f"/borrow/loans/{loan.pk}/repay/", {"choice": "all"})
    html = review.content.decode()
    assert "pays the loan off" in html
    amount = re.search(r'name="amount" value="([^"]+)"', html).group(1)
    response = borrower_client.post(
        f"/borrow/loans/{loan.pk}/repay/",
        {"choice": "all", "amount": amount, "confirmed": "True", "idempotency_key": _key(html)},
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert Repayment.objects.get().is_payoff
    statuses = set(loan.installments.values_list("status", flat=True))
    assert statuses == {"paid", "cancelled"}
    html = borrower_client.get(f"/borrow/loans/{loan.pk}/").content.decode()
    assert "This loan is closed." in html and 'data-status="cancelled"' in html
    assert_ledger_holds()


def test_a_stale_payoff_figure_is_reviewed_again_not_paid(borrower_client, loan):
    review = borrower_client.post(f"/borrow/loans/{loan.pk}/repay/", {"choice": "all"})
    html = review.content.decode()
    amount = re.search(r'name="amount" value="([^"]+)"', html).group(1)
    business_date_set(on=loan.installments.get(number=1).due_on + timedelta(days=3))
    before = _state(loan)
    response = borrower_client.post(
        f"/borrow/loans/{loan.pk}/repay/",
        {"choice": "all", "amount": amount, "confirmed": "True", "idempotency_key": _key(html)},
    )
    assert response.status_code == 409
    assert "Review it again" in response.content.decode()
    assert _state(loan) == before


@pytest.mark.parametrize("amount", PAGE_BAD_AMOUNTS)
def test_bad_amounts_on_the_page_are_form_errors_and_move_nothing(borrower_client, loan, amount):
    before = _state(loan)
    response = borrower_client.post(
        f"/borrow/loans/{loan.pk}/repay/", {"choice": "other", "amount": amount}
    )
    assert response.status_code == 400
    assert 'id="amount-error"' in response.content.decode()
    confirmed = borrower_client.post(
        f"/borrow/loans/{loan.pk}/repay/",
        {"choice": "other", "amount": amount, "confirmed": "True", "idempotency_key": "k-1"},
    )
    assert confirmed.status_code == 400
    assert _state(loan) == before


@pytest.mark.parametrize(
    ("post", "status", "text"),
    [
        ({"choice": "other", "amount": "999999.00"}, 400, "Paying the whole loan off today"),
        ({"choice": "bogus"}, 400, "choice-error"),
        ({}, 400, "choice-error"),
        ({"choice": "due", "confirmed": "True"}, 400, "review the repayment again"),
        ({"choice": "due", "confirmed": "True", "idempotency_key": "x y"}, 400, "repay-errors"),
    ],
)
def test_refused_choices_are_form_errors(borrower_client, loan, post, status, text):
    before = _state(loan)
    response = borrower_client.post(f"/borrow/loans/{loan.pk}/repay/", post)
    assert response.status_code == status
    assert text in response.content.decode()
    assert _state(loan) == before


def test_above_the_payoff_when_confirmed_is_refused_by_the_service(borrower_client, loan):
    before = _state(loan)
    response = borrower_client.post(
        f"/borrow/loans/{loan.pk}/repay/",
        {"choice": "other", "amount": "99999.00", "confirmed": "True", "idempotency_key": "k"},
    )
    assert response.status_code == 400
    assert "more than that" in response.content.decode()
    assert _state(loan) == before


def test_a_short_wallet_is_told_before_confirming(borrower_client, loan):
    funds_reserve(user_id=loan.borrower_id, amount=D("5000.00"), idempotency_key="elsewhere")
    before = _state(loan)
    response = borrower_client.post(
        f"/borrow/loans/{loan.pk}/repay/", {"choice": "other", "amount": "9000.00"}
    )
    assert response.status_code == 409
    assert "Your wallet has" in response.content.decode()
    assert _state(loan) == before


def test_nothing_due_is_said_when_choosing_due(borrower_client, loan):
    business_date_set(on=loan.installments.get(number=1).due_on - timedelta(days=5))
    response = borrower_client.post(f"/borrow/loans/{loan.pk}/repay/", {"choice": "due"})
    assert response.status_code == 400
    assert "Nothing is due today" in response.content.decode()


def test_another_borrowers_loan_is_404_and_a_closed_loan_takes_nothing(
    client, loan, make_user, onboarding
):
    stranger = onboarding.borrower(make_user("borrower"))
    fund(stranger, "5000.00")
    client.force_login(stranger)
    for path in ("", "repay/", "authorisation/"):
        assert client.get(f"/borrow/loans/{loan.pk}/{path}").status_code == 404
    assert client.post(f"/borrow/loans/{loan.pk}/repay/", {"choice": "due"}).status_code == 404
    client.force_login(loan.borrower)
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.CLOSED)
    before = _state(loan)
    assert "takes no repayments" in client.get(f"/borrow/loans/{loan.pk}/repay/").content.decode()
    response = client.post(f"/borrow/loans/{loan.pk}/repay/", {"choice": "due"})
    assert response.status_code == 409
    confirmed = client.post(
        f"/borrow/loans/{loan.pk}/repay/",
        {"choice": "due", "amount": "10.00", "confirmed": "True", "idempotency_key": "k"},
    )
    assert confirmed.status_code == 409
    assert _state(loan) == before


def test_authorise_and_revoke_on_the_page(borrower_client, loan):
    page = borrower_client.get(f"/borrow/loans/{loan.pk}/authorisation/").content.decode()
    assert "moves only on your instruction" in page
    response = borrower_client.post(f"/borrow/loans/{loan.pk}/authorisation/", {"action": "grant"})
    assert response.status_code == 302
    active = RepaymentAuthorisation.objects.get(loan=loan, revoked_at__isnull=True)
    assert active.borrower == loan.borrower
    html = borrower_client.get(f"/borrow/loans/{loan.pk}/").content.decode()
    assert "Automatic repayment is on." in html
    borrower_client.post(f"/borrow/loans/{loan.pk}/authorisation/", {"action": "revoke"})
    assert not RepaymentAuthorisation.objects.filter(revoked_at__isnull=True).exists()
    bad = borrower_client.post(f"/borrow/loans/{loan.pk}/authorisation/", {"action": "x"})
    assert bad.status_code == 400
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.DEFAULTED)
    refused = borrower_client.post(f"/borrow/loans/{loan.pk}/authorisation/", {"action": "grant"})
    assert refused.status_code == 409
    assert not RepaymentAuthorisation.objects.filter(revoked_at__isnull=True).exists()


def test_dashboard_shows_the_borrowers_money_figures(borrower_client, loan):
    first = loan.installments.get(number=1)
    html = borrower_client.get("/dashboard/").content.decode()
    assert 'id="borrower-money"' in html
    figures = html[html.index('id="borrower-money"') :]
    assert f"{first.total_amount:,.2f}" in figures  # due now, and the next payment
    assert "10,000.00" in figures  # principal outstanding
    assert f"{available(loan.borrower):,.2f}" in figures
    assert loan.reference in figures


def test_dashboard_of_a_borrower_without_loans_has_no_figures(client, borrower):
    client.force_login(borrower)
    assert 'id="borrower-money"' not in client.get("/dashboard/").content.decode()
