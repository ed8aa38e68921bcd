"""The cost of credit (lending.cost): the APR from the cash flows, table cases and
properties, and each grade's worst APR over a product's terms and methods."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.cost import apr, offer_figures, worst_aprs
from lending.schedules import Method, build_schedule

METHODS = list(Method.ALL)


def figures(rate, fee, term=12, method=Method.EQUAL_INSTALLMENT, amount="10000.00"):
    return offer_figures(
        amount=D(amount),
        annual_rate=D(rate),
        term_months=term,
        method=method,
        service_fee_rate=D(fee),
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("rate", "term"), [("0.08", 3), ("0.12", 12), ("0.18", 36)])
def test_without_fees_the_apr_is_the_annual_rate(rate, term, method):
    # Only the cent rounding of each installment separates them.
    assert abs(figures(rate, "0", term, method).apr - D(rate)) < D("0.0005")


@pytest.mark.parametrize(
    ("rate", "fee", "term", "method", "expected"),
    [
        # 10,000 at 10% over 12 months, 2% fee: 9,800 received for 12 x 879.16. Expected
        # values solved independently by bisection on the monthly present value.
        ("0.10", "0.02", 12, Method.EQUAL_INSTALLMENT, D("0.138360")),
        # The same fee weighs more over a shorter term, less when principal stays longer.
        ("0.10", "0.02", 3, Method.EQUAL_PRINCIPAL, D("0.223742")),
        ("0.10", "0.02", 12, Method.INTEREST_ONLY, D("0.121335")),
    ],
)
def test_a_fee_raises_the_apr_by_how_long_the_money_is_kept(rate, fee, term, method, expected):
    assert abs(figures(rate, fee, term, method).apr - expected) <= D("0.000001")


def test_the_offer_figures_add_up():
    f = figures("0.10", "0.02")
    assert f.service_fee == D("200.00") and f.net_amount == D("9800.00")
    assert f.total_cost == f.interest_amount + f.service_fee
    assert f.total_repaid == D("10000.00") + f.interest_amount
    assert len(f.lines) == 12


def test_apr_refuses_flows_without_a_rate():
    lines = build_schedule(
        amount=D("100"), annual_rate=D("0.1"), term_months=2, method=Method.EQUAL_INSTALLMENT
    )
    with pytest.raises(ValueError):
        apr(net_amount=D("0"), lines=lines)
    with pytest.raises(ValueError):
        apr(net_amount=D("100"), lines=[])


@settings(max_examples=60, deadline=None)
@given(
    rate=st.decimals(min_value="0.01", max_value="0.30", places=4),
    fee=st.decimals(min_value="0", max_value="0.05", places=3),
    term=st.sampled_from([3, 6, 12, 24, 36]),
    method=st.sampled_from(METHODS),
)
def test_apr_is_at_least_the_rate_and_grows_with_the_fee(rate, fee, term, method):
    with_fee = figures(rate, fee, term, method).apr
    more_fee = figures(rate, fee + D("0.005"), term, method).apr
    assert with_fee >= rate - D("0.0005")
    assert more_fee > with_fee


def test_worst_aprs_names_each_grades_worst_term_and_method():
    worst = worst_aprs(
        rates_by_grade={"A": "0.08", "E": "0.18"},
        term_options=[3, 12],
        methods=[Method.EQUAL_INSTALLMENT, Method.INTEREST_ONLY],
        service_fee_rate=D("0.02"),
        amount=D("10000"),
    )
    assert [(w.grade, w.term_months, w.method) for w in worst] == [
        ("A", 3, Method.EQUAL_INSTALLMENT),
        ("E", 3, Method.EQUAL_INSTALLMENT),
    ]
    assert worst[1].apr > D("0.24") > worst[0].apr
