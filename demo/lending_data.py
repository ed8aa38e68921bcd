"""Demo lending data, made through the same services as real use: products; borrowers who
apply, are reviewed and accept their offers; investors who deposit, invest and auto-invest;
loans open, funded, waiting for a second approver, repaying, and expired; and the demo
borrower's own offer, waiting for an answer."""

import datetime
import random
from datetime import timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model

from accounts import services as onboarding
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import Identity
from accounts.roles import Role
from core.policies import RISK_KEYS
from custody.errors import InsufficientFunds
from custody.services.movements import deposit_request, deposit_settle
from demo.clock import demo_clock
from lending.business_date import business_date
from lending.errors import LendingError
from lending.models import Application, AutoInvestRule, Loan, Product
from lending.services.applications import application_decide, application_review, application_submit
from lending.services.auto_invest import auto_invest_run
from lending.services.batch import run_daily
from lending.services.disbursements import disbursement_approve, disbursement_start
from lending.services.investments import investment_place
from lending.services.offers import offer_accept

PRODUCTS = [
    {
        "code": "personal",
        "name": "Personal loan",
        "description": "For individuals: 3 to 36 months, three repayment methods.",
        "term_options": [3, 6, 12, 24, 36],
        "min_amount": D("1000"),
        "max_amount": D("200000"),
        "methods": ["equal_installment", "equal_principal", "interest_only"],
        "rates_by_grade": {
            "A": "0.0720",
            "B": "0.0895",
            "C": "0.1100",
            "D": "0.1350",
            "E": "0.1600",
        },
        # Every grade's APR stays under the 24% cost ceiling, even at 3 months (lending.cost).
        "service_fee_rate": D("0.01"),
        "platform_fee_rate": D("0.10"),
        "late_fee_amount": D("50"),
        "penalty_daily_rate": D("0.0005"),
        "grace_days": 3,
    },
    {
        "code": "business",
        "name": "Small business loan",
        "description": "Working capital and equipment for small firms: 6 to 36 months.",
        "term_options": [6, 12, 24, 36],
        "min_amount": D("10000"),
        "max_amount": D("1000000"),
        "methods": ["equal_installment", "interest_only"],
        "rates_by_grade": {
            "A": "0.0800",
            "B": "0.0980",
            "C": "0.1200",
            "D": "0.1450",
            "E": "0.1700",
        },
        "service_fee_rate": D("0.015"),
        "platform_fee_rate": D("0.12"),
        "late_fee_amount": D("100"),
        "penalty_daily_rate": D("0.0005"),
        "grace_days": 5,
        "min_investment_amount": D("100"),
        "investment_step_amount": D("100"),
    },
]

# What individuals borrow for (business purposes are the enterprise's).
PURPOSES = ["education", "home_improvement", "medical", "vehicle", "consumption"]
EMPLOYMENT = ["employed", "self_employed", "business_owner", "employed"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
# The recent listings' day: loans paid out then are repaying today (the year before it is
# demo.servicing_data's history).
RECENT_DAYS = 14


def seed_products() -> list[Product]:
    return [Product.objects.update_or_create(code=p["code"], defaults=p)[0] for p in PRODUCTS]


def _person(email: str, n: int, role: Role):
    """A verified customer with the given role (sandbox identity numbers, unique by n)."""
    user, _ = get_user_model().objects.get_or_create(email=email)
    if not Identity.objects.filter(user=user).exists():
        onboarding.identity_submit(
            user=user,
            legal_name=SURNAMES[n % len(SURNAMES)] + "小" + "明华静伟芳"[n % 5],
            national_id=sandbox_national_id(
                birth=datetime.date(1970 + n % 30, 1 + n % 12, 1 + n % 28), sequence=400 + n
            ),
            phone=sandbox_phone(66_000_000 + n),
            bank_card=sandbox_bank_card(600_000 + n),
        )
    onboarding.role_grant(user=user, roles=[role])
    return get_user_model().objects.get(pk=user.pk)


def _deposit(user, amount: D, key: str) -> None:
    deposit = deposit_request(user=user, amount=amount, request_key=key)
    deposit_settle(
        deposit_id=deposit.pk, succeeded=True, amount=amount, custodian_ref=f"demo-{key}"
    )


def _investor(n: int):
    user = _person(f"market-investor{n}@demo.example", n, Role.INVESTOR)
    if not hasattr(user, "investor_profile"):
        onboarding.investor_profile_submit(
            user=user,
            answers=onboarding.SuitabilityInput(
                risk_tolerance="very_high",
                investment_experience="extensive",
                risks_acknowledged=frozenset(RISK_KEYS),
                annual_income_amount=D("900000"),
                net_investible_assets_amount=D("6000000"),
                investor_type="sophisticated",
            ),
        )
        _deposit(user, D("400000.00"), f"market-investor{n}")
    return get_user_model().objects.get(pk=user.pk)


def _borrower(n: int, rng: random.Random, email: str = ""):
    """A market borrower (or, with `email`, the history's), with a borrower profile."""
    offset = 300 if email else 100
    user = _person(email or f"market-borrower{n}@demo.example", offset + n, Role.BORROWER)
    if not hasattr(user, "borrower_profile"):
        income = D(rng.choice([9000, 15000, 22000, 35000, 60000]))
        onboarding.borrower_profile_submit(
            user=user,
            employment_status=EMPLOYMENT[n % len(EMPLOYMENT)],
            employer="",
            monthly_income_amount=income,
            monthly_obligations_amount=(income * D("0.2")).quantize(D("1")),
            other_platform_outstanding_amount=D("0"),
            purposes=["education"],
        )
    return get_user_model().objects.get(pk=user.pk)


def _listed_loan(
    borrower, product, rng, reviewer, *, amount=None, purpose=None, detail=""
) -> Loan | None:
    """Apply, let the automatic review run, have the demo reviewer decide the rest, and
    accept the offer (which lists the loan)."""
    if amount is None:
        amount = D(rng.choice([5000, 8000, 10000, 20000, 30000, 50000, 80000, 120000]))
    application = application_submit(
        borrower=borrower,
        product_id=product.pk,
        amount=amount.max(product.min_amount),
        term_months=rng.choice(product.term_options),
        method=rng.choice(product.methods),
        purpose=purpose or rng.choice(PURPOSES),
        purpose_detail=detail,
    )
    application = application_review(application_id=application.pk)
    if application.status == Application.Status.UNDER_REVIEW:
        application_decide(
            application_id=application.pk,
            reviewer=reviewer,
            decision="approve",
            reason="Income and employment checked (demo).",
        )
    application.refresh_from_db()
    if application.has_open_offer:
        offer_accept(application_id=application.pk, borrower=borrower)
    loan = Loan.objects.filter(application=application).first()
    if loan is not None:
        auto_invest_run(loan_id=loan.pk)  # what the worker does after the listing commits
    return loan


def _offered(borrower, product, reviewer) -> Application:
    """An application approved with its final offer open (the demo reviewer approves it if
    the automatic review leaves it to a person)."""
    application = application_submit(
        borrower=borrower,
        product_id=product.pk,
        amount=D("30000"),
        term_months=12,
        method="equal_installment",
        purpose="home_improvement",
        purpose_detail="A new kitchen for the flat.",
    )
    application = application_review(application_id=application.pk)
    if application.status == Application.Status.UNDER_REVIEW:
        application = application_decide(
            application_id=application.pk,
            reviewer=reviewer,
            decision="approve",
            reason="Income and employment checked (demo).",
        )
    return application


def _fund(loan: Loan, investors, rng, share: D) -> None:
    """Invest until `share` of the loan is funded, in steps, from random investors."""
    step = loan.product.investment_step_amount
    target = (loan.amount * share / step).to_integral_value() * step
    i = 0
    while True:
        loan.refresh_from_db()
        left = min(target - loan.funded_amount, loan.amount - loan.funded_amount)
        if left < loan.product.min_investment_amount or loan.status != Loan.Status.OPEN:
            return
        ticket = min(left, step * rng.choice([5, 10, 20, 50, 100]))
        investor = investors[rng.randrange(len(investors))]
        investment_place(
            investor=investor, loan_id=loan.pk, amount=ticket, idempotency_key=f"demo-{loan.pk}-{i}"
        )
        i += 1


def seed_lending(advance_to=None) -> None:
    """Products, then loans (once: a rerun finds them). `advance_to(day)` runs the business
    days up to `day` (demo.servicing_data's history); by default the batch for that day."""
    seed_products()
    _seed_loans(advance_to or (lambda on: run_daily(as_of=on)))


def _seed_loans(advance_to) -> None:
    if Loan.objects.filter(borrower__email__startswith="market-borrower").exists():
        return
    personal = Product.objects.get(code="personal")
    business = Product.objects.get(code="business")
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    User = get_user_model()
    reviewer = User.objects.get(email="reviewer@demo.example")
    approver = User.objects.get(email="approver@demo.example")
    approver2 = User.objects.get(email="approver2@demo.example")

    # Individuals borrow under the personal product; the business product is the demo
    # enterprise's (below).
    today = business_date()
    borrowers = iter(_borrower(n, rng) for n in range(40))
    # Two weeks ago, on that day's clock (demo.clock), so no investment is dated after its
    # loan's funding closed: listings that missed their deadline (expired by the batch the
    # day after it, as advance_to replays the days), and loans that filled and were paid out.
    with demo_clock(today - timedelta(days=RECENT_DAYS)):
        investors = [_investor(n) for n in range(10)]
        for _ in range(3):
            loan = _listed_loan(next(borrowers), personal, rng, reviewer)
            if loan:
                _fund(loan, investors, rng, D("0.4"))
        for _ in range(5):
            loan = _listed_loan(next(borrowers), personal, rng, reviewer)
            if loan:
                _fund(loan, investors, rng, D("1"))
                disbursement = disbursement_start(loan_id=loan.pk, maker=approver)
                if disbursement.status == "pending_approval":
                    disbursement_approve(loan_id=loan.pk, checker=approver2)
    advance_to(today)
    both = User.objects.filter(email="both@demo.example").first()
    if both is not None and hasattr(both, "investor_profile"):
        _deposit(both, D("100000.00"), "demo-both")
        AutoInvestRule.objects.get_or_create(
            investor=both,
            defaults={
                "grades": ["A", "B", "C"],
                "min_term_months": 3,
                "max_term_months": 24,
                "amount_per_loan": D("1000"),
                "keep_cash_amount": D("20000"),
                "max_borrower_share": D("0.2"),
            },
        )
    # Today: funded loans waiting for ops, and the open marketplace.
    for _ in range(2):
        loan = _listed_loan(next(borrowers), personal, rng, reviewer)
        if loan:
            _fund(loan, investors, rng, D("1"))
            if loan.amount > D("50000"):
                disbursement_start(loan_id=loan.pk, maker=approver)
    for _ in range(24):
        loan = _listed_loan(next(borrowers), personal, rng, reviewer)
        if loan:
            _fund(loan, investors, rng, D(rng.choice(["0", "0.1", "0.3", "0.6", "0.9"])))
    # The demo enterprise borrower: above an individual's 200,000 cap, within the company's
    # 1,000,000 (the reviewer approves it; the bureau's grade decides whether it can list).
    company = User.objects.filter(email="enterprise@demo.example").first()
    if company is not None and hasattr(company, "enterprise"):
        loan = _listed_loan(
            company,
            business,
            rng,
            reviewer,
            amount=D("600000"),
            purpose="working_capital",
            detail="Working capital for a second corrugated-board line.",
        )
        if loan:
            _fund(loan, investors, rng, D("0.1"))
    # The demo investor's own holdings: a few tickets in open loans within their risk level.
    demo_investor = User.objects.filter(email="investor@demo.example").first()
    if demo_investor is not None and hasattr(demo_investor, "investor_profile"):
        open_loans = Loan.objects.filter(status=Loan.Status.OPEN).order_by("id")
        placed = 0
        for loan in open_loans:
            if placed == 4:
                break
            try:
                investment_place(
                    investor=demo_investor,
                    loan_id=loan.pk,
                    amount=loan.product.investment_step_amount * 20,
                    idempotency_key=f"demo-investor-{loan.pk}",
                )
                placed += 1
            except (LendingError, InsufficientFunds):
                continue  # above their risk level or nearly full: try the next loan
    # The demo borrower's own application, approved: the offer waits for them to answer.
    demo_borrower = User.objects.filter(email="borrower@demo.example").first()
    if demo_borrower is not None and hasattr(demo_borrower, "borrower_profile"):
        _offered(demo_borrower, personal, reviewer)
    # Left for the reviewers' queue: above the auto-approve limit.
    for _ in range(3):
        borrower = next(borrowers)
        application = application_submit(
            borrower=borrower,
            product_id=personal.pk,
            amount=D("150000"),
            term_months=24,
            method="equal_installment",
            purpose="home_improvement",
            purpose_detail="A new kitchen and bathroom for the family flat.",
        )
        application_review(application_id=application.pk)
