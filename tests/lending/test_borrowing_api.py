"""The borrowings API for servicing: a loan's position (next payment, due now, payoff), the
repayment endpoint's refusals (4xx with a code, nothing moved), its replay byte for byte,
and the standing authorisation."""

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from custody.models import JournalEntry
from lending.business_date import business_date_set
from lending.models import Installment, Loan, Repayment, RepaymentAuthorisation
from tests.custody.test_wallet_api import BAD_AMOUNTS
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(make_user, onboarding, product):
    """10,000.00 over 12 months at 12% (installments of 888.49), on its first due date."""
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="2000.00")
    business_date_set(on=loan.installments.get(number=1).due_on)
    return loan


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _pay(client, loan, raw, key="pay-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        f"/api/v1/borrowings/{loan.pk}/repayments",
        data=raw if isinstance(raw, str) else json.dumps(raw),
        content_type="application/json",
        headers=headers,
    )


def _state(loan):
    """What a refusal must leave as it was: every ledger entry and account balance, the
    repayments, and each installment's status and paid parts."""
    return (
        JournalEntry.objects.count(),
        available(loan.borrower),
        Repayment.objects.count(),
        list(
            Installment.objects.filter(loan=loan)
            .order_by("number")
            .values_list(
                "status",
                "interest_amount",
                "paid_late_fee_amount",
                "paid_penalty_amount",
                "paid_interest_amount",
                "paid_principal_amount",
            )
        ),
        Loan.objects.values_list("status").get(pk=loan.pk),
    )


def test_a_borrowing_shows_next_payment_due_now_and_payoff(loan):
    first = loan.installments.get(number=1)
    body = _client(loan.borrower).get(f"/api/v1/borrowings/{loan.pk}").json()
    assert body["as_of"] == first.due_on.isoformat()
    assert body["due_amount"] == str(first.total_amount)
    assert body["next_payment_on"] == first.due_on.isoformat()
    assert body["next_payment_amount"] == str(first.total_amount)
    assert body["outstanding_principal_amount"] == "10000.00"
    payoff = body["payoff"]
    assert body["payoff_amount"] == payoff["total_amount"]
    assert D(payoff["principal_amount"]) == D("10000.00")
    assert D(payoff["interest_amount"]) == first.interest_amount  # only the period due today
    assert D(payoff["total_amount"]) == sum(
        D(payoff[k])
        for k in (
            "principal_amount",
            "interest_amount",
            "late_charges_amount",
            "prepayment_fee_amount",
        )
    )
    assert body["is_authorised"] is False
    assert body["days_past_due"] == 0 and body["delinquency_bucket"] == "current"
    # The list says the same, in two queries for the page's loans.
    listed = _client(loan.borrower).get("/api/v1/borrowings").json()["results"]
    assert listed == [body]


def test_a_loan_not_yet_disbursed_has_no_position(borrower, open_loan):
    open_loan.borrower = borrower
    Loan.objects.filter(pk=open_loan.pk).update(borrower=borrower)
    body = _client(borrower).get(f"/api/v1/borrowings/{open_loan.pk}").json()
    assert body["status"] == "open"
    assert body["due_amount"] is None and body["payoff"] is None
    assert body["next_payment_on"] is None


# The wallet's bad amounts; an empty body here lacks "an amount or a kind", not an amount.
REPAYMENT_BAD_AMOUNTS = [
    (raw, "repayment_kind_invalid" if raw == "{}" else code) for raw, code in BAD_AMOUNTS
]


@pytest.mark.parametrize(("raw", "code"), REPAYMENT_BAD_AMOUNTS)
def test_bad_amounts_are_4xx_with_a_code_and_move_nothing(loan, raw, code):
    before = _state(loan)
    response = _pay(_client(loan.borrower), loan, raw)
    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["code"]
    if code:
        assert body["code"] == code
    assert _state(loan) == before
    assert_ledger_holds()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": "999999.00"}, 400, "amount_above_payoff"),
        ({"kind": "later"}, 400, "invalid_choice"),
        ({"amount": "10.00", "kind": "due"}, 400, "repayment_kind_invalid"),
        ({"amount": "10.00", "extra": 1}, 400, None),
    ],
)
def test_refused_repayments_are_4xx_with_a_code_and_move_nothing(loan, body, status, code):
    before = _state(loan)
    response = _pay(_client(loan.borrower), loan, body)
    assert response.status_code == status, response.content
    assert response.json()["code"]
    if code:
        assert response.json()["code"] == code
    assert _state(loan) == before


def test_above_the_payoff_names_the_payoff_amount(loan):
    payoff = _client(loan.borrower).get(f"/api/v1/borrowings/{loan.pk}").json()["payoff_amount"]
    above = D(payoff) + D("0.01")
    response = _pay(_client(loan.borrower), loan, {"amount": str(above)})
    assert response.status_code == 400
    assert response.json()["code"] == "amount_above_payoff"
    assert payoff.replace(".", "") in response.json()["message"].replace(",", "").replace(".", "")


def test_missing_idempotency_key_is_400_and_moves_nothing(loan):
    before = _state(loan)
    response = _pay(_client(loan.borrower), loan, {"kind": "due"}, key=None)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert _state(loan) == before


def test_another_borrowers_loan_is_404_and_moves_nothing(loan, make_user, onboarding):
    stranger = fund(onboarding.borrower(make_user("borrower")), "20000.00")
    before, stranger_had = _state(loan), available(stranger)
    client = _client(stranger)
    for i, body in enumerate(({"kind": "due"}, {"kind": "all"}, {"amount": "100.00"})):
        response = _pay(client, loan, body, key=f"s-{i}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert client.get(f"/api/v1/borrowings/{loan.pk}").status_code == 404
    assert client.post(f"/api/v1/borrowings/{loan.pk}/authorisation").status_code == 404
    assert client.delete(f"/api/v1/borrowings/{loan.pk}/authorisation").status_code == 404
    assert _state(loan) == before and available(stranger) == stranger_had
    assert not RepaymentAuthorisation.objects.exists()


def test_a_closed_loan_is_409_and_moves_nothing(loan):
    client = _client(loan.borrower)
    assert _pay(client, loan, {"kind": "all"}, key="payoff").status_code == 201
    before = _state(loan)
    assert before[-1] == ("closed",)
    for i, body in enumerate(({"kind": "due"}, {"kind": "all"}, {"amount": "10.00"})):
        response = _pay(client, loan, body, key=f"after-{i}")
        assert response.status_code == 409
        assert response.json()["code"] == "loan_not_repaying"
    assert _state(loan) == before
    closed = client.get(f"/api/v1/borrowings/{loan.pk}").json()
    assert closed["status"] == "closed" and closed["payoff_amount"] is None
    assert client.post(f"/api/v1/borrowings/{loan.pk}/authorisation").status_code == 409


def test_nothing_due_is_409(loan):
    business_date_set(on=loan.installments.get(number=1).due_on - timedelta(days=3))
    before = _state(loan)
    response = _pay(_client(loan.borrower), loan, {"kind": "due"})
    assert response.status_code == 409
    assert response.json()["code"] == "nothing_due"
    assert _state(loan) == before


def test_a_short_wallet_is_409_insufficient_funds_and_moves_nothing(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)  # only the 9,800.00 net received
    before = _state(loan)
    response = _pay(_client(loan.borrower), loan, {"kind": "all"})
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert _state(loan) == before


def test_a_replay_returns_the_first_response_byte_for_byte(loan):
    """On PostgreSQL too (jsonb once reordered the keys of a stored body)."""
    client = _client(loan.borrower)
    first = _pay(client, loan, {"kind": "due"}, key="replay")
    assert first.status_code == 201, first.content
    after_first = _state(loan)
    for _ in range(2):
        replay = _pay(client, loan, {"kind": "due"}, key="replay")
        assert replay.status_code == 201
        assert replay["Content-Type"] == first["Content-Type"] == "application/json"
        assert replay.content == first.content
        assert replay["Idempotent-Replayed"] == "true"
    assert _state(loan) == after_first
    assert Repayment.objects.count() == 1
    reused = _pay(client, loan, {"amount": "1.00"}, key="replay")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert _state(loan) == after_first
    assert_ledger_holds()


def test_authorisation_is_given_read_and_withdrawn(loan):
    client = _client(loan.borrower)
    url = f"/api/v1/borrowings/{loan.pk}/authorisation"
    assert client.get(url).json() == {
        "loan_id": loan.pk,
        "is_active": False,
        "granted_at": None,
        "revoked_at": None,
    }
    given = client.post(url)
    assert given.status_code == 200
    assert given.json()["is_active"] is True and given.json()["granted_at"]
    assert client.post(url).json() == given.json()  # again: the same one
    assert RepaymentAuthorisation.objects.count() == 1
    assert client.get(f"/api/v1/borrowings/{loan.pk}").json()["is_authorised"] is True
    assert client.delete(url).status_code == 204
    state = client.get(url).json()
    assert state["is_active"] is False and state["revoked_at"]
    assert client.delete(url).status_code == 204  # withdrawing twice is no error
    assert not RepaymentAuthorisation.objects.filter(revoked_at__isnull=True).exists()
