"""POST /api/v1/auto-invest-rules: out-of-range shares and rates, oversized grade lists and
exponent amounts are 400 with a code, and store nothing."""

import pytest
from django.urls import reverse

from lending.models import AutoInvestRule

pytestmark = pytest.mark.django_db

URL = reverse("api:auto-invest-rule-list")
BASE = {"grades": ["A", "B"], "amount_per_loan": "100.00"}


def test_a_rule_in_range_is_created(api_client, investor):
    api_client.force_authenticate(investor)
    body = {**BASE, "min_rate": "0.05", "max_rate": "0.2", "max_borrower_share": "1"}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["max_borrower_share"] == "1.000"


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"max_borrower_share": "5"}, "max_borrower_share", "max_value"),
        ({"max_borrower_share": "0"}, "max_borrower_share", "min_value"),
        ({"max_borrower_share": "-0.5"}, "max_borrower_share", "min_value"),
        ({"min_rate": "-0.5", "max_rate": "0.1"}, "min_rate", "min_value"),
        ({"max_rate": "1.5"}, "max_rate", "max_value"),
        ({"grades": ["A"] * 1000}, "grades", "max_length"),
        ({"amount_per_loan": "1e3"}, "amount_per_loan", "amount_invalid"),
        ({"amount_per_loan": 100.5}, "amount_per_loan", "amount_not_string"),
        ({"keep_cash_amount": "-5"}, "keep_cash_amount", "amount_not_positive"),
        ({"keep_cash_amount": -5}, "keep_cash_amount", "amount_not_positive"),
        ({"keep_cash_amount": "1e3"}, "keep_cash_amount", "amount_invalid"),
        ({"keep_cash_amount": "\u0661\u0660\u0660"}, "keep_cash_amount", "amount_invalid"),
        ({"min_rate": "1e-1"}, "min_rate", "validation_error"),
        ({"min_rate": "\u0661"}, "min_rate", "validation_error"),
        ({"max_borrower_share": 0.5}, "max_borrower_share", "validation_error"),
    ],
)
def test_out_of_range_rule_is_400_with_a_code_and_stores_nothing(
    api_client, investor, extra, field, code
):
    api_client.force_authenticate(investor)
    response = api_client.post(URL, {**BASE, **extra}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code
    assert field in body["fields"]
    assert not AutoInvestRule.objects.exists()
