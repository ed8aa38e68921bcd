"""The daily batch's servicing steps through run_daily: authorised collection over a loan's
whole life, a late loan reminded, charged, bucketed and queued for collections, late charges
under the cost-of-credit ceiling, and a failing loan that does not stop the others."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core import mail

from core import money
from custody import services as custody
from custody.errors import InsufficientFunds
from custody.models import LedgerAccount
from lending import servicing
from lending.models import (
    CollectionCase,
    DailyRunStep,
    Installment,
    Loan,
    Notification,
    Repayment,
)
from lending.services import daily
from lending.services.batch import DAILY_STEPS, run_daily
from lending.services.distributions import repayment_distribute
from lending.services.notifications import notification_emails_send
from lending.services.repayments import authorisation_grant, repayment_make
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.factories import ProductFactory
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def _distribute_pending():
    """What the worker does with the batch's and the repayments' distribution messages."""
    for repayment_id in Repayment.objects.filter(distribution="pending").values_list(
        "id", flat=True
    ):
        repayment_distribute(repayment_id=repayment_id)


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def test_full_lifecycle_collects_every_installment_on_its_date_and_closes_the_loan(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product, holdings=("6000.00", "3000.00", "1000.00"))
    investors = [i.investor for i in loan.investments.order_by("id")]
    before = [available(u) for u in investors]
    fund(loan.borrower, "2000.00")  # with the 9,800.00 net received: enough for every payment
    authorisation_grant(loan_id=loan.pk, borrower=loan.borrower)
    installments = list(loan.installments.order_by("number"))
    for installment in installments:
        results = run_daily(as_of=installment.due_on)
        assert results["authorised_collect_due"]["collected"] == 1
        _distribute_pending()
        installment.refresh_from_db()
        assert installment.status == "paid" and installment.paid_on == installment.due_on
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert loan.delinquency_bucket == "current" and loan.days_past_due == 0
    assert set(loan.installments.values_list("late_fee_amount", "penalty_amount")) == {
        (D("0.00"), D("0.00"))
    }
    assert not loan.authorisations.filter(revoked_at__isnull=True).exists()
    repayments = list(loan.repayments.order_by("paid_on"))
    assert [(r.source, r.paid_on, r.amount) for r in repayments] == [
        ("authorised", i.due_on, i.total_amount) for i in installments
    ]
    # Independently: each installment's principal and interest split by largest remainder
    # over what each investment still has outstanding, less 10% of each interest share.
    outstanding = {1: D("6000.00"), 2: D("3000.00"), 3: D("1000.00")}
    expected = dict.fromkeys(outstanding, D("0"))
    for installment in installments:
        weights = sorted(outstanding.items())
        p = money.allocate(installment.principal_amount, weights)
        i = money.allocate(installment.interest_amount, weights)
        for k in outstanding:
            expected[k] += p[k] + i[k] - money.quantize(i[k] * D("0.10"))
            outstanding[k] -= p[k]
    received = [available(u) - b for u, b in zip(investors, before, strict=True)]
    assert received == [expected[1], expected[2], expected[3]]
    # Every date recorded every step, and reconciled a ledger that holds.
    assert DailyRunStep.objects.filter(step="ledger_reconcile").count() == len(installments)
    assert DailyRunStep.objects.count() == len(installments) * len(DAILY_STEPS)
    assert_ledger_holds()


def test_a_late_loan_is_reminded_charged_bucketed_and_queued_for_collections(
    make_user, onboarding, product, django_capture_on_commit_callbacks
):
    loan = repaying_loan(make_user, onboarding, product)
    first, second = loan.installments.order_by("number")[:2]
    with django_capture_on_commit_callbacks() as callbacks:
        run_daily(as_of=first.due_on - timedelta(days=3), since=first.due_on - timedelta(days=5))
    reminder = Notification.objects.get(user=loan.borrower, kind="repayment_reminder")
    assert reminder.dedupe_key == f"reminder:{first.pk}:-3"
    assert reminder.title == (
        f"Your payment of {money.display(first.total_amount, 'CNY')} for loan "
        f"{loan.reference} is due in 3 days"
    )
    emailed = [c.args[1][0] for c in callbacks if c.args[0] == "lending.notification_emails"]
    assert emailed == [[reminder.pk]]
    assert notification_emails_send(notification_ids=[reminder.pk]) == 1
    assert mail.outbox[-1].subject.endswith(reminder.title)

    end = second.due_on + timedelta(days=8)
    run_daily(as_of=end, since=first.due_on - timedelta(days=2))
    first.refresh_from_db()
    second.refresh_from_db()
    loan.refresh_from_db()
    # Reminded 3 days before, on the day, 1 and 7 days after: once each, whatever reruns.
    assert sorted(
        Notification.objects.filter(kind="repayment_reminder").values_list("dedupe_key", flat=True)
    ) == sorted(f"reminder:{i.pk}:{k}" for i in (first, second) for k in (-3, 0, 1, 7))
    # Overdue after the three grace days; the late fee once; penalty interest on the
    # overdue principal for each day after the grace days, half-even to the cent a day.
    assert first.status == second.status == "overdue"
    daily_first = servicing.daily_penalty(first.principal_amount, D("0.0005"))
    daily_second = servicing.daily_penalty(second.principal_amount, D("0.0005"))
    first_days = (end - first.due_on).days - 3
    second_days = (end - second.due_on).days - 3
    assert (first.late_fee_amount, first.penalty_amount) == (D("50.00"), daily_first * first_days)
    assert (second.late_fee_amount, second.penalty_amount) == (
        D("50.00"),
        daily_second * second_days,
    )
    assert first.penalty_through_on == second.penalty_through_on == end
    # Bucketed from the oldest overdue installment, a history row per change.
    assert loan.days_past_due == (end - first.due_on).days
    assert loan.delinquency_bucket == "31-60"
    assert list(loan.delinquency_changes.values_list("changed_on", "from_bucket", "to_bucket")) == [
        (first.due_on + timedelta(days=4), "current", "1-30"),
        (first.due_on + timedelta(days=31), "1-30", "31-60"),
    ]
    case = CollectionCase.objects.get(loan=loan)
    assert (case.status, case.bucket, case.opened_on) == (
        "open",
        "31-60",
        first.due_on + timedelta(days=4),
    )
    assert case.overdue_amount == first.owed_amount + second.owed_amount

    # The borrower catches up; the next day the loan is current again and the case closes.
    fund(loan.borrower, "5000.00")
    repayment_make(loan_id=loan.pk, borrower=loan.borrower, kind="due", idempotency_key="late")
    run_daily(as_of=end + timedelta(days=1))
    loan.refresh_from_db()
    case.refresh_from_db()
    assert (loan.delinquency_bucket, loan.days_past_due) == ("current", 0)
    assert loan.delinquency_changes.order_by("-changed_on").first().to_bucket == "current"
    assert (case.status, case.closed_on, case.close_reason) == (
        "closed",
        end + timedelta(days=1),
        "Back to current",
    )
    assert set(loan.installments.filter(number__lte=2).values_list("status", flat=True)) == {
        "paid_late"
    }
    _distribute_pending()
    assert_ledger_holds()


def test_a_long_overdue_loan_is_never_charged_above_the_cost_ceiling(
    make_user, onboarding, settings
):
    settings.LENDING_COST_CEILING_RATE = D("0.24")
    product = ProductFactory(
        service_fee_rate=D("0.01"), late_fee_amount=D("300"), penalty_daily_rate=D("0.002")
    )
    loan = repaying_loan(make_user, onboarding, product, holdings=("10000.00",), term_months=3)
    fee = loan.disbursement.fee_amount
    assert fee == D("100.00")
    installments = list(loan.installments.order_by("number"))
    start, maturity = installments[0].due_on, installments[-1].due_on
    for day in _days(start, maturity + timedelta(days=400)):
        daily.installments_mark_due(day)
        daily.installments_mark_overdue(day)
        daily.late_charges_accrue(day)
        rows = list(loan.installments.all())
        late = sum((i.late_fee_amount + i.penalty_amount for i in rows), D(0))
        cost = fee + sum((i.interest_amount for i in rows), D(0)) + late
        # The ceiling over the borrowing period: to maturity, or to the day once later.
        ceiling = servicing.cost_ceiling(
            loan_amount=loan.amount,
            disbursed_on=loan.disbursed_on,
            as_of=max(day, maturity),
            ceiling_rate=D("0.24"),
        )
        assert cost <= ceiling, day
    # The penalty alone wants 20.00 a day: late charges followed the ceiling up to it.
    assert cost == ceiling
    first = loan.installments.get(number=1)
    assert first.late_fee_amount > 0 and first.penalty_amount > 0
    assert first.penalty_through_on == day  # days past the ceiling are not charged later


def test_penalty_of_missed_days_is_accrued_once_when_the_batch_runs_again(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product)
    installment = loan.installments.get(number=1)
    late = installment.due_on + timedelta(days=4)
    daily.installments_mark_overdue(late)
    daily.late_charges_accrue(late)
    daily.late_charges_accrue(late)
    installment.refresh_from_db()
    one_day = servicing.daily_penalty(installment.principal_amount, D("0.0005"))
    assert (installment.late_fee_amount, installment.penalty_amount) == (D("50.00"), one_day)
    # Ten days missed, then one run: every day not accrued yet, once.
    daily.late_charges_accrue(late + timedelta(days=10))
    daily.late_charges_accrue(late + timedelta(days=3))  # a past date: nothing more
    installment.refresh_from_db()
    assert installment.late_fee_amount == D("50.00")
    assert installment.penalty_amount == one_day * 11
    assert installment.penalty_through_on == late + timedelta(days=10)


def test_penalty_interest_rounds_half_even_to_the_cent(make_user, onboarding):
    # 1,000.00 overdue principal x 0.000125 = 0.125 a day: 0.12 half-even (not 0.13).
    product = ProductFactory(penalty_daily_rate=D("0.000125"), late_fee_amount=D("0"))
    loan = repaying_loan(make_user, onboarding, product, holdings=("3000.00",), term_months=3)
    installment = loan.installments.get(number=1)
    Installment.objects.filter(pk=installment.pk).update(principal_amount=D("1000.00"))
    late = installment.due_on + timedelta(days=4)
    daily.installments_mark_overdue(late)
    daily.late_charges_accrue(late + timedelta(days=1))
    installment.refresh_from_db()
    assert installment.penalty_amount == D("0.24")
    assert servicing.daily_penalty(D("1000.00"), D("0.000125")) == D("0.12")


def test_a_loan_that_cannot_be_collected_does_not_stop_the_others(
    make_user, onboarding, product, monkeypatch
):
    covered = repaying_loan(make_user, onboarding, product)
    short = repaying_loan(make_user, onboarding, product)
    broken = repaying_loan(make_user, onboarding, product)
    for loan in (covered, short, broken):
        authorisation_grant(loan_id=loan.pk, borrower=loan.borrower)
    # The short borrower spends the loan; the broken one's wallet moves between the check
    # and the debit (custody refuses the entry).
    short_wallet = available(short.borrower)
    custody.ledger_post(
        idempotency_key="spend-short",
        kind="withdrawal",
        memo="spent",
        legs=[
            custody.Leg(custody.user_account_ids(short.borrower_id)[0], -short_wallet),
            custody.Leg(custody.platform_account_id(LedgerAccount.Kind.CUSTODIAN), short_wallet),
        ],
    )
    real_collect = daily.authorised_collect

    def collect(*, loan_id, as_of):
        if loan_id == broken.pk:
            raise InsufficientFunds()
        return real_collect(loan_id=loan_id, as_of=as_of)

    monkeypatch.setattr(daily, "authorised_collect", collect)
    due_on = covered.installments.get(number=1).due_on
    result = daily.authorised_collect_due(due_on)
    assert result == {"loans": 3, "collected": 1, "short": 2, "failed": 0}
    assert covered.repayments.get().source == "authorised"
    assert not short.repayments.exists() and not broken.repayments.exists()
    told = Notification.objects.filter(kind="repayment_not_collected")
    assert sorted(told.values_list("user_id", flat=True)) == sorted(
        [short.borrower_id, broken.borrower_id]
    )
    daily.authorised_collect_due(due_on)  # again: told once for the date
    assert told.count() == 2
    assert_ledger_holds()
