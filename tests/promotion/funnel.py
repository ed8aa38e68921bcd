"""Move a signed-up customer along the funnel as the real steps leave their records: a
verified identity (the sandbox identity check), a succeeded deposit, a placed investment."""

import datetime
import itertools
from decimal import Decimal

from accounts import services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import User
from custody.models import Deposit, Movement
from lending.models import Investment
from tests.accounts.factories import UserFactory
from tests.lending.factories import InvestmentFactory, LoanFactory, ProductFactory

_people = itertools.count(1)


def verify(email: str) -> User:
    user = User.objects.get(email=email)
    n = next(_people)
    services.identity_submit(
        user=user,
        legal_name="李华",
        national_id=sandbox_national_id(birth=datetime.date(1990, 1, 1), sequence=n),
        phone=sandbox_phone(n),
        bank_card=sandbox_bank_card(n),
    )
    return user


def deposit(email: str, amount: Decimal) -> Deposit:
    user = User.objects.get(email=email)
    return Deposit.objects.create(
        user=user,
        amount=amount,
        status=Movement.Status.SUCCEEDED,
        request_key=f"funnel-{user.pk}-{next(_people)}",
    )


def invest(email: str, amount: Decimal) -> Investment:
    user = User.objects.get(email=email)
    return InvestmentFactory(
        investor=user,
        loan=LoanFactory(borrower=UserFactory(roles=["borrower"]), product=ProductFactory()),
        amount=amount,
        status=Investment.Status.RESERVED,
    )
