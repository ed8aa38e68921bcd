"""Collections through the services: the collections role works cases (assignment, contacts,
promises, investor notes); the batch's steps settle promises, default and write off loans on
schedule; a recovery after write-off is distributed to the cent."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core import money
from core.models import AuditEvent
from lending import errors
from lending.business_date import business_date_set
from lending.models import (
    CollectionCase,
    Installment,
    Loan,
    LoanUpdate,
    Notification,
    Payout,
    PromiseToPay,
    Repayment,
)
from lending.services.collections import (
    case_assign,
    contact_log,
    loan_update_post,
    loans_default,
    loans_write_off,
    promise_record,
    promises_settle,
)
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def _case(loan, on):
    return CollectionCase.objects.create(
        loan=loan, opened_on=on, bucket="1-30", overdue_amount=D("100.00")
    )


def _behind(loan, days: int):
    """The loan as the delinquency step leaves it `days` past its first installment."""
    first = loan.installments.get(number=1)
    Installment.objects.filter(pk=first.pk).update(status=Installment.Status.OVERDUE)
    Loan.objects.filter(pk=loan.pk).update(days_past_due=days, delinquency_bucket="90+")
    return first.due_on + timedelta(days=days)


def test_only_the_collections_role_works_cases(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    case = _case(loan, loan.disbursed_on)
    collector, other = make_user("collections"), make_user("collections")
    for outsider in (make_user("operations"), make_user("reviewer"), loan.borrower):
        with pytest.raises(errors.RoleRequired):
            case_assign(case_id=case.pk, assignee=collector, actor=outsider)
    with pytest.raises(errors.AssigneeNotCollector):
        case_assign(case_id=case.pk, assignee=make_user("operations"), actor=collector)
    case_assign(case_id=case.pk, assignee=other, actor=collector)
    assert CollectionCase.objects.get(pk=case.pk).assigned_to == other
    assert AuditEvent.objects.filter(action="lending.collection_case_assigned").count() == 1
    contact = contact_log(
        case_id=case.pk, channel="phone", outcome="Promised to call back", actor=collector
    )
    assert contact.collector == collector
    with pytest.raises(errors.ContactChannelInvalid):
        contact_log(case_id=case.pk, channel="pigeon", outcome="x", actor=collector)
    CollectionCase.objects.filter(pk=case.pk).update(status="closed")
    with pytest.raises(errors.CaseClosed):
        contact_log(case_id=case.pk, channel="phone", outcome="x", actor=collector)


def test_a_broken_promise_reopens_its_case_and_a_kept_one_is_kept(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="500")
    first = loan.installments.get(number=1)
    business_date_set(on=first.due_on + timedelta(days=5))
    case = _case(loan, first.due_on)
    collector = make_user("collections")
    promise = promise_record(
        case_id=case.pk,
        amount=D("300.00"),
        promised_on=first.due_on + timedelta(days=10),
        actor=collector,
    )
    assert CollectionCase.objects.get(pk=case.pk).status == "promised"
    with pytest.raises(errors.PromisePending):
        promise_record(
            case_id=case.pk, amount=D("1.00"), promised_on=promise.promised_on, actor=collector
        )
    for bad in (D("0"), D("1.001"), D("999999.00")):
        with pytest.raises(errors.PromiseAmountInvalid):
            promise_record(
                case_id=case.pk, amount=bad, promised_on=promise.promised_on, actor=collector
            )
    with pytest.raises(errors.PromiseDateInvalid):
        promise_record(
            case_id=case.pk,
            amount=D("1.00"),
            promised_on=first.due_on,  # already past
            actor=collector,
        )
    # The borrower pays less than promised by the date.
    repayment_make(loan_id=loan.pk, borrower=loan.borrower, amount=D("299.99"), idempotency_key="a")
    # On the promised date itself nothing is settled yet.
    assert promises_settle(as_of=promise.promised_on) == {"kept": 0, "broken": 0, "reopened": 0}
    assert promises_settle(as_of=promise.promised_on + timedelta(days=1)) == {
        "kept": 0,
        "broken": 1,
        "reopened": 1,
    }
    assert PromiseToPay.objects.get(pk=promise.pk).status == "broken"
    assert CollectionCase.objects.get(pk=case.pk).status == "open"
    # Replaying the date changes nothing.
    assert promises_settle(as_of=promise.promised_on + timedelta(days=1))["broken"] == 0

    kept = promise_record(
        case_id=case.pk,
        amount=D("50.00"),
        promised_on=first.due_on + timedelta(days=12),
        actor=collector,
    )
    business_date_set(on=kept.promised_on)
    repayment_make(loan_id=loan.pk, borrower=loan.borrower, amount=D("50.00"), idempotency_key="b")
    assert promises_settle(as_of=kept.promised_on + timedelta(days=1))["kept"] == 1
    assert PromiseToPay.objects.get(pk=kept.pk).status == "kept"


def test_loans_default_on_schedule_with_reason_update_and_notifications(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product, holdings=("6000.00", "4000.00"))
    as_of = _behind(loan, 89)
    assert loans_default(as_of=as_of) == {"defaulted": 0, "notified": 0}
    as_of = _behind(loan, 90)
    assert loans_default(as_of=as_of) == {"defaulted": 1, "notified": 2}
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DEFAULTED and loan.defaulted_on == as_of
    assert "90 days past due" in loan.status_reason
    update = LoanUpdate.objects.get(loan=loan)
    assert "in default" in update.text and loan.borrower.email not in update.text
    bodies = sorted(
        Notification.objects.filter(kind="loan_defaulted").values_list("body", flat=True)
    )
    assert "4,000.00 CNY" in bodies[0] and "6,000.00 CNY" in bodies[1]
    # Replaying the date, or the next day, changes nothing.
    assert loans_default(as_of=as_of)["defaulted"] == 0
    assert Notification.objects.filter(kind="loan_defaulted").count() == 2
    assert AuditEvent.objects.filter(action="lending.loan_defaulted").count() == 1


def test_defaulted_loans_are_written_off_on_schedule_and_told_their_loss(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product, holdings=("6000.00", "4000.00"))
    loans_default(as_of=_behind(loan, 90))
    _case(loan, loan.disbursed_on)
    first = loan.installments.get(number=1)
    assert loans_write_off(as_of=first.due_on + timedelta(days=179))["written_off"] == 0
    as_of = first.due_on + timedelta(days=180)
    assert loans_write_off(as_of=as_of) == {"written_off": 1, "notified": 2}
    loan.refresh_from_db()
    assert loan.status == Loan.Status.WRITTEN_OFF and loan.written_off_on == as_of
    assert set(loan.installments.values_list("status", flat=True)) == {"written_off"}
    assert CollectionCase.objects.get(loan=loan).status == "closed"
    losses = sorted(
        Notification.objects.filter(kind="loan_written_off").values_list("body", flat=True)
    )
    assert "loss is the principal still outstanding: 4,000.00 CNY" in losses[0]
    assert "6,000.00 CNY" in losses[1]
    assert loans_write_off(as_of=as_of + timedelta(days=1))["written_off"] == 0


@pytest.mark.parametrize("written_off", [False, True])
def test_a_recovery_after_default_or_write_off_is_distributed_to_the_cent(
    make_user, onboarding, product, written_off
):
    loan = repaying_loan(make_user, onboarding, product, holdings=("5000.00", "3000.00", "2000.00"))
    investors = [i.investor for i in loan.investments.order_by("id")]
    first = loan.installments.get(number=1)
    loans_default(as_of=_behind(loan, 90))
    if written_off:
        loans_write_off(as_of=first.due_on + timedelta(days=200))
    business_date_set(on=first.due_on + timedelta(days=200))
    before = [available(u) for u in investors]
    fund(loan.borrower, "1000.00")
    # 1,000.00 over the oldest installments (no late charges here): the first's interest
    # 100.00 and principal 788.49, then the second's interest 92.12 and 19.39 of principal.
    second = loan.installments.get(number=2)
    assert (
        first.total_amount + second.interest_amount
        < D("1000.00")
        < (first.total_amount + second.total_amount)
    )
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, amount=D("1000.00"), idempotency_key="rec"
    )
    assert repayment.source == Repayment.Source.RECOVERY
    assert repayment.interest_amount == first.interest_amount + second.interest_amount
    assert repayment.principal_amount == D("1000.00") - repayment.interest_amount
    assert repayment_distribute(repayment_id=repayment.pk) == 3
    # Independently: each component by largest remainder over 5,000 / 3,000 / 2,000, the fee
    # 10% of each interest share, half-even.
    weights = [(1, D("5000")), (2, D("3000")), (3, D("2000"))]
    p = money.allocate(repayment.principal_amount, weights)
    i = money.allocate(repayment.interest_amount, weights)
    expected = [p[k] + i[k] - money.quantize(i[k] * D("0.10")) for k in (1, 2, 3)]
    assert [available(u) - b for u, b in zip(investors, before, strict=True)] == expected
    assert sum(Payout.objects.filter(repayment=repayment).values_list("net_amount", flat=True)) == (
        sum(expected)
    )
    loan.refresh_from_db()
    assert loan.status == (Loan.Status.WRITTEN_OFF if written_off else Loan.Status.DEFAULTED)
    first.refresh_from_db()
    assert first.owed_amount == 0 and first.status == "paid_late"
    assert_ledger_holds()


def test_a_written_off_loan_recovered_in_full_closes(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product, holdings=("1000.00",))
    first = loan.installments.get(number=1)
    loans_default(as_of=_behind(loan, 90))
    loans_write_off(as_of=first.due_on + timedelta(days=400))
    business_date_set(on=first.due_on + timedelta(days=400))
    fund(loan.borrower, "2000.00")
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="all", idempotency_key="all"
    )
    assert repayment.source == Repayment.Source.RECOVERY and repayment.is_payoff
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.status_reason == "Recovered in full"
    assert set(loan.installments.values_list("status", flat=True)) == {"paid_late"}


def test_a_defaulted_loan_paid_off_is_charged_no_prepayment_fee(make_user, onboarding, product):
    loan = repaying_loan(
        make_user, onboarding, product, holdings=("1000.00",), prepayment_fee_rate=D("0.02")
    )
    first = loan.installments.get(number=1)
    as_of = _behind(loan, 90)
    loans_default(as_of=as_of)
    business_date_set(on=as_of)
    not_yet_due = sum(
        loan.installments.filter(due_on__gt=as_of).values_list("principal_amount", flat=True)
    )
    assert not_yet_due > 0  # a payoff now repays principal before its due dates
    fund(loan.borrower, "2000.00")
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="all", idempotency_key="all"
    )
    assert repayment.source == Repayment.Source.RECOVERY and repayment.is_payoff
    assert repayment.prepayment_fee_amount == 0
    assert first.due_on < as_of
    assert_ledger_holds()


def test_investor_notes_are_plain_words_without_borrower_pii(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    collector = make_user("collections")
    update = loan_update_post(
        loan_id=loan.pk,
        text="We reached the borrower, who expects to pay next month.",
        actor=collector,
    )
    assert update.posted_by == collector
    assert Notification.objects.filter(kind="loan_update").count() == 2
    refused = {
        f"Call {loan.borrower.email}": "text_contains_pii",
        "Reached on 138 0013 8000": "text_contains_pii",
        "ID 110101199003077777": "text_contains_pii",
        "Paid\u202e back": "text_control_characters",
        "   ": "text_required",
        "x" * 501: "text_too_long",
    }
    for text, code in refused.items():
        with pytest.raises(errors.LendingError) as caught:
            loan_update_post(loan_id=loan.pk, text=text, actor=collector)
        assert caught.value.code == code, text
    with pytest.raises(errors.RoleRequired):
        loan_update_post(loan_id=loan.pk, text="A note", actor=make_user("operations"))
    assert LoanUpdate.objects.filter(loan=loan).count() == 1
