"""Reservations: reserve, release and settle, as lending uses them."""

from decimal import Decimal

import pytest
from django.db import transaction

from core.errors import IdempotencyKeyReused
from custody.errors import InsufficientFunds, InvalidAmount
from custody.models import LedgerAccount, Posting
from custody.services import funds_release, funds_reserve, funds_settle
from tests.ledger import assert_ledger_holds, balance

D = Decimal
pytestmark = pytest.mark.django_db


def test_reserve_then_release(funded):
    u = funded("100.00")
    funds_reserve(user_id=u.id, amount=D("30.00"), idempotency_key="r1")
    assert balance(u) == (D("70.00"), D("30.00"))
    funds_release(user_id=u.id, amount=D("10.00"), idempotency_key="l1")
    assert balance(u) == (D("80.00"), D("20.00"))
    assert_ledger_holds()


def test_reserve_refuses_more_than_available(funded):
    u = funded("10.00")
    with pytest.raises(InsufficientFunds):
        funds_reserve(user_id=u.id, amount=D("10.01"), idempotency_key="r1")
    assert balance(u) == (D("10.00"), D("0.00"))


def test_release_refuses_more_than_reserved(funded):
    u = funded("10.00")
    funds_reserve(user_id=u.id, amount=D("5.00"), idempotency_key="r1")
    with pytest.raises(InsufficientFunds):
        funds_release(user_id=u.id, amount=D("5.01"), idempotency_key="l1")
    assert balance(u) == (D("5.00"), D("5.00"))


@pytest.mark.parametrize("amount", [D("-1.00"), D("0"), D("0.001"), D("NaN"), 1.5])
def test_reservations_refuse_bad_amounts(funded, amount):
    u = funded("10.00")
    with pytest.raises(InvalidAmount):
        funds_reserve(user_id=u.id, amount=amount, idempotency_key="r1")
    assert balance(u) == (D("10.00"), D("0.00"))


def test_reserve_key_reused_for_another_amount_is_refused(funded):
    u = funded("10.00")
    funds_reserve(user_id=u.id, amount=D("1.00"), idempotency_key="r1")
    with pytest.raises(IdempotencyKeyReused):
        funds_reserve(user_id=u.id, amount=D("2.00"), idempotency_key="r1")
    assert balance(u) == (D("9.00"), D("1.00"))


def test_settle_pays_many_payers_to_one_payee_less_fee_as_one_entry(funded, make_user):
    a, b = funded("100.00"), funded("100.00")
    borrower = make_user("borrower")
    funds_reserve(user_id=a.id, amount=D("60.00"), idempotency_key="ra")
    funds_reserve(user_id=b.id, amount=D("40.00"), idempotency_key="rb")
    entry = funds_settle(
        legs=[(a.id, D("60.00")), (b.id, D("40.00"))],
        payee_user_id=borrower.id,
        fee_amount=D("2.50"),
        idempotency_key="disburse-1",
    )
    assert Posting.objects.filter(entry=entry).count() == 4
    assert balance(a) == (D("40.00"), D("0.00"))
    assert balance(b) == (D("60.00"), D("0.00"))
    assert balance(borrower) == (D("97.50"), D("0.00"))
    assert LedgerAccount.objects.get(kind="fee_income").balance_amount == D("2.50")
    assert_ledger_holds()


def test_settle_is_all_or_nothing_when_one_payer_is_short(funded, make_user):
    a, b = funded("100.00"), funded("100.00")
    borrower = make_user("borrower")
    funds_reserve(user_id=a.id, amount=D("60.00"), idempotency_key="ra")
    funds_reserve(user_id=b.id, amount=D("10.00"), idempotency_key="rb")
    with pytest.raises(InsufficientFunds):
        funds_settle(
            legs=[(a.id, D("60.00")), (b.id, D("40.00"))],
            payee_user_id=borrower.id,
            fee_amount=D("0"),
            idempotency_key="d1",
        )
    assert balance(a) == (D("40.00"), D("60.00"))
    assert balance(borrower) == (D("0.00"), D("0.00"))


def test_settle_refuses_a_fee_above_the_total(funded, make_user):
    a = funded("10.00")
    funds_reserve(user_id=a.id, amount=D("10.00"), idempotency_key="ra")
    with pytest.raises(InvalidAmount):
        funds_settle(
            legs=[(a.id, D("10.00"))],
            payee_user_id=make_user().id,
            fee_amount=D("10.01"),
            idempotency_key="d",
        )


def test_services_join_the_callers_transaction(funded):
    u = funded("10.00")
    with pytest.raises(RuntimeError), transaction.atomic():
        funds_reserve(user_id=u.id, amount=D("5.00"), idempotency_key="r1")
        raise RuntimeError("the caller fails after reserving")
    assert balance(u) == (D("10.00"), D("0.00"))


def test_reserve_batch_takes_requests_in_order_within_budget_and_funds(funded):
    from custody.models import JournalEntry
    from custody.services import OVER_BUDGET, funds_reserve_batch

    a, b, c = funded("300.00"), funded("50.00"), funded("1000.00")
    entries_before = JournalEntry.objects.count()
    outcomes = funds_reserve_batch(
        requests=[
            (a.id, D("200.00")),  # fits
            (b.id, D("100.00")),  # b has 50: refused, takes nothing from the budget
            (a.id, D("200.00")),  # a has 100 left after the first: refused
            (c.id, D("300.00")),  # fits: 500 of the 500 budget used
            (c.id, D("100.00")),  # over budget although c could pay
        ],
        budget=D("500.00"),
        idempotency_key="batch-1",
        memo="test batch",
    )
    assert outcomes == [None, "insufficient_funds", "insufficient_funds", None, OVER_BUDGET]
    assert balance(a) == (D("100.00"), D("200.00"))
    assert balance(b) == (D("50.00"), D("0.00"))
    assert balance(c) == (D("700.00"), D("300.00"))
    assert JournalEntry.objects.count() == entries_before + 1
    assert_ledger_holds()


def test_reserve_batch_with_nothing_accepted_posts_nothing(funded):
    from custody.models import JournalEntry
    from custody.services import funds_reserve_batch

    u = funded("10.00")
    before = JournalEntry.objects.count()
    assert funds_reserve_batch(
        requests=[(u.id, D("20.00"))], budget=D("100.00"), idempotency_key="batch-2"
    ) == ["insufficient_funds"]
    assert JournalEntry.objects.count() == before
    assert balance(u) == (D("10.00"), D("0.00"))


@pytest.mark.parametrize("amount", [D("-1.00"), D("0"), D("0.001"), 1.5])
def test_reserve_batch_refuses_a_bad_amount_outright(funded, amount):
    from custody.services import funds_reserve_batch

    u = funded("10.00")
    with pytest.raises(InvalidAmount):
        funds_reserve_batch(
            requests=[(u.id, D("1.00")), (u.id, amount)],
            budget=D("100.00"),
            idempotency_key="batch-3",
        )
    assert balance(u) == (D("10.00"), D("0.00"))


def test_reserve_batch_locks_the_accounts_once(funded, monkeypatch):
    """The batch reads balances under its locks and posts with them: the accounts are
    locked once, not again inside ledger_post (it runs while the loan's batch lock is held)."""
    from custody.services import funds_reserve_batch, ledger, reservations

    a, b = funded("300.00"), funded("300.00")
    calls, lock_accounts = [], ledger.lock_accounts

    def counting(ids):
        calls.append(sorted(ids))
        return lock_accounts(ids)

    monkeypatch.setattr(reservations, "lock_accounts", counting)
    monkeypatch.setattr(ledger, "lock_accounts", counting)
    funds_reserve_batch(
        requests=[(a.id, D("100.00")), (b.id, D("100.00"))],
        budget=D("500.00"),
        idempotency_key="batch-once",
    )
    assert len(calls) == 1, calls
    assert balance(a) == balance(b) == (D("200.00"), D("100.00"))
    assert_ledger_holds()
