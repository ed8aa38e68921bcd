"""Migration 0008: applications made before the borrower's kind was recorded take the kind
their borrower has (enterprise when the user registered a company, else individual)."""

from decimal import Decimal as D

import pytest

from tests.lending.test_blocklist_admin import make_borrower
from tests.migrating import migrate_to, migrate_to_latest

BEFORE = [("lending", "0007_blocklist_credit_code")]
AFTER = [("lending", "0008_application_borrower_kind")]


@pytest.mark.django_db(transaction=True)
def test_existing_applications_take_their_borrowers_kind(make_user):
    person = make_borrower(make_user, enterprise=False)
    company = make_borrower(make_user, enterprise=True)
    apps = migrate_to(BEFORE)
    try:
        Product = apps.get_model("lending", "Product")
        Application = apps.get_model("lending", "Application")
        product = Product.objects.create(
            code="old", name="Old", min_amount=D("1000"), max_amount=D("9000")
        )
        ids = {}
        for who, user in (("person", person), ("company", company)):
            ids[who] = Application.objects.create(
                borrower_id=user.pk,
                product=product,
                amount=D("5000"),
                term_months=12,
                method="equal_installment",
                purpose="education",
                status="rejected",
            ).pk
        apps = migrate_to(AFTER)
        kinds = dict(
            apps.get_model("lending", "Application").objects.values_list("pk", "borrower_kind")
        )
        assert kinds == {ids["person"]: "individual", ids["company"]: "enterprise"}
    finally:
        migrate_to_latest()
