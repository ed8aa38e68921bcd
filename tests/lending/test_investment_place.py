"""Investing: every rule refused with its code and nothing changed; idempotent replay;
funding completes the loan; cancellation within the cooling-off window."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from lending.models import Investment, Loan, Notification
from lending.services.investments import investment_cancel, investment_place
from tests.ledger import available, fund, reserved

pytestmark = pytest.mark.django_db


def place(user, loan, amount, key="k1"):
    return investment_place(investor=user, loan_id=loan.pk, amount=D(amount), idempotency_key=key)


def assert_refused(user, loan, amount, code):
    before = (available(user), reserved(user))
    with pytest.raises(Exception) as exc:
        place(user, loan, amount, key=f"refused-{code}")
    assert exc.value.code == code, exc.value
    loan.refresh_from_db()
    assert loan.funded_amount == D("0")
    assert (available(user), reserved(user)) == before
    assert not Investment.objects.filter(loan=loan).exists()


def test_investment_reserves_funds_and_counts_towards_the_loan(investor, open_loan):
    investment = place(investor, open_loan, "300.00")
    open_loan.refresh_from_db()
    assert investment.status == "reserved"
    assert open_loan.funded_amount == D("300.00")
    assert available(investor) == D("49700.00")
    assert reserved(investor) == D("300.00")


def test_idempotent_replay_returns_the_first_investment(investor, open_loan):
    first = place(investor, open_loan, "300.00", key="same")
    again = place(investor, open_loan, "300.00", key="same")
    assert again.pk == first.pk
    open_loan.refresh_from_db()
    assert open_loan.funded_amount == D("300.00")
    assert reserved(investor) == D("300.00")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("50.00", "below_minimum"),
        ("150.00", "not_step_multiple"),
        ("10100.00", "exceeds_remaining"),
    ],
)
def test_amount_rules(investor, open_loan, amount, code):
    assert_refused(investor, open_loan, amount, code)


def test_own_loan_refused(make_user, onboarding, open_loan):
    onboarding.investor(open_loan.borrower)
    fund(open_loan.borrower, "5000")
    assert_refused(open_loan.borrower, open_loan, "100.00", "own_loan")


def test_unverified_investor_refused(make_user, onboarding, open_loan):
    user = fund(onboarding.investor(make_user("investor"), verified=False), "5000")
    assert_refused(user, open_loan, "100.00", "identity_not_verified")


def test_investor_without_suitability_profile_refused(make_user, onboarding, open_loan):
    user = fund(make_user("investor"), "5000")
    onboarding.verified.add(user.pk)
    assert_refused(user, open_loan, "100.00", "investor_profile_required")


def test_grade_above_risk_level_refused(make_user, onboarding, open_loan):
    user = fund(onboarding.investor(make_user("investor"), max_grade="A"), "5000")
    assert_refused(user, open_loan, "100.00", "grade_above_risk_level")


def test_per_loan_limit_refused(make_user, onboarding, open_loan):
    user = fund(onboarding.investor(make_user("investor"), per_loan=D("500")), "5000")
    place(user, open_loan, "500.00")
    with pytest.raises(Exception) as exc:
        place(user, open_loan, "100.00", key="second")
    assert exc.value.code == "per_loan_limit_exceeded"
    open_loan.refresh_from_db()
    assert open_loan.funded_amount == D("500.00")


def test_total_limit_refused(make_user, onboarding, open_loan):
    user = fund(onboarding.investor(make_user("investor"), total=D("200")), "5000")
    assert_refused(user, open_loan, "300.00", "total_limit_exceeded")


def test_insufficient_funds_refused(make_user, onboarding, open_loan):
    user = fund(onboarding.investor(make_user("investor")), "99.00")
    with pytest.raises(Exception) as exc:
        place(user, open_loan, "100.00")
    assert exc.value.code == "insufficient_funds"


def test_loan_past_deadline_refused(investor, open_loan):
    Loan.objects.filter(pk=open_loan.pk).update(
        funding_deadline_on=open_loan.listed_on - timedelta(days=1)
    )
    open_loan.refresh_from_db()
    assert_refused(investor, open_loan, "100.00", "loan_not_open")


def test_last_step_funds_the_loan_and_notifies(make_user, onboarding, open_loan):
    a = fund(onboarding.investor(make_user("investor")), "20000")
    b = fund(onboarding.investor(make_user("investor")), "20000")
    place(a, open_loan, "6000.00", key="a")
    place(b, open_loan, "4000.00", key="b")
    open_loan.refresh_from_db()
    assert open_loan.status == "funded" and open_loan.funded_at is not None
    assert open_loan.funded_amount == open_loan.amount
    kinds = set(Notification.objects.filter(kind="loan_funded").values_list("user_id", flat=True))
    assert kinds == {open_loan.borrower_id, a.pk, b.pk}
    c = fund(onboarding.investor(make_user("investor")), "1000")
    with pytest.raises(Exception) as exc:
        place(c, open_loan, "100.00", key="c")
    assert exc.value.code == "loan_not_open"


def test_cancel_within_cooling_off_releases_the_reservation(investor, open_loan):
    investment = place(investor, open_loan, "500.00")
    investment_cancel(investor=investor, investment_id=investment.pk)
    investment.refresh_from_db()
    open_loan.refresh_from_db()
    assert investment.status == "cancelled"
    assert open_loan.funded_amount == D("0")
    assert available(investor) == D("50000.00") and reserved(investor) == D("0")
    with pytest.raises(Exception) as exc:
        investment_cancel(investor=investor, investment_id=investment.pk)
    assert exc.value.code == "investment_not_cancellable"


def test_cancel_after_cooling_off_refused(investor, open_loan):
    investment = place(investor, open_loan, "500.00")
    Investment.objects.filter(pk=investment.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    with pytest.raises(Exception) as exc:
        investment_cancel(investor=investor, investment_id=investment.pk)
    assert exc.value.code == "cooling_off_over"
    assert reserved(investor) == D("500.00")


def test_cancel_of_someone_elses_investment_is_not_found(
    investor, open_loan, make_user, onboarding
):
    investment = place(investor, open_loan, "500.00")
    other = onboarding.investor(make_user("investor"))
    with pytest.raises(Exception) as exc:
        investment_cancel(investor=other, investment_id=investment.pk)
    assert exc.value.code == "not_found"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"funded_amount": D("9800.00")}, "exceeds_remaining"),
        ({"status": "cancelled"}, "loan_not_open"),
    ],
)
def test_loan_changed_after_the_unlocked_checks_is_refused_on_the_locked_row(
    investor, open_loan, monkeypatch, changes, code
):
    """The rules read the loan unlocked; the conditional update on the locked row has the last
    word, so a loan that filled or closed in between refuses and nothing is written."""
    from lending.services import settlement

    checked = settlement.within_limits

    def then_the_loan_changes(*args):
        held = checked(*args)
        Loan.objects.filter(pk=open_loan.pk).update(**changes)
        return held

    monkeypatch.setattr(settlement, "within_limits", then_the_loan_changes)
    before = (available(investor), reserved(investor))
    with pytest.raises(Exception) as exc:
        place(investor, open_loan, "300.00")
    assert exc.value.code == code
    assert not Investment.objects.filter(loan=open_loan).exists()
    assert (available(investor), reserved(investor)) == before


def test_the_last_step_returns_the_loan_as_funded(investor, open_loan):
    Loan.objects.filter(pk=open_loan.pk).update(funded_amount=open_loan.amount - D("300.00"))
    investment = place(investor, open_loan, "300.00")
    assert investment.loan.status == "funded"
    assert investment.loan.funded_amount == investment.loan.amount
    open_loan.refresh_from_db()
    assert open_loan.status == "funded" and open_loan.funded_at is not None


def test_cancel_is_a_top_level_transaction_and_refuses_to_nest(investor, open_loan):
    investment = place(investor, open_loan, "500.00")
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        investment_cancel(investor=investor, investment_id=investment.pk)
    investment.refresh_from_db()
    assert investment.status == "reserved"


def test_limits_lowered_while_the_order_waits_for_the_investors_lock_are_the_ones_applied(
    investor, open_loan, onboarding, monkeypatch
):
    """The limits are read again under the investor's row lock: a profile change that
    committed while the order queued for that lock is the one that counts."""
    from dataclasses import replace

    from lending.services import settlement

    real_prepare = settlement._orders_prepare

    def profile_lowered_meanwhile(loan, orders, today):
        onboarding.investors[investor.pk] = replace(
            onboarding.investors[investor.pk], per_loan_limit=D("200.00")
        )
        return real_prepare(loan, orders, today)

    monkeypatch.setattr(settlement, "_orders_prepare", profile_lowered_meanwhile)
    assert_refused(investor, open_loan, "300.00", "per_loan_limit_exceeded")
