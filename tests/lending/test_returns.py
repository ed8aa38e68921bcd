"""XIRR (lending.returns) against published worked examples, and its edge cases."""

from datetime import date
from decimal import Decimal as D

import pytest

from lending.returns import CashFlow, xirr


def _flows(*pairs):
    return [CashFlow(on, D(amount)) for on, amount in pairs]


def test_xirr_matches_microsofts_worked_example():
    """Microsoft's XIRR function page: -10,000 on 1 Jan 2008 then 2,750, 4,250, 3,250 and
    2,750 on 1 Mar 2008, 30 Oct 2008, 15 Feb 2009 and 1 Apr 2009 give 0.373362535."""
    flows = _flows(
        (date(2008, 1, 1), "-10000"),
        (date(2008, 3, 1), "2750"),
        (date(2008, 10, 30), "4250"),
        (date(2009, 2, 15), "3250"),
        (date(2009, 4, 1), "2750"),
    )
    assert xirr(flows) == D("0.3734")


def test_xirr_of_one_year_at_ten_percent_is_ten_percent():
    """100 lent for 365 days returning 110 is 10% a year (actual/365), whatever the order
    the flows are given in."""
    assert xirr(_flows((date(2025, 1, 1), "110"), (date(2024, 1, 2), "-100"))) == D("0.1000")


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # Everything lost: -100%.
        ([(date(2025, 1, 1), "-100"), (date(2025, 6, 1), "0")], D("-1.0000")),
        # Nothing lent: no rate.
        ([(date(2025, 1, 1), "100"), (date(2025, 6, 1), "10")], None),
        ([], None),
        # Under 30 days of flows: too early to annualise.
        ([(date(2025, 1, 1), "-100"), (date(2025, 1, 8), "101")], None),
        # Money back at par: 0%.
        ([(date(2025, 1, 1), "-100"), (date(2025, 3, 1), "100")], D("0.0000")),
    ],
)
def test_xirr_edges(flows, expected):
    assert xirr(_flows(*flows)) == expected
