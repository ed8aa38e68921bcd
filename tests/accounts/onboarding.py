"""Users onboarded through accounts' real services, as the onboarding pages leave them: a
verified sandbox identity (born on BIRTH), then an investor's suitability answers or a
borrower's profile."""

import datetime
from decimal import Decimal as D

from accounts import services as onboarding
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from core.policies import RISK_KEYS

BIRTH = datetime.date(1985, 3, 14)
_seq = iter(range(100, 1000))
SEQUENCES: dict[int, int] = {}  # user id -> the sequence number of their sandbox identity


def verify(user):
    """Submit a sandbox identity (unique to the user) for the user; return them reloaded."""
    n = next(_seq)
    SEQUENCES[user.pk] = n
    onboarding.identity_submit(
        user=user,
        legal_name="王小明",
        national_id=sandbox_national_id(birth=BIRTH, sequence=n),
        phone=sandbox_phone(77_000_000 + n),
        bank_card=sandbox_bank_card(700_000 + n),
    )
    user.refresh_from_db()
    return user


def make_investor(make_user, tolerance="medium", investor_type="retail"):
    """A verified investor with suitability answers; make_user's password stays on them as
    `test_password`."""
    user = verify(make_user("investor"))
    onboarding.investor_profile_submit(
        user=user,
        answers=onboarding.SuitabilityInput(
            risk_tolerance=tolerance,
            investment_experience="moderate",
            risks_acknowledged=frozenset(RISK_KEYS),
            annual_income_amount=D("300000"),
            net_investible_assets_amount=D("500000"),
            investor_type=investor_type,
        ),
    )
    investor = type(user).objects.get(pk=user.pk)
    investor.test_password = user.test_password
    return investor


def make_borrower(make_user, **profile):
    """A verified borrower with a profile (an employee earning 20,000 a month); any keyword
    overrides a profile field."""
    user = verify(make_user("borrower"))
    fields = {
        "employment_status": "employed",
        "employer": "ACME",
        "monthly_income_amount": D("20000"),
        "monthly_obligations_amount": D("3000"),
        "other_platform_outstanding_amount": D("0"),
        "purposes": ["education"],
    }
    fields.update(profile)
    onboarding.borrower_profile_submit(user=user, **fields)
    return type(user).objects.get(pk=user.pk)
