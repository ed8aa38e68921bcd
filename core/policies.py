"""The platform's limits as pure maths: investor suitability (questionnaire answers -> risk
level, loan grade, limits), the loan grade scale, and borrowers' borrowing caps.

A leaf module: no ORM and no app imports, so any app may call it and tests need no database.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import money

# Risk levels from most to least cautious; the index is the level's rank.
RISK_LEVELS = ("conservative", "moderate", "balanced", "growth", "aggressive")
# The riskiest loan grade each level may buy (grades run A, safest, to E).
MAX_LOAN_GRADE = {
    "conservative": "A",
    "moderate": "B",
    "balanced": "C",
    "growth": "D",
    "aggressive": "E",
}
# The loan grades, safest first: the one scale of the review, the marketplace and suitability.
LOAN_GRADES = ("A", "B", "C", "D", "E")
# The score band the review declines (no grade is offered).
DECLINED_GRADE = "HR"

RISK_TOLERANCES = ("very_low", "low", "medium", "high", "very_high")
# Experience caps the level a stated tolerance can reach: an investor who never lent
# cannot be placed above "moderate" however bold the answer (FCA COBS 10 appropriateness).
INVESTMENT_EXPERIENCE_CAP = {
    "none": "moderate",
    "limited": "balanced",
    "moderate": "growth",
    "extensive": "aggressive",
}
INVESTOR_TYPES = ("retail", "sophisticated")
# Only sophisticated investors reach the top level: retail stops one short.
RETAIL_HIGHEST_LEVEL = "growth"

# The ten risks a lender must acknowledge before investing (China 2017 Disclosure
# Guidelines risk notice; FCA PS19/14 appropriateness topics).
RISKS = (
    ("total_loss", _("You may lose all the money you lend.")),
    (
        "no_deposit_insurance",
        _("Loans are not bank deposits and no deposit insurance covers them."),
    ),
    ("illiquidity", _("You may not be able to get your money back before a loan ends.")),
    ("borrower_default", _("Borrowers may stop paying, partly or entirely.")),
    ("platform_failure", _("The platform may fail; loans would then be run off by a successor.")),
    (
        "concentration",
        _("Lending a large share to few borrowers multiplies the harm of one default."),
    ),
    ("interest_rate", _("Rates elsewhere may rise while your loans keep their fixed rate.")),
    ("fraud", _("Borrowers may give false information despite the platform's checks.")),
    ("repayment_delay", _("Repayments may arrive late, and recovery takes time.")),
    ("tax", _("Interest is taxable income; you are responsible for declaring it.")),
)
RISK_KEYS = tuple(key for key, _text in RISKS)

# Thresholds for the sophisticated (qualified) investor, after the PRC 2018 asset
# management rules: financial assets of 3,000,000 or yearly income of 500,000.
SOPHISTICATED_MIN_NET_ASSETS = Decimal("3000000.00")
SOPHISTICATED_MIN_ANNUAL_INCOME = Decimal("500000.00")


class SuitabilityRefused(ValueError):
    """The answers cannot be assessed; `code` names why (the caller maps it to its error)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SuitabilityAnswers:
    risk_tolerance: str
    investment_experience: str
    risks_acknowledged: frozenset[str]
    annual_income: Decimal
    net_investible_assets: Decimal
    investor_type: str


@dataclass(frozen=True)
class Suitability:
    risk_level: str
    max_loan_grade: str
    per_loan_limit: Decimal
    total_limit: Decimal


def missing_acknowledgements(acknowledged) -> list[str]:
    """The risk keys not yet acknowledged, in the order the questionnaire lists them."""
    given = set(acknowledged)
    return [key for key in RISK_KEYS if key not in given]


def qualifies_as_sophisticated(
    *,
    annual_income: Decimal,
    net_investible_assets: Decimal,
    min_net_assets: Decimal = SOPHISTICATED_MIN_NET_ASSETS,
    min_annual_income: Decimal = SOPHISTICATED_MIN_ANNUAL_INCOME,
) -> bool:
    return net_investible_assets >= min_net_assets or annual_income >= min_annual_income


def risk_level(*, risk_tolerance: str, investment_experience: str, investor_type: str) -> str:
    """The lowest of: the stated tolerance, the experience cap, the investor-type cap."""
    ranks = [
        RISK_TOLERANCES.index(risk_tolerance),
        RISK_LEVELS.index(INVESTMENT_EXPERIENCE_CAP[investment_experience]),
    ]
    if investor_type == "retail":
        ranks.append(RISK_LEVELS.index(RETAIL_HIGHEST_LEVEL))
    return RISK_LEVELS[min(ranks)]


def grade_allowed(*, max_loan_grade: str, grade: str) -> bool:
    """Whether a loan of `grade` is within an investor's highest allowed grade."""
    return LOAN_GRADES.index(grade) <= LOAN_GRADES.index(max_loan_grade)


def investment_limits(
    *,
    investor_type: str,
    net_investible_assets: Decimal,
    retail_cap_share: Decimal,
    per_loan_share: Decimal,
) -> tuple[Decimal, Decimal]:
    """(per-loan limit, total limit) in money.

    Retail investors may commit at most `retail_cap_share` of their declared net
    investible assets (FCA PS19/14: 10% for restricted investors); sophisticated
    investors up to all of it. No single loan may take more than `per_loan_share` of
    the total, so a full portfolio spreads over at least 1/per_loan_share loans.
    """
    if net_investible_assets < 0:
        raise SuitabilityRefused(
            "invalid_amount", gettext("Net investible assets cannot be negative.")
        )
    share = retail_cap_share if investor_type == "retail" else Decimal(1)
    total = money.quantize_down(net_investible_assets * share)
    per_loan = money.quantize_down(total * per_loan_share)
    return per_loan, total


def assess_suitability(
    answers: SuitabilityAnswers,
    *,
    retail_cap_share: Decimal,
    per_loan_share: Decimal,
) -> Suitability:
    """Assess a complete questionnaire; refuse unacknowledged risks and unmet thresholds."""
    if answers.risk_tolerance not in RISK_TOLERANCES:
        raise SuitabilityRefused("invalid_answer", gettext("Unknown risk tolerance."))
    if answers.investment_experience not in INVESTMENT_EXPERIENCE_CAP:
        raise SuitabilityRefused("invalid_answer", gettext("Unknown investment experience."))
    if answers.investor_type not in INVESTOR_TYPES:
        raise SuitabilityRefused("invalid_answer", gettext("Unknown investor type."))
    if answers.annual_income < 0 or answers.net_investible_assets < 0:
        raise SuitabilityRefused("invalid_amount", gettext("Amounts cannot be negative."))
    missing = missing_acknowledgements(answers.risks_acknowledged)
    if missing:
        raise SuitabilityRefused(
            "risks_not_acknowledged",
            gettext("Every risk must be acknowledged before investing: %(risks)s.")
            % {"risks": ", ".join(missing)},
        )
    if answers.investor_type == "sophisticated" and not qualifies_as_sophisticated(
        annual_income=answers.annual_income,
        net_investible_assets=answers.net_investible_assets,
    ):
        raise SuitabilityRefused(
            "sophisticated_not_qualified",
            gettext(
                "A sophisticated investor needs net investible assets of at least "
                "%(assets)s or annual income of at least %(income)s."
            )
            % {
                "assets": f"{SOPHISTICATED_MIN_NET_ASSETS:,}",
                "income": f"{SOPHISTICATED_MIN_ANNUAL_INCOME:,}",
            },
        )
    level = risk_level(
        risk_tolerance=answers.risk_tolerance,
        investment_experience=answers.investment_experience,
        investor_type=answers.investor_type,
    )
    per_loan, total = investment_limits(
        investor_type=answers.investor_type,
        net_investible_assets=answers.net_investible_assets,
        retail_cap_share=retail_cap_share,
        per_loan_share=per_loan_share,
    )
    return Suitability(
        risk_level=level,
        max_loan_grade=MAX_LOAN_GRADE[level],
        per_loan_limit=per_loan,
        total_limit=total,
    )


# --- Borrowing caps (Interim Measures art. 17) -------------------------------------------
# The caps themselves are settings (LENDING_CAP_*); this is the maths of the headroom.


@dataclass(frozen=True)
class Caps:
    """The two caps of one kind of borrower: `individual` or `enterprise`."""

    platform: Decimal
    total: Decimal
    kind: str = "individual"


@dataclass(frozen=True)
class Headroom:
    """How much more a borrower may borrow, and which cap binds."""

    platform_left: Decimal
    total_left: Decimal
    caps: Caps | None = None

    @property
    def amount(self) -> Decimal:
        return max(Decimal("0.00"), min(self.platform_left, self.total_left))

    @property
    def binding_cap(self) -> str:
        return "platform" if self.platform_left <= self.total_left else "total"


def borrowing_headroom(
    *, caps: Caps, platform_outstanding: Decimal, other_platforms_outstanding: Decimal
) -> Headroom:
    """Headroom under both caps: this platform's, and all platforms' together."""
    return Headroom(
        platform_left=caps.platform - platform_outstanding,
        total_left=caps.total - platform_outstanding - other_platforms_outstanding,
        caps=caps,
    )


def within_caps(
    *,
    caps: Caps,
    amount: Decimal,
    platform_outstanding: Decimal,
    other_platforms_outstanding: Decimal,
) -> bool:
    headroom = borrowing_headroom(
        caps=caps,
        platform_outstanding=platform_outstanding,
        other_platforms_outstanding=other_platforms_outstanding,
    )
    return amount <= headroom.amount
