"""Auto-invest: matching rules invest when a loan opens, within the auto-invest slice."""

from collections import Counter
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


def _loan(borrower, product):
    return LoanFactory(
        borrower=borrower, product=product, amount=D("10000"), grade="B", auto_invest_done_at=None
    )


def test_rules_take_turns_so_each_gets_its_fair_share(make_user, onboarding, product):
    """Room for one 1,000 ticket per loan and six rules: over 30 loans each rule invests in
    exactly 5, in a fixed rotation (a shuffle per loan would give some 2 and others 9)."""
    product.auto_invest_max_share = D("0.1")
    product.save()
    investors = [fund(onboarding.investor(make_user("investor")), "100000") for _ in range(6)]
    rules = [AutoInvestRuleFactory(investor=user, amount_per_loan=D("1000")) for user in investors]
    borrowers = [onboarding.borrower(make_user("borrower")) for _ in range(30)]
    winners = []
    for borrower in borrowers:
        placed = auto_invest_run(loan_id=_loan(borrower, product).pk)
        assert len(placed) == 1
        winners.append(placed[0].investor_id)
    assert Counter(winners) == {user.pk: 5 for user in investors}
    # Served longest ago first, ties (never served: by creation) to the lower id.
    assert winners[:6] == [rule.investor_id for rule in rules]
    assert winners[6:12] == winners[:6]


def test_a_rule_that_could_not_invest_keeps_its_place(make_user, onboarding, product):
    """Served means invested: a rule skipped for want of cash stays at the front and is
    served first once it can invest; the one that invested goes to the back."""
    product.auto_invest_max_share = D("0.1")
    product.save()
    poor = onboarding.investor(make_user("investor"))  # no money yet
    rich = fund(onboarding.investor(make_user("investor")), "100000")
    AutoInvestRuleFactory(investor=poor, amount_per_loan=D("1000"))
    AutoInvestRuleFactory(investor=rich, amount_per_loan=D("1000"))
    borrowers = [onboarding.borrower(make_user("borrower")) for _ in range(3)]
    first = auto_invest_run(loan_id=_loan(borrowers[0], product).pk)
    assert [i.investor_id for i in first] == [rich.pk]
    fund(poor, "5000")
    second = auto_invest_run(loan_id=_loan(borrowers[1], product).pk)
    assert [i.investor_id for i in second] == [poor.pk]
    third = auto_invest_run(loan_id=_loan(borrowers[2], product).pk)
    assert [i.investor_id for i in third] == [rich.pk]


def test_a_new_rule_joins_the_back_of_the_queue(make_user, onboarding, product):
    """A rule made after others were served waits behind those served before it was made,
    so deleting and recreating a rule never jumps the queue."""
    product.auto_invest_max_share = D("0.1")
    product.save()
    old = [fund(onboarding.investor(make_user("investor")), "100000") for _ in range(2)]
    for user in old:
        AutoInvestRuleFactory(investor=user, amount_per_loan=D("1000"))
    borrowers = [onboarding.borrower(make_user("borrower")) for _ in range(4)]
    auto_invest_run(loan_id=_loan(borrowers[0], product).pk)  # old[0] served
    newcomer = fund(onboarding.investor(make_user("investor")), "100000")
    AutoInvestRuleFactory(investor=newcomer, amount_per_loan=D("1000"))
    order = [auto_invest_run(loan_id=_loan(b, product).pk)[0].investor_id for b in borrowers[1:]]
    assert order == [old[1].pk, old[0].pk, newcomer.pk]


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
