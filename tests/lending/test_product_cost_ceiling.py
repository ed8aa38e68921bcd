"""A product whose rates and fee would put any grade's APR, at its worst term and method,
above LENDING_COST_CEILING_RATE is refused in the admin, naming the grade and the APR."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.admin import ProductAdminForm
from lending.models import Product
from tests.lending.test_operations_role import _product_form

pytestmark = pytest.mark.django_db


def test_a_product_within_the_ceiling_is_accepted():
    form = ProductAdminForm(data=_product_form())
    assert form.is_valid(), form.errors


def test_a_grade_above_the_ceiling_is_refused_with_its_apr_and_worst_terms():
    form = ProductAdminForm(
        data=_product_form(
            term_options=["3", "12"],
            methods=["equal_installment", "equal_principal"],
            rates={"A": "0.0800", "D": "0.1500", "E": "0.1800"},
            service_fee_rate="0.02",
        )
    )
    assert not form.is_valid()
    [error] = form.errors.as_data()["rates_by_grade"]
    assert error.code == "apr_above_cost_ceiling"
    message = error.message
    assert "24.00% ceiling" in message
    # D at 15% and E at 18% with a 2% fee over 3 months: both above, A (about 20%) is not.
    assert "grade D: APR 27.46% at 3 months, equal principal" in message
    assert "grade E: APR 30.51% at 3 months, equal principal" in message
    assert "grade A" not in message


def test_the_ceiling_is_a_setting(settings):
    settings.LENDING_COST_CEILING_RATE = D("0.12")
    form = ProductAdminForm(data=_product_form())  # B at 11% plus a 1.5% fee
    assert not form.is_valid()
    assert "grade B" in str(form.errors["rates_by_grade"])


def test_the_admin_saves_nothing_above_the_ceiling(client, make_user):
    client.force_login(make_user("operations"))
    response = client.post(
        reverse("admin:lending_product_add"),
        _product_form(rates={"A": "0.2300"}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "grade A: APR" in body and "errornote" in body
    assert not Product.objects.exists()
    response = client.post(reverse("admin:lending_product_add"), _product_form())
    assert response.status_code == 302
    assert Product.objects.get().offer_window_days == 7
