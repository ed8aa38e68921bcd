"""Affordability as a reviewer reads it: the borrower's declared monthly income and
obligations, and debt-to-income before and with the loan applied for.

Debt-to-income (DTI) is monthly debt payments over monthly income. "With this loan" adds the
largest installment of the loan's own schedule (the first one for equal principal, the
last one, with the principal, for interest-only), so the figure is the heaviest month the
borrower would face. Reads onboarding's facts through lending.eligibility, the one seam.
"""

from dataclasses import dataclass
from decimal import Decimal

from lending import eligibility
from lending.models import Application
from lending.schedules import build_schedule

PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Affordability:
    monthly_income: Decimal
    monthly_obligations: Decimal
    declared_other_borrowing: Decimal
    largest_installment: Decimal | None  # None while the grade is not priced
    currency: str

    @property
    def dti(self) -> Decimal | None:
        """Obligations over income, as a percentage (None without income)."""
        return _percent(self.monthly_obligations, self.monthly_income)

    @property
    def dti_with_loan(self) -> Decimal | None:
        if self.largest_installment is None:
            return None
        return _percent(self.monthly_obligations + self.largest_installment, self.monthly_income)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part * 100 / whole).quantize(PERCENT)


def application_affordability(application: Application) -> Affordability | None:
    """The application's affordability figures, or None when the borrower has no profile."""
    facts = eligibility.borrower_facts(application.borrower)
    if facts is None:
        return None
    installment = None
    if application.annual_rate is not None:
        lines = build_schedule(
            amount=application.amount,
            annual_rate=application.annual_rate,
            term_months=application.term_months,
            method=application.method,
        )
        installment = max(line.total_amount for line in lines)
    return Affordability(
        monthly_income=facts.monthly_income,
        monthly_obligations=facts.monthly_obligations,
        declared_other_borrowing=facts.declared_other_borrowing,
        largest_installment=installment,
        currency=application.currency,
    )
