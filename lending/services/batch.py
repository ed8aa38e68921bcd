"""The daily batch: steps run in order for one business date, each recorded in DailyRunStep
once it finishes, so a replayed date skips the dated steps already done and resumes where a
run stopped."""

from datetime import date, timedelta

from lending.business_date import business_date_set
from lending.models import DailyRunStep
from lending.services import collections, daily
from lending.services.expiry import loans_expire_due
from lending.services.offers import offers_lapse
from lending.services.settlement import investments_settle_stale

# (name, callable(as_of) -> JSON result). Each step is idempotent for a date, so a batch can
# be replayed; the order is the servicing order (DESIGN.md section 4, issue 14).
DAILY_STEPS = [
    # First, so that an order whose request died is settled before its loan expires.
    ("settle_stale_investment_orders", lambda as_of: investments_settle_stale()),
    ("expire_listings", lambda as_of: loans_expire_due(as_of=as_of)),
    ("lapse_offers", lambda as_of: offers_lapse(as_of=as_of)),
    # Authorised installments are collected before anything falls due or late.
    ("authorised_collect_due", daily.authorised_collect_due),
    ("installments_mark_due", daily.installments_mark_due),
    ("installments_mark_overdue", daily.installments_mark_overdue),
    ("late_charges_accrue", daily.late_charges_accrue),
    ("reminders_send", daily.reminders_send),
    ("delinquency_update", daily.delinquency_update),
    # Collections (lending.services.collections) on the buckets just set: promises kept or
    # broken, then default and write-off on the product's schedule.
    ("promises_settle", lambda as_of: collections.promises_settle(as_of=as_of)),
    ("loans_default", lambda as_of: collections.loans_default(as_of=as_of)),
    ("loans_write_off", lambda as_of: collections.loans_write_off(as_of=as_of)),
    # The day's repayments are paid out before the books are reconciled.
    ("distributions_pending", daily.distributions_pending),
    ("ledger_reconcile", daily.ledger_reconcile),
]
# Sweepers run again whenever the batch runs (they act on what is pending now, whatever the
# date); the other steps run once per date.
SWEEPERS = {"settle_stale_investment_orders", "expire_listings", "distributions_pending"}


def daily_step_register(name: str, step, *, sweeper: bool = False) -> None:
    """Add a step that an app above lending owns (the disclosure snapshot, the day's
    filings) to the end of the batch. Apps call this from `AppConfig.ready()`, in
    INSTALLED_APPS order, so lending never imports them; registering a name twice keeps the
    first (ready() may run twice in a test process)."""
    if any(existing == name for existing, _ in DAILY_STEPS):
        return
    DAILY_STEPS.append((name, step))
    if sweeper:
        SWEEPERS.add(name)


def run_daily(*, as_of: date, since: date | None = None) -> dict:
    """Run the batch for `as_of`, or for each date from `since` to `as_of` in turn (a missed
    month replayed), and return the last date's results by step.

    For each date the business date moves there (manual mode) and every step not yet
    recorded for it runs and is recorded (its first result is kept); a dated step recorded
    already is skipped and reports its recorded result. Every step is idempotent for the date
    besides, so running a date twice changes nothing the second time."""
    if since is not None and since > as_of:
        raise ValueError("since must not be after as_of")
    on = since or as_of
    while True:
        results = _run_date(on)
        if on >= as_of:
            return results
        on += timedelta(days=1)


def _run_date(as_of: date) -> dict:
    business_date_set(on=as_of)
    done = dict(DailyRunStep.objects.filter(run_on=as_of).values_list("step", "result"))
    results = {}
    for name, step in DAILY_STEPS:
        if name in done and name not in SWEEPERS:
            results[name] = done[name]
            continue
        results[name] = step(as_of)
        DailyRunStep.objects.get_or_create(
            run_on=as_of, step=name, defaults={"result": results[name]}
        )
    return results
