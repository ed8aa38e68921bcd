"""Listing: an approved application becomes a loan open for funding, with its disclosure."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from core.audit import audit_record
from core.enqueue import enqueue_on_commit
from lending import eligibility
from lending.business_date import business_date
from lending.models import Application, Loan

RISK_WARNING = (
    "Lending puts your capital at risk. This loan is not a deposit and is not covered by "
    "deposit insurance; the borrower may pay late or not at all and you may lose some or all "
    "of the money you lend. Past performance of a grade does not predict its future."
)


def _income_band(monthly_income: Decimal) -> str:
    for ceiling, band in ((5000, "under 5,000"), (10000, "5,000-10,000"), (20000, "10,000-20,000")):
        if monthly_income < ceiling:
            return band
    return "20,000 and above"


def _revenue_band(monthly_revenue: Decimal) -> str:
    bands = ((50000, "under 50,000"), (200000, "50,000-200,000"), (1000000, "200,000-1,000,000"))
    for ceiling, band in bands:
        if monthly_revenue < ceiling:
            return band
    return "1,000,000 and above"


def loan_disclosure(application: Application) -> dict:
    """The borrower facts investors may see (Disclosure Guidelines): masked, no raw PII."""
    facts = eligibility.borrower_facts(application.borrower)
    report = application.bureau_report or {}
    masked = dict(facts.masked) if facts else {}
    credit_report = {
        "overdue_records_6m": report.get("overdue_records_6m", 0),
        "other_platform_borrowing": report.get("other_platform_borrowing", "0.00"),
        "other_platform_count": report.get("other_platform_count", 0),
    }
    if facts and facts.kind == "enterprise":
        # Disclosure Guidelines art. 9: for an enterprise, its name, credit code, legal
        # representative and registered address, each masked; revenue as a band.
        borrower = {
            "kind": "enterprise",
            "name": masked.get("name") or "Enterprise ****",
            "credit_code": masked.get("credit_code") or "",
            "legal_representative": masked.get("legal_representative") or "",
            "registered_address": masked.get("registered_address") or "",
            "monthly_revenue_band": _revenue_band(facts.monthly_income),
        }
        credit_report["court_judgments_2y"] = report.get("court_judgments_2y", 0)
        credit_report["tax_credit_rating"] = report.get("tax_credit_rating", "")
    else:
        borrower = {
            "kind": facts.kind if facts else "individual",
            "name": masked.get("name") or "Borrower ****",
            "region": masked.get("region") or "",
            "birth_year": masked.get("birth_year"),
            "employment": masked.get("employment") or "",
            "monthly_income_band": _income_band(facts.monthly_income) if facts else "",
        }
    return {
        "borrower": borrower,
        "credit_report": credit_report,
        "purpose_detail": application.purpose_detail[:200],
        "risk_warning": RISK_WARNING,
    }


def _new_reference(on) -> str:
    return f"LN{on:%y%m%d}{secrets.token_hex(3).upper()}"


@transaction.atomic
def loan_open(*, application: Application) -> Loan:
    """List an application whose offer the borrower accepted as a loan open until the
    product's funding window ends, on the terms of the offer."""
    today = business_date()
    product = application.product
    loan = Loan.objects.create(
        reference=_new_reference(today),
        application=application,
        borrower_id=application.borrower_id,
        product=product,
        amount=application.amount,
        currency=application.currency,
        annual_rate=application.annual_rate,
        **application.listing_terms(),
        term_months=application.term_months,
        method=application.method,
        grade=application.grade,
        purpose=application.purpose,
        disclosure=loan_disclosure(application),
        listed_on=today,
        funding_deadline_on=today + timedelta(days=product.funding_window_days),
    )
    audit_record(
        action="lending.loan_listed",
        subject_type="loan",
        subject_id=loan.id,
        after={"reference": loan.reference, "amount": str(loan.amount), "grade": loan.grade},
    )
    # Auto-invest rules go first, each in its own transaction after this one commits (one
    # investor's accounts locked at a time); manual investing opens when they are done.
    enqueue_on_commit("lending.loan_auto_invest", loan.pk)
    return loan
