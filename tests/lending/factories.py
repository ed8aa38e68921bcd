"""Factories of lending records, for tests that need them without walking the whole review
and investment path: products, applications, listed loans, investment orders, auto-invest
rules."""

from datetime import timedelta
from decimal import Decimal as D

import factory
from django.utils import timezone

from lending import eligibility
from lending.business_date import business_date
from lending.models import Application, AutoInvestRule, Investment, Loan, Product


class ProductFactory(factory.django.DjangoModelFactory):
    """The personal loan: 1,000 to 200,000 over 3 to 24 months, investments in steps of 100."""

    class Meta:
        model = Product

    code = "personal"
    name = "Personal loan"
    term_options = factory.LazyFunction(lambda: [3, 6, 12, 24])
    min_amount = D("1000")
    max_amount = D("200000")
    methods = factory.LazyFunction(
        lambda: ["equal_installment", "equal_principal", "interest_only"]
    )
    rates_by_grade = factory.LazyFunction(
        lambda: {"A": "0.0800", "B": "0.1000", "C": "0.1200", "D": "0.1500", "E": "0.1800"}
    )
    service_fee_rate = D("0.02")
    platform_fee_rate = D("0.10")
    late_fee_amount = D("50")
    penalty_daily_rate = D("0.0005")
    grace_days = 3
    funding_window_days = 7
    min_investment_amount = D("100")
    investment_step_amount = D("100")
    cooling_off_hours = 24


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
    # An approved application's offer was accepted (its loan is listed) unless a test says
    # otherwise; before approval there is no offer.
    offer_status = factory.LazyAttribute(
        lambda o: (
            Application.OfferStatus.ACCEPTED if o.status == Application.Status.APPROVED else ""
        )
    )


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


class InvestmentFactory(factory.django.DjangoModelFactory):
    """An order as the first step of a placement commits it: pending, under its key."""

    class Meta:
        model = Investment

    amount = D("100.00")
    status = Investment.Status.PENDING
    idempotency_key = factory.Sequence(lambda n: f"order-{n}")


class AutoInvestRuleFactory(factory.django.DjangoModelFactory):
    """A rule investing 2,000.00 in each grade-B loan, up to the whole of a borrower."""

    class Meta:
        model = AutoInvestRule

    grades = factory.LazyFunction(lambda: ["B"])
    amount_per_loan = D("2000")
    max_borrower_share = D("1")
