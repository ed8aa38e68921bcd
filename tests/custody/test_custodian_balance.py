"""The wallet sets the ledger's balance beside what the custodian bank reports for the user's
own sub-account (the adapter's balance query; the sandbox answers from its own book), with
the last reconciliation, and says plainly when they differ."""

import logging
from decimal import Decimal as D

import pytest
from django.urls import reverse

from custody.adapters import CustodianUnavailable
from custody.adapters.sandbox import SandboxCustodian
from custody.models import SubAccount
from custody.selectors import custodian_balance_check
from custody.services import funds_reserve, funds_settle
from custody.services.movements import deposit_request, withdrawal_request
from custody.services.reconciliation import reconciliation_run
from tests.ledger import fund

pytestmark = pytest.mark.django_db


def deposit(user, amount: str, key: str):
    """A deposit the sandbox bank books and confirms (its callback applied in-process)."""
    movement = deposit_request(user=user, amount=D(amount), request_key=key)
    SandboxCustodian().deposit_instruct(deposit_id=movement.pk)
    return movement


def external_id(user) -> str:
    return SubAccount.objects.get(user=user).external_id


def bank(user) -> D:
    return SandboxCustodian().sub_account_balance(external_id=external_id(user))


def test_sandbox_balance_follows_its_bookings_and_transfers(local_custodian, make_user):
    investor, borrower = make_user("investor"), make_user("borrower")
    deposit(investor, "1000.00", "d1")
    deposit(borrower, "10.00", "d2")
    assert bank(investor) == D("1000.00")
    # A hold moves nothing out of the sub-account; a settlement is a transfer.
    funds_reserve(user_id=investor.pk, amount=D("400.00"), idempotency_key="r")
    assert bank(investor) == D("1000.00")
    funds_settle(
        legs=[(investor.pk, D("400.00"))],
        payee_user_id=borrower.pk,
        fee_amount=D("8.00"),
        idempotency_key="s",
    )
    assert (bank(investor), bank(borrower)) == (D("600.00"), D("402.00"))
    withdrawal_request(
        user=borrower, amount=D("100.00"), confirmation=borrower.test_password, request_key="w"
    )
    from custody.models import Withdrawal

    SandboxCustodian().withdrawal_instruct(withdrawal_id=Withdrawal.objects.get().pk)
    assert bank(borrower) == D("302.00")
    with pytest.raises(LookupError):
        SandboxCustodian().sub_account_balance(external_id="SBX-unknown")


def test_wallet_says_the_bank_agrees_and_when_it_was_reconciled(local_custodian, make_user, client):
    user = make_user("investor")
    deposit(user, "250.00", "d1")
    client.force_login(user)
    html = client.get(reverse("custody:wallet")).content.decode()
    assert "The bank reports" in html and "Match" in html
    assert "Not reconciled with the bank yet." in html
    run = reconciliation_run()
    html = client.get(reverse("custody:wallet")).content.decode()
    assert f"Last reconciled with the bank {run.finished_at.astimezone():%Y-%m-%d %H:%M}" in html
    body = client.get(reverse("api:wallet-detail")).json()
    assert body["custodian_total"] == "250.00" and body["custodian_differs"] is False
    assert body["reconciled_at"] is not None


def test_wallet_says_plainly_when_the_bank_differs(local_custodian, make_user, client, caplog):
    user = make_user("investor")
    deposit(user, "250.00", "d1")
    fund(user, "40.00")  # credited in the ledger with no booking at the bank
    client.force_login(user)
    with caplog.at_level(logging.WARNING, logger="custody.selectors"):
        html = client.get(reverse("custody:wallet")).content.decode()
    assert "Differs by -40.00 CNY" in html
    assert "Our operations team has been alerted and is looking into it" in html
    assert "custodian balance differs from the ledger" in caplog.text
    body = client.get(reverse("api:wallet-detail")).json()
    assert (body["total"], body["custodian_total"], body["custodian_differs"]) == (
        "290.00",
        "250.00",
        True,
    )


def test_a_movement_on_its_way_explains_a_difference(
    local_custodian, make_user, client, monkeypatch
):
    user = make_user("investor")
    deposit(user, "250.00", "d1")
    # The bank books the next deposit; its confirmation has not reached us yet.
    monkeypatch.setattr(SandboxCustodian, "deliver", lambda self, body, transport=None: None)
    deposit(user, "50.00", "d2")
    check = custodian_balance_check(user_id=user.pk, ledger_total=D("250.00"))
    assert (check.difference, check.movements_in_flight) == (D("50.00"), 1)
    client.force_login(user)
    html = client.get(reverse("custody:wallet")).content.decode()
    assert "is on its way between you and the bank" in html
    assert "has been alerted" not in html


def test_before_the_first_deposit_and_when_the_bank_is_silent(make_user, client, monkeypatch):
    user = make_user("investor")
    client.force_login(user)
    html = client.get(reverse("custody:wallet")).content.decode()
    assert "opens with your first deposit" in html
    SubAccount.objects.create(user=user, custodian="sandbox", external_id="SBX000000000999")

    def silent(self, *, external_id):
        raise CustodianUnavailable("timeout")

    monkeypatch.setattr(SandboxCustodian, "sub_account_balance", silent)
    response = client.get(reverse("custody:wallet"))
    assert response.status_code == 200
    assert b"did not answer just now" in response.content
