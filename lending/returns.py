"""Investment returns: the annualised internal rate of return of dated cash flows (XIRR),
computed by pyxirr (the Excel XIRR convention: actual/365 from the first flow). No ORM."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pyxirr

# A rate is shown to a hundredth of a percent.
RATE_PLACES = Decimal("0.0001")
# Annualising a few days of cash flows multiplies cents into absurd rates (a 1% coupon a
# week after lending reads as 68% a year): before this many days there is no rate to show.
MIN_DAYS = 30


@dataclass(frozen=True)
class CashFlow:
    """Money out of (negative) or back to (positive) the investor on a date."""

    on: date
    amount: Decimal


def xirr(flows: list[CashFlow], *, min_days: int = MIN_DAYS) -> Decimal | None:
    """The annual rate r at which the flows' present values sum to zero
    (sum(amount / (1 + r) ** (days since the first flow / 365)) = 0), as a Decimal fraction
    to four places; None when there is nothing to measure (no money out, or the flows span
    fewer than `min_days` days). Everything lost and nothing back is -1 (-100%).

    The amounts reach pyxirr as Decimals (it reads them exactly); its answer is a float,
    which is a rate, not money, and is turned into a Decimal once, rounded here.
    """
    if not any(f.amount < 0 for f in flows):
        return None
    # A zero flow still dates the valuation (what is left is worth nothing on that day).
    first, last = min(f.on for f in flows), max(f.on for f in flows)
    if (last - first).days < min_days:
        return None
    flows = [f for f in flows if f.amount]
    if not any(f.amount > 0 for f in flows):
        return Decimal("-1.0000")
    try:
        rate = pyxirr.xirr([f.on for f in flows], [f.amount for f in flows])
    except pyxirr.InvalidPaymentsError:
        return None
    if rate is None or rate != rate:  # no root found, or NaN
        return None
    return Decimal(repr(rate)).quantize(RATE_PLACES)
