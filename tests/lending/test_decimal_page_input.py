"""The invest and auto-invest pages hold amounts and rates to plain decimal text: an
Arabic-Indic or full-width digit, an exponent or a sign is a 400 with the field's error,
and nothing is invested or saved (Django's DecimalField alone reads them all)."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from lending.models import AutoInvestRule, Investment
from tests.lending.factories import AutoInvestRuleFactory

pytestmark = pytest.mark.django_db

NOT_PLAIN = ["\u0661\u0660\u0660", "\uff11\uff10\uff10", "1e2", "+100", "100."]

RULE = {
    "grades": ["A", "B"],
    "min_term_months": "1",
    "max_term_months": "36",
    "min_rate": "0",
    "max_rate": "36",
    "amount_per_loan": "100",
    "keep_cash_amount": "0",
    "max_borrower_share": "20",
}


@pytest.mark.parametrize("amount", NOT_PLAIN)
def test_invest_page_refuses_an_amount_that_is_not_plain(client, investor, open_loan, amount):
    client.force_login(investor)
    url = reverse("lending:loan-invest", kwargs={"pk": open_loan.pk})
    for confirmed in ("", "True"):
        resp = client.post(url, {"amount": amount, "confirmed": confirmed, "idempotency_key": "k"})
        assert resp.status_code == 400
        assert resp.context["form"].errors["amount"]
    assert not Investment.objects.exists()


@pytest.mark.parametrize("key", ["\u043a\u043b", "a\x01b", "with space", "k" * 256])
def test_invest_page_refuses_a_key_the_api_would_refuse(client, investor, open_loan, key):
    client.force_login(investor)
    url = reverse("lending:loan-invest", kwargs={"pk": open_loan.pk})
    resp = client.post(url, {"amount": "100", "confirmed": "True", "idempotency_key": key})
    assert resp.status_code == 400
    assert not Investment.objects.exists()


@pytest.mark.parametrize(
    "field", ["min_rate", "max_rate", "amount_per_loan", "keep_cash_amount", "max_borrower_share"]
)
@pytest.mark.parametrize("value", NOT_PLAIN)
def test_auto_invest_page_refuses_a_value_that_is_not_plain(client, investor, field, value):
    client.force_login(investor)
    resp = client.post(reverse("lending:auto-invest-rule-list"), {**RULE, field: value})
    assert resp.status_code == 400
    assert resp.context["form"].errors[field]
    assert not AutoInvestRule.objects.exists()


def test_auto_invest_page_saves_a_plain_rule_with_no_cash_kept(client, investor):
    client.force_login(investor)
    resp = client.post(reverse("lending:auto-invest-rule-list"), RULE)
    assert resp.status_code == 302
    rule = AutoInvestRule.objects.get()
    assert str(rule.keep_cash_amount) == "0.00"
    assert str(rule.max_borrower_share) == "0.200"


@pytest.mark.parametrize(
    "bad",
    [
        {"keep_cash_amount": "-0.01"},
        {"min_rate": "-0.01"},
        {"min_rate": "0.2", "max_rate": "0.1"},
        {"max_rate": "1.01"},
        {"max_borrower_share": "0"},
        {"max_borrower_share": "1.001"},
    ],
)
def test_the_database_refuses_a_rule_out_of_bounds(investor, bad):
    values = {"grades": ["A"], "amount_per_loan": "100.00", **bad}
    with pytest.raises(IntegrityError), transaction.atomic():
        AutoInvestRuleFactory(investor=investor, **values)
