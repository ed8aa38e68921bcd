"""Referral scenarios as the real steps leave them: a referrer verified through the sandbox
identity check, a referee signed up through the code, the referee's investments lent out."""

import datetime
import itertools
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts import services as accounts
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from custody.models import LedgerAccount
from lending.models import Investment, Product
from promotion.models import Referral
from promotion.services.referrals import referral_code_get, referral_record
from tests.accounts.factories import UserFactory
from tests.lending.factories import InvestmentFactory, LoanFactory, ProductFactory

# Sandbox identity sequence numbers, away from other tests' (funnel.py counts from 1).
_people = itertools.count(500)
BIRTH = datetime.date(1990, 1, 1)


def details(n: int) -> dict:
    """Passing sandbox identity details for person number n."""
    return {
        "legal_name": "李华",
        "national_id": sandbox_national_id(birth=BIRTH, sequence=n),
        "phone": sandbox_phone(n),
        "bank_card": sandbox_bank_card(n),
    }


def verified(user=None, *, n: int | None = None):
    """A customer with a verified identity (the real sandbox check); returns (user, n)."""
    user = user or UserFactory()
    n = next(_people) if n is None else n
    accounts.identity_submit(user=user, **details(n))
    return user


def referrer_and_code():
    referrer = verified()
    return referrer, referral_code_get(referrer).code


def referee_of(code: str, *, signed_up_at=None) -> tuple:
    """A new user recorded as referred through `code`; returns (user, referral)."""
    user = UserFactory()
    referral = referral_record(
        referee_id=user.pk, code=code, signed_up_at=signed_up_at or timezone.now()
    )
    return user, referral


def _product():
    return Product.objects.order_by("id").first() or ProductFactory()


def invested(user, amount, *, status=Investment.Status.ACTIVE, at=None) -> Investment:
    """An investment of the user in a loan of its own, in `status` (lent out by default),
    placed at `at` (default now)."""
    investment = InvestmentFactory(
        investor=user,
        loan=LoanFactory(borrower=UserFactory(roles=["borrower"]), product=_product()),
        amount=Decimal(amount),
        status=status,
    )
    if at is not None:
        Investment.objects.filter(pk=investment.pk).update(created_at=at)
        investment.refresh_from_db()
    return investment


def budget_balance() -> Decimal:
    return (
        LedgerAccount.objects.filter(owner__isnull=True, kind=LedgerAccount.Kind.MARKETING_BUDGET)
        .values_list("balance_amount", flat=True)
        .first()
    ) or Decimal("0.00")


def after_window(referral: Referral) -> datetime.datetime:
    return referral.signed_up_at + timedelta(days=settings.REFERRAL_WINDOW_DAYS, seconds=1)
