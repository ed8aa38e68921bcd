"""The daily batch: steps run in order for one business date; later capabilities add theirs."""

from datetime import date

from lending.business_date import business_date_set
from lending.services.expiry import loans_expire_due
from lending.services.offers import offers_lapse
from lending.services.settlement import investments_settle_stale

# (name, callable(as_of) -> result). Each step is idempotent, so a batch can be replayed.
DAILY_STEPS = [
    # First, so that an order whose request died is settled before its loan expires.
    ("settle_stale_investment_orders", lambda as_of: investments_settle_stale()),
    ("expire_listings", lambda as_of: loans_expire_due(as_of=as_of)),
    ("lapse_offers", lambda as_of: offers_lapse(as_of=as_of)),
]


def run_daily(*, as_of: date) -> dict:
    """Move the business date to `as_of` (manual mode) and run every step for that date."""
    business_date_set(on=as_of)
    return {name: step(as_of) for name, step in DAILY_STEPS}
