"""Auto-invest: matching rules invest when a loan opens, within the auto-invest slice."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group

from lending.models import Investment
from lending.services.auto_invest import auto_invest_run
from tests.ledger import available, fund
from tests.lending.factories import AutoInvestRuleFactory, LoanFactory

pytestmark = pytest.mark.django_db


def test_matching_rules_invest_up_to_the_slice(make_user, onboarding, product):
    investors = [fund(onboarding.investor(make_user("investor")), "10000") for _ in range(5)]
    for user in investors:
        AutoInvestRuleFactory(investor=user)
    loser = fund(onboarding.investor(make_user("investor")), "10000")
    AutoInvestRuleFactory(investor=loser, grades=["A"])
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower, product=product, amount=D("10000"), grade="B", auto_invest_done_at=None
    )
    placed = auto_invest_run(loan_id=loan.pk)
    loan.refresh_from_db()
    assert loan.funded_amount == D("5000.00")  # 50% slice
    assert sum(i.amount for i in placed) == D("5000.00")
    assert {i.source for i in placed} == {"auto"}
    assert not Investment.objects.filter(investor=loser).exists()
    assert auto_invest_run(loan_id=loan.pk) == []


def test_rule_keeps_cash_and_respects_the_borrower_share(make_user, onboarding, product):
    keeper = fund(onboarding.investor(make_user("investor")), "2500")
    AutoInvestRuleFactory(investor=keeper, keep_cash_amount=D("1000"))
    shy = fund(onboarding.investor(make_user("investor")), "10000")
    AutoInvestRuleFactory(investor=shy, max_borrower_share=D("0.05"))
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower, product=product, amount=D("10000"), grade="B", auto_invest_done_at=None
    )
    auto_invest_run(loan_id=loan.pk)
    assert Investment.objects.get(investor=keeper).amount == D("1500.00")
    assert available(keeper) == D("1000.00")
    assert Investment.objects.get(investor=shy).amount == D("500.00")


def test_a_rule_whose_investor_became_staff_is_skipped(make_user, onboarding, product):
    # A rule saved while a customer, whose owner was then given a staff role: staff never
    # invest (DESIGN.md section 7), and the other rules still run.
    promoted = fund(onboarding.investor(make_user("investor")), "10000")
    AutoInvestRuleFactory(investor=promoted)
    promoted.groups.add(Group.objects.get(name="reviewer"))
    other = fund(onboarding.investor(make_user("investor")), "10000")
    AutoInvestRuleFactory(investor=other)
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower, product=product, amount=D("10000"), grade="B", auto_invest_done_at=None
    )
    placed = auto_invest_run(loan_id=loan.pk)
    assert [i.investor_id for i in placed] == [other.pk]
    assert not Investment.objects.filter(investor=promoted).exists()
    assert available(promoted) == D("10000.00")
    loan.refresh_from_db()
    assert loan.auto_invest_done_at is not None


def test_order_is_randomised_so_no_rule_always_goes_first(make_user, onboarding, product):
    product.auto_invest_max_share = D("0.1")  # room for one 1,000 ticket per 10,000 loan
    product.save()
    investors = [fund(onboarding.investor(make_user("investor")), "100000") for _ in range(6)]
    for user in investors:
        AutoInvestRuleFactory(investor=user, amount_per_loan=D("1000"))
    borrower = onboarding.borrower(make_user("borrower"))
    winners = set()
    for _ in range(12):
        loan = LoanFactory(
            borrower=borrower,
            product=product,
            amount=D("10000"),
            grade="B",
            auto_invest_done_at=None,
        )
        placed = auto_invest_run(loan_id=loan.pk)
        assert len(placed) == 1
        winners.add(placed[0].investor_id)
    # With a fixed order one investor would win all 12; a fair shuffle spreads them.
    assert len(winners) >= 3


def test_manual_investors_wait_until_auto_invest_has_run(
    make_user, onboarding, product, api_client
):
    from django.urls import reverse

    from lending.services.investments import investment_place

    manual = fund(onboarding.investor(make_user("investor")), "10000")
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower, product=product, amount=D("10000"), grade="B", auto_invest_done_at=None
    )
    assert api_client.get(reverse("api:loan-list")).json()["count"] == 0
    with pytest.raises(Exception) as exc:
        investment_place(investor=manual, loan_id=loan.pk, amount=D("100"), idempotency_key="early")
    assert exc.value.code == "loan_not_open"
    auto_invest_run(loan_id=loan.pk)
    loan.refresh_from_db()
    assert loan.auto_invest_done_at is not None
    assert [r["id"] for r in api_client.get(reverse("api:loan-list")).json()["results"]] == [
        loan.pk
    ]
    investment_place(investor=manual, loan_id=loan.pk, amount=D("100"), idempotency_key="now")
    assert auto_invest_run(loan_id=loan.pk) == []  # a redelivered task changes nothing
