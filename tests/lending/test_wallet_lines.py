"""The wallet shows one line per movement: investing is one line "Reserved for LN..." with
its amount (not a minus on available and a plus on reserved), and so is its cancellation;
the API's postings keep their shape and gain the same words."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from custody.selectors import wallet_movement_list, wallet_movements
from lending.services.investments import investment_cancel, investment_place

pytestmark = pytest.mark.django_db


def lines(user):
    return [
        (m.description, m.amount, m.is_internal)
        for m in wallet_movements(wallet_movement_list(user_id=user.pk))
    ]


def test_an_investment_and_its_cancellation_are_one_line_each(client, investor, open_loan):
    investment = investment_place(
        investor=investor, loan_id=open_loan.pk, amount=D("500.00"), idempotency_key="k"
    )
    investment_cancel(investor=investor, investment_id=investment.pk)
    ref = open_loan.reference
    assert lines(investor) == [
        (f"Returned from {ref} (you cancelled)", D("500.00"), True),
        (f"Reserved for {ref}", D("500.00"), True),
        ("Deposit from your bank card", D("50000.00"), False),
    ]
    client.force_login(investor)
    html = client.get(reverse("custody:wallet")).content.decode()
    assert html.count(f"Reserved for {ref}") == 1
    assert "moved from available to reserved" in html
    assert "-500.00" not in html and "+500.00" not in html
    history = client.get(reverse("custody:wallet-history")).content.decode()
    assert history.count(f"Reserved for {ref}") == 1 and "3 movements" in history


def test_history_filters_movements_by_account_and_kind(client, investor, open_loan):
    investment_place(
        investor=investor, loan_id=open_loan.pk, amount=D("500.00"), idempotency_key="k"
    )
    client.force_login(investor)
    url = reverse("custody:wallet-history")
    reserved = client.get(url + "?account=reserved").context["page"].object_list
    assert [m.description for m in reserved] == [f"Reserved for {open_loan.reference}"]
    deposits = client.get(url + "?kind=deposit").context["page"].object_list
    assert [(m.description, m.amount) for m in deposits] == [
        ("Deposit from your bank card", D("50000.00"))
    ]


def test_wallet_entries_api_keeps_its_postings_and_adds_the_words(api_client, investor, open_loan):
    investment_place(
        investor=investor, loan_id=open_loan.pk, amount=D("500.00"), idempotency_key="k"
    )
    api_client.force_authenticate(investor)
    rows = api_client.get(reverse("api:wallet-entries")).json()["results"]
    legs = [r for r in rows if r["kind"] == "reserve"]
    assert sorted((r["account"], r["amount"]) for r in legs) == [
        ("available", "-500.00"),
        ("reserved", "500.00"),
    ]
    assert {r["description"] for r in legs} == {f"Reserved for {open_loan.reference}"}
    assert len({r["entry_id"] for r in legs}) == 1
    assert set(rows[0]) >= {"id", "entry_id", "created_at", "account", "kind", "memo", "amount"}
