"""A Hypothesis state machine over deposit, withdraw, reserve, release, settle and adjust:
after every step the wallets match a simple model and the ledger proves itself."""

import itertools
from decimal import Decimal

import pytest
from django.db import DatabaseError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from custody.errors import InsufficientFunds
from custody.models import LedgerAccount
from custody.services import funds_release, funds_reserve, funds_settle, user_account_ids
from custody.services.adjustments import adjustment_approve, adjustment_propose
from custody.services.movements import (
    deposit_request,
    deposit_settle,
    withdrawal_request,
    withdrawal_settle,
)
from tests.accounts.factories import PASSWORD, UserFactory
from tests.ledger import assert_ledger_holds, balance

D = Decimal
amounts = st.integers(min_value=1, max_value=50_000).map(lambda c: D(c) / 100)
USERS = 3
RUNS = itertools.count(1)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each run gets its own users inside the test's transaction; the ledger-wide proof
        # covers every run's postings together.
        self.run = next(RUNS)
        self.users = UserFactory.create_batch(USERS)
        self.maker = UserFactory(roles=["compliance"], mfa=False)
        self.checker = UserFactory(roles=["approver"], mfa=False)
        self.model = {u.id: [D("0.00"), D("0.00")] for u in self.users}
        self.n = 0

    def key(self):
        self.n += 1
        return f"sm-{self.run}-{self.n}"

    def expect_short(self, short: bool, action):
        if short:
            with pytest.raises(InsufficientFunds):
                action()
        else:
            action()
        return not short

    @rule(i=st.integers(0, USERS - 1), amount=amounts, succeeded=st.booleans())
    def deposit(self, i, amount, succeeded):
        user = self.users[i]
        d = deposit_request(user=user, amount=amount, request_key=self.key())
        deposit_settle(deposit_id=d.pk, succeeded=succeeded, amount=amount, custodian_ref="B")
        if succeeded:
            self.model[user.id][0] += amount

    @rule(i=st.integers(0, USERS - 1), amount=amounts, succeeded=st.booleans())
    def withdraw(self, i, amount, succeeded):
        user = self.users[i]
        holder = {}

        def go():
            holder["w"] = withdrawal_request(
                user=user, amount=amount, confirmation=PASSWORD, request_key=self.key()
            )

        if self.expect_short(self.model[user.id][0] < amount, go):
            withdrawal_settle(
                withdrawal_id=holder["w"].pk, succeeded=succeeded, amount=amount, custodian_ref="B"
            )
            if succeeded:
                self.model[user.id][0] -= amount

    @rule(i=st.integers(0, USERS - 1), amount=amounts)
    def reserve(self, i, amount):
        uid = self.users[i].id
        go = lambda: funds_reserve(user_id=uid, amount=amount, idempotency_key=self.key())  # noqa: E731
        if self.expect_short(self.model[uid][0] < amount, go):
            self.model[uid][0] -= amount
            self.model[uid][1] += amount

    @rule(i=st.integers(0, USERS - 1), amount=amounts)
    def release(self, i, amount):
        uid = self.users[i].id
        go = lambda: funds_release(user_id=uid, amount=amount, idempotency_key=self.key())  # noqa: E731
        if self.expect_short(self.model[uid][1] < amount, go):
            self.model[uid][0] += amount
            self.model[uid][1] -= amount

    @rule(
        i=st.integers(0, USERS - 1),
        j=st.integers(0, USERS - 1),
        amount=amounts,
        fee_share=st.integers(0, 100),
    )
    def settle(self, i, j, amount, fee_share):
        payer, payee = self.users[i].id, self.users[j].id
        fee = (amount * fee_share / 100).quantize(D("0.01"))
        go = lambda: funds_settle(  # noqa: E731
            legs=[(payer, amount)], payee_user_id=payee, fee_amount=fee, idempotency_key=self.key()
        )
        if self.expect_short(self.model[payer][1] < amount, go):
            self.model[payer][1] -= amount
            self.model[payee][0] += amount - fee

    @rule(i=st.integers(0, USERS - 1), amount=amounts, credit=st.booleans())
    def adjust(self, i, amount, credit):
        uid = self.users[i].id
        signed = amount if credit else -amount
        available, _ = user_account_ids(uid)
        proposal = adjustment_propose(
            actor=self.maker, account_id=available, amount=signed, reason="state machine"
        )
        go = lambda: adjustment_approve(actor=self.checker, proposal_id=proposal.pk)  # noqa: E731
        if self.expect_short(self.model[uid][0] + signed < 0, go):
            self.model[uid][0] += signed

    @invariant()
    def wallets_match_the_model_and_the_ledger_proves_itself(self):
        for user in self.users:
            assert balance(user) == tuple(self.model[user.id])
        assert_ledger_holds()


SETTINGS = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
def test_ledger_state_machine_keeps_every_invariant():
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)


@pytest.mark.django_db
def test_state_machine_fails_when_the_balance_guard_is_broken(monkeypatch):
    """With the posting function's limit check disabled, the machine must notice: either
    the database CHECK refuses the negative balance or a model comparison fails."""
    from custody.services import ledger

    monkeypatch.setattr(ledger, "ensure_within_limits", lambda locked, deltas, currency: None)
    with pytest.raises((AssertionError, DatabaseError, pytest.fail.Exception)):
        run_state_machine_as_test(LedgerMachine, settings=SETTINGS)
    assert LedgerAccount.objects.filter(owner__isnull=False, balance_amount__lt=0).count() == 0
