"""Lending fixtures: products, and onboarding facts stubbed at lending's one seam
(lending.eligibility) until the onboarding models are merged."""

from decimal import Decimal as D

import pytest
from django.core.cache import cache

from lending import eligibility, pagination
from lending.eligibility import BorrowerFacts, InvestorLimits, ReviewIdentifiers
from tests.ledger import fund
from tests.lending.factories import LoanFactory, ProductFactory


class Onboarding:
    """Facts per user id that lending.eligibility returns in these tests."""

    def __init__(self):
        self.verified: set[int] = set()
        self.borrowers: dict[int, BorrowerFacts] = {}
        self.identifiers: dict[int, ReviewIdentifiers] = {}
        self.investors: dict[int, InvestorLimits] = {}
        self.signals: dict[int, list[str]] = {}

    def borrower(self, user, *, verified=True, national_id=None, phone=None, **overrides):
        """A borrower with these facts; `national_id` (which the sandbox bureau's report
        follows) and `phone` default to values unique to the user."""
        facts = {
            "identity_verified": verified,
            "kind": "individual",
            "monthly_income": D("20000"),
            "monthly_obligations": D("2000"),
            "declared_other_borrowing": D("0"),
            "masked": {"name": "Z*** W**", "region": "Shanghai", "birth_year": 1988},
        }
        facts.update(overrides)
        if verified:
            self.verified.add(user.pk)
        self.borrowers[user.pk] = BorrowerFacts(**facts)
        self.identifiers[user.pk] = ReviewIdentifiers(
            national_id=national_id or f"NID{user.pk}",
            phone=phone or f"1390000{user.pk:04d}",
            bank_card=f"62220000{user.pk:08d}",
        )
        return user

    def investor(
        self, user, *, verified=True, max_grade="E", per_loan=D("100000"), total=D("1000000")
    ):
        if verified:
            self.verified.add(user.pk)
        self.investors[user.pk] = InvestorLimits(
            identity_verified=verified,
            max_grade=max_grade,
            per_loan_limit=per_loan,
            total_limit=total,
        )
        return user


@pytest.fixture
def onboarding(monkeypatch):
    state = Onboarding()
    monkeypatch.setattr(eligibility, "identity_verified", lambda u: u.pk in state.verified)
    monkeypatch.setattr(eligibility, "borrower_facts", lambda u: state.borrowers.get(u.pk))
    monkeypatch.setattr(
        eligibility,
        "review_identifiers",
        lambda u: state.identifiers.get(u.pk, ReviewIdentifiers()),
    )
    monkeypatch.setattr(eligibility, "investor_limits", lambda u: state.investors.get(u.pk))
    monkeypatch.setattr(
        eligibility,
        "investor_limits_many",
        lambda ids: (
            state.verified & set(ids),
            {pk: state.investors[pk] for pk in ids if pk in state.investors},
        ),
    )
    monkeypatch.setattr(eligibility, "fraud_signal_kinds", lambda u: state.signals.get(u.pk, []))
    return state


@pytest.fixture
def product(db):
    return ProductFactory()


@pytest.fixture
def large_marketplace(monkeypatch):
    """Pretend the marketplace is large: every list counts as one to cache (so a valid
    rendering would be cached)."""
    monkeypatch.setattr(pagination, "CACHE_COUNTS_FROM", 1)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def borrower(make_user, onboarding):
    return onboarding.borrower(make_user("borrower"))


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer")


def submit_application(borrower, product, **kw):
    """Submit an application with the tests' usual terms (20,000 over 12 months, equal
    installments, for education); any keyword overrides one of them."""
    from lending.services.applications import application_submit

    args = {
        "product_id": product.id,
        "amount": D("20000"),
        "term_months": 12,
        "method": "equal_installment",
        "purpose": "education",
    }
    args.update(kw)
    return application_submit(borrower=borrower, **args)


def national_id_scoring(score_min: int, score_max: int, *, overdue: int | None = 0, other_max=None):
    """A national ID whose sandbox bureau report falls in the given score band."""
    from lending.adapters.credit_bureau import SandboxCreditBureau

    bureau = SandboxCreditBureau()
    for i in range(100_000):
        key = f"PROBE{i}"
        r = bureau.report(national_id=key)
        if not (score_min <= r.score <= score_max):
            continue
        if overdue is not None and r.overdue_records_6m != overdue:
            continue
        if other_max is not None and r.other_platform_borrowing > other_max:
            continue
        return key
    raise AssertionError("no key found")


@pytest.fixture
def open_loan(make_user, onboarding, product):
    """An open 10,000.00 grade-B loan (100 steps of 100.00) listed today."""
    borrower = onboarding.borrower(make_user("borrower"))
    return LoanFactory(borrower=borrower, product=product, amount=D("10000.00"), grade="B")


@pytest.fixture
def investor(make_user, onboarding):
    user = onboarding.investor(make_user("investor"))
    return fund(user, "50000.00")
