"""A year of loan servicing for the demo, made by replaying the daily batch day by day: loans
repaid on time under a standing authorisation, paid off early, paid late and charged, in
collections, defaulted with a recovery, and closed. Every step goes through the services,
on a simulated clock that moves with the business date, so each row is dated on the day it
would have happened."""

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model
from django.utils import timezone

from custody.errors import InsufficientFunds
from demo.clock import demo_clock
from demo.lending_data import _borrower, _deposit, _fund, _investor, _listed_loan, seed_products
from lending.business_date import business_date, business_date_set
from lending.errors import LendingError
from lending.models import Installment, Loan, Notification, Product, Repayment
from lending.services.batch import run_daily
from lending.services.disbursements import disbursement_approve, disbursement_start
from lending.services.distributions import repayment_distribute
from lending.services.investments import investment_place
from lending.services.repayments import authorisation_grant, repayment_make

HISTORY_DAYS = 365
# The business date the current-state demo (demo.lending_data) starts from: the history
# runs up to the day before it.
HISTORY_ENDS_DAYS_AGO = 15


class Behaviour:
    """How a demo borrower pays (chosen from the loan's grade: grade A and B pay on time)."""

    AUTOPAY = "autopay"  # authorises the debit; the batch collects each installment
    ON_TIME = "on_time"  # pays by hand on the due date
    PAYS_OFF = "pays_off"  # pays on time, then pays the loan off early
    LATE = "late"  # pays each installment some days late (charged late fee and penalty)
    STOPS = "stops"  # pays a few installments, then stops (collections, default)
    RECOVERS = "recovers"  # stops, defaults, then pays part back (a recovery)


BY_GRADE = {
    "A": [Behaviour.AUTOPAY, Behaviour.ON_TIME],
    "B": [Behaviour.AUTOPAY, Behaviour.PAYS_OFF, Behaviour.ON_TIME],
    "C": [Behaviour.PAYS_OFF, Behaviour.LATE, Behaviour.ON_TIME],
    "D": [Behaviour.LATE, Behaviour.STOPS, Behaviour.RECOVERS],
    "E": [Behaviour.STOPS, Behaviour.RECOVERS, Behaviour.LATE],
}


@dataclass
class Plan:
    loan_id: int
    behaviour: str
    # Installments paid before a borrower who stops stops; days late for a late payer;
    # the installment after which a borrower pays off.
    stop_after: int = 3
    days_late: int = 12
    payoff_after: int = 4
    recovered: bool = False
    keys: itertools.count = field(default_factory=itertools.count)


class History:
    """The demo's servicing history: the plans of its loans, the behaviours its first risky
    loans take, and the last business day it ran."""

    def __init__(self):
        self.plans: dict[int, Plan] = {}
        self.last_day: date | None = None
        # The year's first D or E loans show the end of the road: one defaults and is
        # partly recovered, one is written off (both stop after their first installment,
        # early enough for default at 90 days and write-off at 180 within the year).
        self.first_risky = [Behaviour.RECOVERS, Behaviour.STOPS]

    def day(self, on: date, *, before_payments=None) -> None:
        """One business day on that day's clock (demo.clock): the batch, anything the demo
        lists that day, then what the borrowers pay."""
        with demo_clock(on):
            run_daily(as_of=on)
            if before_payments:
                before_payments()
            _pay(on, self.plans)
        self.last_day = on

    def advance_to(self, last: date) -> None:
        """Run every day after the last one run, through `last`."""
        on = self.last_day + timedelta(days=1)
        while on <= last:
            self.day(on)
            on += timedelta(days=1)
        _mark_history_mail_sent()


def seed_history() -> History | None:
    """A year of servicing up to HISTORY_ENDS_DAYS_AGO, once (None when a rerun finds it).

    The business date is left at today; the caller continues the history with
    `History.advance_to(today)` after setting up the current-state demo.
    """
    User = get_user_model()
    if Loan.objects.filter(borrower__email__startswith="history-borrower").exists():
        return None
    today = business_date()
    start = today - timedelta(days=HISTORY_DAYS)
    end = today - timedelta(days=HISTORY_ENDS_DAYS_AGO)
    seed_products()
    rng = random.Random(365)  # noqa: S311 - reproducible demo data, not security
    reviewer = User.objects.get(email="reviewer@demo.example")
    approvers = (
        User.objects.get(email="approver@demo.example"),
        User.objects.get(email="approver2@demo.example"),
    )
    # Two loans a month for the first ten months (so some are closed, some mid-way), and
    # the demo borrower's own loan five months before today.
    listing_days = {start + timedelta(days=30 * m + 3) for m in range(10)}
    own_loan_on = today - timedelta(days=150)
    history = History()
    with demo_clock(start):
        investors = [_investor(n) for n in range(10)]
    demo_investor = User.objects.filter(email="investor@demo.example").first()
    own = User.objects.filter(email="borrower@demo.example").first()
    # Made when first listed, on that day's clock.
    borrowers = (_borrower(n, rng, email=f"history-borrower{n}@demo.example") for n in range(40))
    personal = Product.objects.get(code="personal")  # individuals borrow under it

    def list_loans(on: date):
        def listing():
            parties = (rng, reviewer, approvers, investors, demo_investor, history)
            if on in listing_days:
                for _ in range(2):
                    history.plans.update(_history_loan(next(borrowers), personal, *parties))
            if on == own_loan_on and own is not None:
                history.plans.update(
                    _history_loan(own, personal, *parties, behaviour=Behaviour.ON_TIME)
                )

        return listing

    on = start
    while on <= end:
        history.day(on, before_payments=list_loans(on))
        on += timedelta(days=1)
    business_date_set(on=today)
    return history


def _mark_history_mail_sent() -> None:
    """The history's reminders and notices are in each user's notifications; their emails
    would have gone out on their days, so the worker is not to send a year of them now."""
    Notification.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())


def _history_loan(
    borrower,
    product,
    rng,
    reviewer,
    approvers,
    investors,
    demo_investor,
    history: History,
    behaviour=None,
) -> dict[int, Plan]:
    """List, fund and disburse a loan on the current business date, and plan how it is paid."""
    amount = D(rng.choice([8000, 12000, 20000, 30000]))
    try:
        loan = _listed_loan(borrower, product, rng, reviewer, amount=amount)
    except LendingError:
        return {}  # the review refused it (the sandbox bureau decides): the demo goes on
    if loan is None:
        return {}
    if demo_investor is not None:
        try:
            investment_place(
                investor=demo_investor,
                loan_id=loan.pk,
                amount=product.investment_step_amount * 10,
                idempotency_key=f"demo-history-{loan.pk}",
            )
        except (LendingError, InsufficientFunds):
            pass  # above their risk level: the market investors fund it
    _fund(loan, investors, rng, D("1"))
    loan.refresh_from_db()
    if loan.status != Loan.Status.FUNDED:
        return {}
    disbursement = disbursement_start(loan_id=loan.pk, maker=approvers[0])
    if disbursement.status == "pending_approval":
        disbursement_approve(loan_id=loan.pk, checker=approvers[1])
    # The borrower keeps money in the wallet for the interest on top of the principal.
    _deposit(borrower, (loan.amount * D("0.3")).quantize(D("1.00")), f"history-{loan.pk}")
    stop_after = rng.choice([2, 3, 4])
    if behaviour is None and loan.grade in ("D", "E") and history.first_risky:
        behaviour, stop_after = history.first_risky.pop(0), 1
    behaviour = behaviour or rng.choice(BY_GRADE.get(loan.grade, [Behaviour.ON_TIME]))
    if behaviour == Behaviour.AUTOPAY:
        authorisation_grant(loan_id=loan.pk, borrower=borrower)
    return {
        loan.pk: Plan(
            loan_id=loan.pk,
            behaviour=behaviour,
            stop_after=stop_after,
            days_late=rng.choice([6, 12, 20]),
            payoff_after=rng.choice([3, 4, 5]),
        )
    }


def _pay(day: date, plans: dict[int, Plan]) -> None:
    """What each planned borrower pays today (the batch collected the authorised ones)."""
    # Only loans with something owed by today, or defaulted (a recovery): one query a day.
    candidates = set(
        Installment.objects.filter(
            loan_id__in=list(plans), status__in=Installment.OPEN_STATUSES, due_on__lte=day
        ).values_list("loan_id", flat=True)
    ) | set(
        Loan.objects.filter(pk__in=list(plans), status=Loan.Status.DEFAULTED).values_list(
            "id", flat=True
        )
    )
    for plan in (plans[loan_id] for loan_id in sorted(candidates)):
        loan = Loan.objects.select_related("borrower").get(pk=plan.loan_id)
        if loan.status not in (Loan.Status.REPAYING, Loan.Status.DEFAULTED):
            continue
        paid = loan.installments.filter(status__in=Installment.SETTLED_STATUSES).count()
        kind = _today(plan, loan, day, paid)
        if kind is None:
            continue
        try:
            repayment = repayment_make(
                loan_id=loan.pk,
                borrower=loan.borrower,
                idempotency_key=f"demo-{day.isoformat()}-{next(plan.keys)}",
                **kind,
            )
        except (LendingError, InsufficientFunds):
            continue
        repayment_distribute(repayment_id=repayment.pk)
    # The authorised collections of the day, distributed as the worker would.
    for repayment_id in Repayment.objects.filter(
        paid_on=day, distribution=Repayment.Distribution.PENDING
    ).values_list("id", flat=True):
        repayment_distribute(repayment_id=repayment_id)


def _today(plan: Plan, loan: Loan, day: date, paid: int) -> dict | None:
    """The repayment the plan makes today, if any."""
    due = loan.installments.filter(status__in=Installment.OPEN_STATUSES, due_on__lte=day)
    oldest = due.order_by("due_on").values_list("due_on", flat=True).first()
    if plan.behaviour == Behaviour.AUTOPAY:
        return None
    if plan.behaviour == Behaviour.RECOVERS and loan.status == Loan.Status.DEFAULTED:
        if (
            plan.recovered
            or loan.defaulted_on is None
            or day < loan.defaulted_on + timedelta(days=40)
        ):
            return None
        plan.recovered = True
        return {"amount": (loan.amount * D("0.25")).quantize(D("1.00"))}
    if oldest is None:
        return None
    if plan.behaviour in (Behaviour.STOPS, Behaviour.RECOVERS) and paid >= plan.stop_after:
        return None
    if plan.behaviour == Behaviour.LATE and day < oldest + timedelta(days=plan.days_late):
        return None
    if plan.behaviour == Behaviour.PAYS_OFF and paid >= plan.payoff_after:
        return {"kind": "all"}
    return {"kind": "due"}
