"""Concurrency on real PostgreSQL threads: the hot-loan rush (service and HTTP) and two
approvers approving one disbursement at once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection
from django.urls import reverse

from lending.models import Disbursement, Installment, Investment, Loan
from tests.lending.conftest import assert_ledger_holds, available, reserved
from tests.lending.factories import LoanFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

REQUESTS = 300
INVESTORS = 50
THREADS = 32
STEP = D("100.00")


@pytest.fixture
def rush(make_user, onboarding, fund, product):
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=STEP * 100)
    investors = [
        fund(onboarding.investor(make_user("investor")), "1000.00") for _ in range(INVESTORS)
    ]
    return loan, investors


def _run(work):
    barrier = threading.Barrier(THREADS)
    slices = [list(range(t, REQUESTS, THREADS)) for t in range(THREADS)]

    def worker(indexes):
        outcomes = []
        try:
            barrier.wait()
            for i in indexes:
                outcomes.append(work(i))
        finally:
            connection.close()
        return outcomes

    with ThreadPoolExecutor(THREADS) as pool:
        return [o for part in pool.map(worker, slices) for o in part]


def _assert_sold_exactly(loan, investors, outcomes):
    ok = [o for o in outcomes if o == "ok"]
    refused = [o for o in outcomes if o != "ok"]
    assert len(ok) == 100, outcomes
    assert set(refused) <= {"exceeds_remaining", "loan_not_open", "insufficient_funds"}, set(
        refused
    )
    loan.refresh_from_db()
    assert loan.status == "funded"
    assert loan.funded_amount == loan.amount
    held = Investment.objects.filter(loan=loan, status="reserved")
    assert held.count() == 100
    assert sum(i.amount for i in held) == loan.amount
    # No order is left pending, and refused orders were deleted by their requests.
    assert Investment.objects.filter(loan=loan).count() == 100
    for user in investors:
        mine = sum((i.amount for i in held if i.investor_id == user.pk), D("0"))
        assert reserved(user) == mine  # every refused request changed nothing
        assert available(user) + reserved(user) == D("1000.00")
    assert_ledger_holds()


def test_hot_loan_rush_through_the_service_never_overfunds(rush):
    from lending.services.investments import investment_place

    loan, investors = rush

    def work(i):
        try:
            investment_place(
                investor=investors[i % INVESTORS],
                loan_id=loan.pk,
                amount=STEP,
                idempotency_key=f"r{i}",
            )
            return "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is the code, asserted above
            return getattr(exc, "code", repr(exc))

    _assert_sold_exactly(loan, investors, _run(work))


def test_rush_racing_the_loans_expiry_neither_deadlocks_nor_strands_money(rush):
    """Investors lock their user row then the loan; expiry locks the loan then their custody
    accounts. The orders never cross, so no deadlock: every placed reservation is released
    by the expiry, and every request after it is refused."""
    from datetime import timedelta

    from lending.services.expiry import loan_expire
    from lending.services.investments import investment_place

    hot, investors = rush
    # Too large to fill with these requests, so it is still open when the expiry runs.
    loan = LoanFactory(borrower=hot.borrower, product=hot.product, amount=STEP * 1000)
    expire_at = THREADS * 2  # mid-rush: some investments commit before, the rest race it

    def work(i):
        try:
            if i == expire_at:
                assert loan_expire(
                    loan_id=loan.pk, as_of=loan.funding_deadline_on + timedelta(days=1)
                )
                return "expired"
            investment_place(
                investor=investors[i % INVESTORS],
                loan_id=loan.pk,
                amount=STEP,
                idempotency_key=f"x{i}",
            )
            return "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is the code, asserted below
            return getattr(exc, "code", repr(exc))

    outcomes = _run(work)
    assert "expired" in outcomes and "ok" in outcomes and "loan_not_open" in outcomes, outcomes
    assert set(outcomes) <= {"ok", "expired", "loan_not_open"}, set(outcomes)
    loan.refresh_from_db()
    assert loan.status == "cancelled" and loan.funded_amount == 0
    assert not Investment.objects.filter(loan=loan, status="reserved").exists()
    assert Investment.objects.filter(loan=loan).count() == outcomes.count("ok")
    for user in investors:
        assert reserved(user) == 0
        assert available(user) == D("1000.00")
    assert_ledger_holds()


def test_hot_loan_rush_through_http_has_no_5xx(rush):
    from rest_framework.test import APIClient

    loan, investors = rush
    url = reverse("api:loan-investment-create", kwargs={"pk": loan.pk})

    def work(i):
        client = APIClient()
        client.force_authenticate(investors[i % INVESTORS])
        resp = client.post(url, {"amount": "100.00"}, format="json", HTTP_IDEMPOTENCY_KEY=f"h{i}")
        assert resp.status_code < 500, resp.content
        return "ok" if resp.status_code == 201 else resp.json()["code"]

    _assert_sold_exactly(loan, investors, _run(work))


def test_two_approvers_at_once_make_one_disbursement(make_user, onboarding, fund, product):
    from lending.services.disbursements import disbursement_approve, disbursement_start
    from lending.services.investments import investment_place

    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000.00"))
    for i in range(2):
        user = fund(onboarding.investor(make_user("investor")), "30000")
        investment_place(investor=user, loan_id=loan.pk, amount=D("30000"), idempotency_key=f"d{i}")
    maker = make_user("approver")
    checkers = [make_user("approver") for _ in range(4)]
    disbursement_start(loan_id=loan.pk, maker=maker)
    barrier = threading.Barrier(len(checkers))

    def approve(checker):
        try:
            barrier.wait()
            disbursement_approve(loan_id=loan.pk, checker=checker)
            return "ok"
        except Exception as exc:  # noqa: BLE001
            return getattr(exc, "code", repr(exc))
        finally:
            connection.close()

    with ThreadPoolExecutor(len(checkers)) as pool:
        outcomes = list(pool.map(approve, checkers))
    assert sorted(outcomes) == ["no_pending_disbursement"] * 3 + ["ok"]
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REPAYING
    assert Disbursement.objects.filter(loan=loan, status="settled").count() == 1
    assert Installment.objects.filter(loan=loan).count() == 12
    assert available(borrower) == D("58800.00")
    assert_ledger_holds()
