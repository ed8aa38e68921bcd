"""Demo lending data: products, and loans listed by demo borrowers across grades and terms."""

import random
from datetime import timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from lending.adapters.credit_bureau import credit_bureau
from lending.business_date import business_date
from lending.models import Application, Loan, Product, Purpose

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
        "service_fee_rate": D("0.02"),
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
        "rates_by_grade": {"A": "0.0800", "B": "0.0980", "C": "0.1200", "D": "0.1450"},
        "service_fee_rate": D("0.025"),
        "platform_fee_rate": D("0.12"),
        "late_fee_amount": D("100"),
        "penalty_daily_rate": D("0.0005"),
        "grace_days": 5,
        "min_investment_amount": D("100"),
        "investment_step_amount": D("100"),
    },
]

PERMITTED = [
    Purpose.EDUCATION,
    Purpose.HOME_IMPROVEMENT,
    Purpose.MEDICAL,
    Purpose.VEHICLE,
    Purpose.WORKING_CAPITAL,
    Purpose.CONSUMPTION,
    Purpose.EQUIPMENT,
]
REGIONS = ["Shanghai", "Beijing", "Guangdong", "Zhejiang", "Jiangsu", "Sichuan", "Hubei"]
NAMES = ["Z*** W**", "L* N**", "C*** J**", "H** M**", "Y*** X***", "Z**** Q**", "W* F**"]


def seed_products() -> list[Product]:
    return [Product.objects.update_or_create(code=p["code"], defaults=p)[0] for p in PRODUCTS]


def seed_lending(count: int = 24) -> None:
    """Products, and `count` open listings by demo marketplace borrowers (idempotent)."""
    products = seed_products()
    if Loan.objects.exists():
        return
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    User = get_user_model()
    borrower_group = Group.objects.filter(name="borrower").first()
    today = business_date()
    bureau = credit_bureau()
    for i in range(count):
        user, _ = User.objects.get_or_create(email=f"market-borrower{i + 1}@demo.p2p")
        if borrower_group:
            user.groups.add(borrower_group)
        product = products[1 if i % 3 == 2 else 0]
        grade = rng.choice([g for g in "ABCDE" if g in product.rates_by_grade])
        amount = D(rng.choice([5000, 8000, 10000, 20000, 30000, 50000, 80000, 120000]))
        amount = max(amount, product.min_amount)
        term = rng.choice(product.term_options)
        method = rng.choice(product.methods)
        report = bureau.report(national_id_key=f"demo-{i}")
        application = Application.objects.create(
            borrower=user,
            product=product,
            amount=amount,
            term_months=term,
            method=method,
            purpose=rng.choice(PERMITTED),
            status=Application.Status.APPROVED,
            grade=grade,
            annual_rate=product.rate_for(grade),
            bureau_report=report.as_json(),
            decision_reasons=["auto_approved:clean_low_risk"],
            is_auto_decided=True,
        )
        listed = today - timedelta(days=rng.randint(0, 5))
        Loan.objects.create(
            reference=f"LN{listed:%y%m%d}{i + 1:04d}",
            application=application,
            borrower=user,
            product=product,
            amount=amount,
            annual_rate=application.annual_rate,
            term_months=term,
            method=method,
            grade=grade,
            purpose=application.purpose,
            listed_on=listed,
            funding_deadline_on=listed + timedelta(days=product.funding_window_days),
            disclosure={
                "borrower": {
                    "kind": "enterprise" if product.code == "business" else "individual",
                    "name": NAMES[i % len(NAMES)],
                    "region": REGIONS[i % len(REGIONS)],
                    "birth_year": 1970 + (i * 7) % 30,
                    "employment": "employed",
                    "monthly_income_band": rng.choice(
                        ["5,000-10,000", "10,000-20,000", "20,000 and above"]
                    ),
                },
                "credit_report": report.as_json() | {"score": None},
                "purpose_detail": "",
                "risk_warning": "Lending puts your capital at risk; you may lose some or all of "
                "the money you lend.",
            },
        )
