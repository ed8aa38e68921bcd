"""The daily batch replays: a date run twice changes nothing the second time, each step run
again for its date changes nothing, and a month run in one call equals the month day by day
(whole-database snapshots compared)."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction

from custody import services as custody
from custody.models import LedgerAccount
from lending.models import CollectionCase, DailyRunStep, Notification, Repayment
from lending.services import daily
from lending.services.batch import DAILY_STEPS, run_daily
from lending.services.repayments import authorisation_grant
from tests.ledger import assert_ledger_holds, available, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def _volatile(field) -> bool:
    """Wall-clock timestamps (and the audit chain's hashes over them) differ between two
    runs of the same work; everything else must not."""
    return isinstance(field, models.DateTimeField) or "hash" in field.name


def _snapshot(*, skip_volatile: bool = False) -> dict:
    """Every row of every table, by model, ordered by primary key."""
    state = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            f.attname for f in model._meta.concrete_fields if not (skip_volatile and _volatile(f))
        ]
        state[model._meta.label] = list(model._base_manager.order_by("pk").values_list(*fields))
    return state


def _reset_sequences() -> None:
    """Start every id sequence after the table's highest id (PostgreSQL does not roll back
    sequences with a savepoint; SQLite's AUTOINCREMENT counters are rolled back)."""
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _diff(a: dict, b: dict) -> dict:
    return {label: (a[label], b[label]) for label in a if a[label] != b[label]}


@pytest.fixture
def book(make_user, onboarding, product):
    """Three loans due on the same dates: one authorised and covered, one authorised whose
    borrower spent the wallet, one neither."""
    covered = repaying_loan(make_user, onboarding, product)
    fund(covered.borrower, "1000.00")
    short = repaying_loan(make_user, onboarding, product)
    late = repaying_loan(make_user, onboarding, product)
    for loan in (covered, short):
        authorisation_grant(loan_id=loan.pk, borrower=loan.borrower)
    spent = available(short.borrower)
    custody.ledger_post(
        idempotency_key="replay-spent",
        kind="withdrawal",
        memo="spent",
        legs=[
            custody.Leg(custody.user_account_ids(short.borrower_id)[0], -spent),
            custody.Leg(custody.platform_account_id(LedgerAccount.Kind.CUSTODIAN), spent),
        ],
    )
    return covered, short, late


def test_running_a_date_twice_changes_nothing_the_second_time(book):
    covered, short, _ = book
    due_on = covered.installments.get(number=1).due_on
    as_of = due_on + timedelta(days=35)
    run_daily(as_of=as_of, since=due_on - timedelta(days=3))
    # The date did real work: collected, short, charged, reminded, bucketed, queued.
    assert covered.repayments.count() == 2
    told = Notification.objects.get(kind="repayment_not_collected")  # once, while it is owed
    assert told.dedupe_key == f"collect_short:{short.installments.get(number=1).pk}"
    assert CollectionCase.objects.filter(status="open").count() == 2
    assert Notification.objects.filter(kind="repayment_reminder").exists()
    before = _snapshot()
    run_daily(as_of=as_of)
    assert _diff(before, _snapshot()) == {}
    # Each step again for the date, past its record: still nothing changes.
    for _, step in DAILY_STEPS:
        step(as_of)
    assert _diff(before, _snapshot()) == {}
    # Every dated step run again from scratch (its record gone): only the records differ.
    DailyRunStep.objects.filter(run_on=as_of).delete()
    run_daily(as_of=as_of)
    assert DailyRunStep.objects.filter(run_on=as_of).count() == len(DAILY_STEPS)
    stable = _stable(before)
    again = _snapshot(skip_volatile=True)
    for snapshot in (stable, again):
        del snapshot["lending.DailyRunStep"]
    assert _diff(stable, again) == {}
    assert_ledger_holds()


def _stable(full: dict) -> dict:
    """A full snapshot without its volatile columns."""
    stable = {}
    for model in apps.get_models():
        label = model._meta.label
        if label not in full:
            continue
        fields = list(model._meta.concrete_fields)
        keep = [i for i, f in enumerate(fields) if not _volatile(f)]
        stable[label] = [tuple(row[i] for i in keep) for row in full[label]]
    return stable


def test_a_past_date_replayed_does_not_move_buckets_back(book):
    covered, _, late = book
    due_on = covered.installments.get(number=1).due_on
    run_daily(as_of=due_on + timedelta(days=40), since=due_on)
    late.refresh_from_db()
    assert late.delinquency_bucket == "31-60"
    before = _snapshot()
    daily.delinquency_update(due_on + timedelta(days=10))
    assert _diff(before, _snapshot()) == {}


def test_a_month_in_one_run_equals_the_month_day_by_day(book):
    covered, _, late = book
    start = covered.installments.get(number=1).due_on - timedelta(days=5)
    end = start + timedelta(days=40)
    _reset_sequences()
    savepoint = transaction.savepoint()
    day = start
    while day <= end:
        run_daily(as_of=day)
        day += timedelta(days=1)
    day_by_day = _snapshot(skip_volatile=True)
    assert Repayment.objects.filter(loan=covered).count() == 2
    assert late.collection_cases.get().bucket == "31-60"
    transaction.savepoint_rollback(savepoint)
    _reset_sequences()
    assert not DailyRunStep.objects.exists()

    run_daily(as_of=end, since=start)
    in_one_run = _snapshot(skip_volatile=True)
    assert _diff(day_by_day, in_one_run) == {}
    # And the month replayed over itself changes nothing at all.
    full = _snapshot()
    run_daily(as_of=end, since=start)
    assert _diff(full, _snapshot()) == {}
    assert_ledger_holds()
