"""A loan keeps the fee terms of its listing: a later product change never reprices it."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.models import Loan
from lending.services.disbursements import disbursement_start
from lending.services.investments import investment_place
from lending.services.listings import loan_open
from tests.ledger import fund
from tests.lending.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed_loan(borrower, product):
    application = ApplicationFactory(borrower=borrower, product=product, amount=D("10000.00"))
    loan = loan_open(application=application)
    Loan.objects.filter(pk=loan.pk).update(auto_invest_done_at=timezone.now())
    loan.refresh_from_db()
    return loan


def test_loan_open_copies_the_products_fee_terms(listed_loan):
    assert listed_loan.service_fee_rate == D("0.02")
    assert listed_loan.platform_fee_rate == D("0.10")
    assert listed_loan.late_fee_amount == D("50")
    assert listed_loan.penalty_daily_rate == D("0.0005")
    assert listed_loan.grace_days == 3


def test_disbursement_takes_the_fee_listed_not_the_products_current_fee(
    listed_loan,
    product,
    make_user,
    onboarding,
):
    product.service_fee_rate = D("0.10")
    product.platform_fee_rate = D("0.30")
    product.save()
    investor = fund(onboarding.investor(make_user("investor")), "100000")
    investment_place(
        investor=investor, loan_id=listed_loan.pk, amount=D("10000.00"), idempotency_key="all"
    )
    disbursement = disbursement_start(loan_id=listed_loan.pk, maker=make_user("approver"))
    assert disbursement.fee_amount == D("200.00")  # 2% listed, not the product's new 10%
    assert disbursement.net_amount == D("9800.00")


def test_loan_pages_and_api_show_the_listed_platform_fee(client, listed_loan, product, investor):
    product.platform_fee_rate = D("0.30")
    product.save()
    client.force_login(investor)
    api = client.get(reverse("api:loan-detail", kwargs={"pk": listed_loan.pk}))
    assert api.status_code == 200 and api.json()["platform_fee_rate"] == "0.100000"
    page = client.get(reverse("lending:loan-detail", kwargs={"pk": listed_loan.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Platform fee 10" in body and "Platform fee 30" not in body
