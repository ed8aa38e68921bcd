"""The apply page and its live preview refuse amounts that are not plain decimals with a
message, never a 500: NaN, sNaN, Infinity, exponents, full-width digits, empty."""

import pytest
from django.urls import reverse

from lending.models import Application

pytestmark = pytest.mark.django_db

BAD_AMOUNTS = [
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "1e3",
    "\uff11\uff10\uff10\uff10",
    "\u0661\u0660\u0660\u0660\u0660",
    "+10000",
    "",
]


def _params(product, amount):
    return {
        "product": product.pk,
        "amount": amount,
        "term_months": "12",
        "method": "equal_installment",
    }


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_application_preview_refuses_non_plain_amount_with_a_message(
    client, borrower, product, amount
):
    client.force_login(borrower)
    resp = client.get(reverse("lending:application-preview"), _params(product, amount))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Total cost" not in body
    assert "amount" in body.lower()


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_application_create_refuses_non_plain_amount_with_a_message(
    client, borrower, product, amount
):
    client.force_login(borrower)
    resp = client.post(
        reverse("lending:application-create"),
        {**_params(product, amount), "purpose": "education"},
    )
    assert resp.status_code == 400
    assert resp.context["form"].errors["amount"]
    assert not Application.objects.exists()


def test_application_preview_still_prices_a_plain_amount(client, borrower, product):
    client.force_login(borrower)
    resp = client.get(reverse("lending:application-preview"), _params(product, "10000.00"))
    assert resp.status_code == 200 and "10,000.00" in resp.content.decode()
