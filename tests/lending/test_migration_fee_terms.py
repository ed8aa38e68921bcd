"""Migration 0004/0005: loans listed before the fee terms moved onto the loan take them from
their product."""

from datetime import date
from decimal import Decimal as D

import pytest

from tests.migrating import migrate_to, migrate_to_latest

BEFORE = [("lending", "0003_loan_auto_invest_done")]
AFTER = [("lending", "0005_loan_fee_terms_required")]


@pytest.mark.django_db(transaction=True)
def test_existing_loans_take_their_products_fee_terms(make_user):
    borrower = make_user("borrower")
    apps = migrate_to(BEFORE)
    try:
        Product = apps.get_model("lending", "Product")
        Application = apps.get_model("lending", "Application")
        Loan = apps.get_model("lending", "Loan")
        product = Product.objects.create(
            code="old",
            name="Old",
            min_amount=D("1000"),
            max_amount=D("9000"),
            service_fee_rate=D("0.025"),
            platform_fee_rate=D("0.12"),
            late_fee_amount=D("100"),
            penalty_daily_rate=D("0.0007"),
            grace_days=5,
        )
        common = {
            "borrower_id": borrower.pk,
            "product": product,
            "amount": D("5000"),
            "term_months": 12,
            "method": "equal_installment",
            "purpose": "education",
        }
        application = Application.objects.create(**common, status="approved", grade="B")
        loan = Loan.objects.create(
            **common,
            reference="LNMIG000001",
            application=application,
            annual_rate=D("0.1"),
            grade="B",
            listed_on=date(2026, 1, 1),
            funding_deadline_on=date(2026, 1, 8),
        )
        apps = migrate_to(AFTER)
        loan = apps.get_model("lending", "Loan").objects.get(pk=loan.pk)
        assert loan.service_fee_rate == D("0.025")
        assert loan.platform_fee_rate == D("0.12")
        assert loan.late_fee_amount == D("100")
        assert loan.penalty_daily_rate == D("0.0007")
        assert loan.grace_days == 5
    finally:
        migrate_to_latest()
