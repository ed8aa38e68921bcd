"""Loan agreements: the PDF generated once when a borrower accepts the offer and the loan is
listed, stored through Django's storage with its SHA-256 (WeasyPrint renders the template).

One document serves every party. The parties are pseudonymous in it: the borrower appears
by the masked name investors already see on the loan page, the lenders by the platform's
register of the loan's tickets. So the bytes the borrower downloads are the bytes each
investor downloads, and one hash proves them all.
"""

import hashlib

import weasyprint
from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from lending.cost import offer_figures
from lending.models import Loan, LoanAgreement
from lending.services.listings import RISK_WARNING

# Changes whenever the template's terms change: the audit event of an acceptance names it.
AGREEMENT_VERSION = "2026-12.1"


def agreement_html(*, loan: Loan, accepted_at, apr) -> str:
    """The agreement of `loan` as the HTML the PDF is made from."""
    figures = offer_figures(
        amount=loan.amount,
        annual_rate=loan.annual_rate,
        term_months=loan.term_months,
        method=loan.method,
        service_fee_rate=loan.service_fee_rate,
    )
    return render_to_string(
        "lending/loanagreement_pdf.html",
        {
            "loan": loan,
            "borrower": (loan.disclosure or {}).get("borrower", {}),
            "figures": figures,
            "apr": apr,
            "accepted_at": accepted_at,
            "version": AGREEMENT_VERSION,
            "risk_warning": RISK_WARNING,
        },
    )


def agreement_render(*, loan: Loan, accepted_at, apr) -> bytes:
    """The agreement of `loan` as PDF bytes."""
    html = agreement_html(loan=loan, accepted_at=accepted_at, apr=apr)
    # No base URL: the template carries its own styles and fetches nothing.
    return weasyprint.HTML(string=html).write_pdf()


def agreement_create(*, loan: Loan, accepted_at, apr) -> LoanAgreement:
    """Render, store and record the agreement of a newly listed loan, with its hash. Called
    once, inside the acceptance's transaction (the one-per-loan row refuses a second)."""
    pdf = agreement_render(loan=loan, accepted_at=accepted_at, apr=apr)
    agreement = LoanAgreement(
        loan=loan, version=AGREEMENT_VERSION, sha256=hashlib.sha256(pdf).hexdigest()
    )
    agreement.file.save(f"{loan.reference}-agreement.pdf", ContentFile(pdf), save=False)
    agreement.save()
    return agreement
