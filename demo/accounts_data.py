"""Demo identities and profiles: the demo investor and borrower users, verified through the
same services as real users, with sandbox numbers that pass every check."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from accounts import services
from accounts.adapters.enterprise_registry import sandbox_credit_code
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import BorrowerProfile, Enterprise, Identity, InvestorProfile
from accounts.roles import Role
from core.policies import RISK_KEYS

# email: (legal name, birth date, sequence, area code, investor answers, borrower answers)
DEMO_PEOPLE = {
    "investor@demo.example": (
        "王小明",
        datetime.date(1985, 3, 14),
        1,
        "110105",
        {
            "risk_tolerance": "high",
            "investment_experience": "moderate",
            "annual_income_amount": Decimal("360000.00"),
            "net_investible_assets_amount": Decimal("1500000.00"),
            "investor_type": "retail",
        },
        None,
    ),
    "borrower@demo.example": (
        "李华",
        datetime.date(1992, 7, 2),
        2,
        "440305",
        None,
        {
            "employment_status": "employed",
            "employer": "深圳湾科技有限公司",
            "monthly_income_amount": Decimal("18500.00"),
            "monthly_obligations_amount": Decimal("4200.00"),
            "other_platform_outstanding_amount": Decimal("0.00"),
            "purposes": ["home_improvement", "education"],
        },
    ),
    "both@demo.example": (
        "陈静",
        datetime.date(1979, 11, 23),
        3,
        "310104",
        {
            "risk_tolerance": "very_high",
            "investment_experience": "extensive",
            "annual_income_amount": Decimal("820000.00"),
            "net_investible_assets_amount": Decimal("4200000.00"),
            "investor_type": "sophisticated",
        },
        {
            "employment_status": "business_owner",
            "employer": "陈记茶业",
            "monthly_income_amount": Decimal("68000.00"),
            "monthly_obligations_amount": Decimal("12000.00"),
            "other_platform_outstanding_amount": Decimal("50000.00"),
            "purposes": ["business"],
        },
    ),
    "enterprise@demo.example": (
        "张伟",
        datetime.date(1986, 9, 18),
        4,
        "330106",
        None,
        # An enterprise borrower's profile holds the company's figures.
        {
            "employment_status": "business_owner",
            "employer": "杭州西溪包装材料有限公司",
            "monthly_income_amount": Decimal("420000.00"),
            "monthly_obligations_amount": Decimal("95000.00"),
            "other_platform_outstanding_amount": Decimal("800000.00"),
            "purposes": ["business"],
        },
    ),
}

# email: the company the demo user represents (sandbox credit code, registry says in business).
DEMO_ENTERPRISES = {
    "enterprise@demo.example": {
        "company_name": "杭州西溪包装材料有限公司",
        "credit_code": sandbox_credit_code(2026, division="330106"),
        "registered_address": "浙江省杭州市西湖区文二西路8号",
    },
}


def seed_accounts() -> None:
    """Verify each demo customer's identity and file their profiles; safe to run twice."""
    User = get_user_model()
    for email, (name, birth, seq, area, investor, borrower) in DEMO_PEOPLE.items():
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        if not Identity.objects.filter(user=user).exists():
            services.identity_submit(
                user=user,
                legal_name=name,
                national_id=sandbox_national_id(birth=birth, sequence=seq, area=area),
                phone=sandbox_phone(88_000_000 + seq),
                bank_card=sandbox_bank_card(900_000 + seq),
            )
        roles = [
            r for r, answers in ((Role.INVESTOR, investor), (Role.BORROWER, borrower)) if answers
        ]
        services.role_grant(user=user, roles=roles)
        company = DEMO_ENTERPRISES.get(email)
        if company and not Enterprise.objects.filter(user=user).exists():
            # The demo user is the company's legal representative, as the platform requires.
            services.enterprise_submit(
                user=user,
                legal_representative_name=name,
                legal_representative_id=sandbox_national_id(birth=birth, sequence=seq, area=area),
                **company,
            )
        if investor and not InvestorProfile.objects.filter(user=user).exists():
            services.investor_profile_submit(
                user=user,
                answers=services.SuitabilityInput(
                    risks_acknowledged=frozenset(RISK_KEYS), **investor
                ),
            )
        if borrower and not BorrowerProfile.objects.filter(user=user).exists():
            services.borrower_profile_submit(user=user, **borrower)
