"""Factories for lending records that tests need without walking the whole review path."""

from datetime import timedelta
from decimal import Decimal as D

import factory
from django.utils import timezone

from lending import eligibility
from lending.business_date import business_date
from lending.models import Application, Loan


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    amount = D("10000.00")
    term_months = 12
    method = "equal_installment"
    purpose = "education"
    status = Application.Status.APPROVED
    # The kind submission records: the borrower's kind now (eligibility may be stubbed).
    borrower_kind = factory.LazyAttribute(
        lambda o: getattr(eligibility.borrower_facts(o.borrower), "kind", "individual")
    )
    grade = "B"
    annual_rate = D("0.100000")


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    application = factory.SubFactory(
        ApplicationFactory,
        borrower=factory.SelfAttribute("..borrower"),
        product=factory.SelfAttribute("..product"),
        amount=factory.SelfAttribute("..amount"),
        grade=factory.SelfAttribute("..grade"),
    )
    reference = factory.Sequence(lambda n: f"LNTEST{n:06d}")
    amount = D("10000.00")
    annual_rate = D("0.100000")
    service_fee_rate = factory.SelfAttribute("product.service_fee_rate")
    platform_fee_rate = factory.SelfAttribute("product.platform_fee_rate")
    late_fee_amount = factory.SelfAttribute("product.late_fee_amount")
    penalty_daily_rate = factory.SelfAttribute("product.penalty_daily_rate")
    grace_days = factory.SelfAttribute("product.grace_days")
    term_months = 12
    method = "equal_installment"
    grade = "B"
    purpose = "education"
    listed_on = factory.LazyFunction(business_date)
    funding_deadline_on = factory.LazyFunction(lambda: business_date() + timedelta(days=7))
    auto_invest_done_at = factory.LazyFunction(timezone.now)
    disclosure = factory.LazyFunction(
        lambda: {"borrower": {"name": "Z*** W**"}, "credit_report": {"overdue_records_6m": 0}}
    )
