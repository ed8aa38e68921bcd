"""Product amounts typed into the admin go through the platform's one strict amount parser
(core.money): exponents, sub-cent digits, non-ASCII digits, negatives and NaN are refused
with a clear error and nothing is saved; a plain decimal amount is saved exactly."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.audit import AuditEvent
from lending.admin import ProductAdminForm
from lending.models import Product
from tests.lending.test_operations_role import _product_form

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:lending_product_add")
MONEY_FIELDS = [
    "min_amount",
    "max_amount",
    "min_investment_amount",
    "investment_step_amount",
    "late_fee_amount",
]
REFUSED = [
    ("1e5", "amount_invalid"),
    ("100.001", "amount_too_precise"),
    ("\uff11\uff10\uff10", "amount_invalid"),  # full-width digits
    ("-1", "amount_not_positive"),
    ("NaN", "amount_invalid"),
    ("Infinity", "amount_invalid"),
    ("1,000", "amount_invalid"),
]


@pytest.mark.parametrize("field", MONEY_FIELDS)
@pytest.mark.parametrize(("raw", "code"), REFUSED)
def test_product_form_refuses_a_malformed_amount_with_its_code(field, raw, code):
    form = ProductAdminForm(data=_product_form(**{field: raw}))
    assert not form.is_valid()
    assert [e.code for e in form.errors.as_data()[field]] == [code]


@pytest.mark.parametrize("raw", ["1e5", "\uff11\uff10\uff10", "NaN", "-1"])
def test_admin_refuses_a_malformed_max_amount_and_saves_nothing(client, make_user, raw):
    client.force_login(make_user("operations"))
    response = client.post(ADD_URL, _product_form(max_amount=raw))
    assert response.status_code == 200
    body = response.content.decode()
    assert "errornote" in body
    assert not Product.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="lending.product_").exists()


def test_admin_saves_plain_decimal_amounts_exactly(client, make_user):
    client.force_login(make_user("operations"))
    response = client.post(
        ADD_URL,
        _product_form(
            min_amount="1000",
            max_amount="100000.00",
            min_investment_amount="50.5",
            investment_step_amount=" 50.50 ",
            late_fee_amount="0",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(code="sme-working-capital")
    assert product.max_amount == D("100000.00")
    assert product.min_amount == D("1000.00")
    assert product.min_investment_amount == D("50.50")
    assert product.investment_step_amount == D("50.50")
    assert product.late_fee_amount == D("0.00")


@pytest.mark.parametrize("raw", ["0", "0.00", "30.00"])
def test_late_fee_may_be_zero_or_positive(raw):
    form = ProductAdminForm(data=_product_form(late_fee_amount=raw))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["late_fee_amount"] == D(raw).quantize(D("0.01"))


@pytest.mark.parametrize("field", ["min_amount", "min_investment_amount", "investment_step_amount"])
def test_zero_is_refused_where_the_amount_must_be_positive(field):
    form = ProductAdminForm(data=_product_form(**{field: "0"}))
    assert not form.is_valid()
    assert [e.code for e in form.errors.as_data()[field]] == ["amount_not_positive"]


def test_change_form_shows_the_stored_amounts(client, make_user, product):
    product.refresh_from_db()
    client.force_login(make_user("operations"))
    response = client.get(reverse("admin:lending_product_change", args=[product.pk]))
    assert response.status_code == 200
    assert f'value="{product.max_amount}"' in response.content.decode()
