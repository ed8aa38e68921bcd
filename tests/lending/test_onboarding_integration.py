"""Lending on top of the real onboarding records (no stubbed seam): verified identities,
suitability limits and borrower profiles drive application and investment rules."""

from decimal import Decimal as D

import pytest

from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import FraudSignal
from lending import eligibility
from lending.models import Loan
from lending.services.applications import application_review
from lending.services.investments import investment_place
from lending.services.offers import offer_accept
from tests.accounts.onboarding import BIRTH, SEQUENCES, make_borrower, make_investor
from tests.ledger import fund
from tests.lending.conftest import submit_application
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db


def test_eligibility_reads_the_onboarding_records(make_user):
    investor = make_investor(make_user)
    limits = eligibility.investor_limits(investor)
    assert limits.identity_verified and limits.max_grade in "ABCDE"
    assert limits.per_loan_limit > 0 and limits.total_limit >= limits.per_loan_limit
    borrower = make_borrower(make_user)
    facts = eligibility.borrower_facts(borrower)
    assert facts.identity_verified
    identifiers = eligibility.review_identifiers(borrower)
    n = SEQUENCES[borrower.pk]
    assert identifiers.national_id == sandbox_national_id(birth=BIRTH, sequence=n)
    assert (identifiers.phone, identifiers.bank_card) == (
        sandbox_phone(77_000_000 + n),
        sandbox_bank_card(700_000 + n),
    )
    assert identifiers.credit_code == ""
    assert eligibility.review_identifiers(make_user("borrower")) == eligibility.ReviewIdentifiers()
    assert facts.masked["name"] == borrower.identity.legal_name_masked
    assert eligibility.borrower_facts(make_user("borrower")) is None
    assert not eligibility.identity_verified(make_user("investor"))


def test_application_reviewed_with_the_bureau_report_of_the_real_identity(make_user, product):
    borrower = make_borrower(make_user)
    app = submit_application(borrower, product)
    app = application_review(application_id=app.id)
    assert app.status in ("approved", "under_review", "rejected")
    assert app.bureau_report["bureau"] == "sandbox"
    if app.status == "approved":
        offer_accept(application_id=app.id, borrower=borrower)
        loan = Loan.objects.get(application=app)
        assert loan.disclosure["borrower"]["name"] == borrower.identity.legal_name_masked


def test_investor_grade_and_per_loan_limit_come_from_suitability(make_user, product):
    investor = fund(make_investor(make_user, tolerance="very_low"), "100000")
    limits = eligibility.investor_limits(investor)
    borrower = make_borrower(make_user)
    too_risky = LoanFactory(borrower=borrower, product=product, grade="E")
    with pytest.raises(Exception) as exc:
        investment_place(
            investor=investor, loan_id=too_risky.pk, amount=D("100"), idempotency_key="e"
        )
    assert exc.value.code == "grade_above_risk_level"
    ok_loan = LoanFactory(
        borrower=borrower, product=product, grade=limits.max_grade, amount=D("200000")
    )
    over = (limits.per_loan_limit // 100 + 1) * 100
    with pytest.raises(Exception) as exc:
        investment_place(investor=investor, loan_id=ok_loan.pk, amount=over, idempotency_key="o")
    assert exc.value.code in ("per_loan_limit_exceeded", "total_limit_exceeded")
    investment_place(investor=investor, loan_id=ok_loan.pk, amount=D("100"), idempotency_key="k")


def test_onboarding_fraud_signal_reaches_the_review(make_user, product):
    borrower = make_borrower(make_user)
    other = make_user("borrower")
    FraudSignal.objects.create(user=borrower, kind="duplicate_phone", matched_user=other)
    app = submit_application(borrower, product)
    app = application_review(application_id=app.id)
    assert "fraud_signal:duplicate_phone" in app.fraud_flags
    assert app.status != "approved"
