"""Schedules: known cases for the three methods, and properties that hold for any loan."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.schedules import Method, add_months, annuity_payment, build_schedule, schedule_totals


def test_equal_installment_10000_at_12pct_over_12_months():
    lines = build_schedule(
        amount=D("10000.00"), annual_rate=D("0.12"), term_months=12, method=Method.EQUAL_INSTALLMENT
    )
    assert [line.total_amount for line in lines] == [D("888.49")] * 11 + [D("888.47")]
    assert lines[0].interest_amount == D("100.00")
    assert lines[0].principal_amount == D("788.49")
    assert schedule_totals(lines)["interest_amount"] == D("661.86")


@pytest.mark.parametrize(
    ("amount", "rate", "term", "payment"),
    [
        (D("10000.00"), D("0.12"), 12, D("888.49")),
        (D("50000.00"), D("0.0895"), 24, D("2283.09")),
        (D("1200.00"), D("0"), 12, D("100.00")),
        (D("100000.00"), D("0.06"), 36, D("3042.19")),
    ],
)
def test_annuity_payment_known_cases(amount, rate, term, payment):
    assert annuity_payment(amount, rate, term) == payment


def test_equal_principal_10000_at_12pct_over_12_months():
    lines = build_schedule(
        amount=D("10000.00"), annual_rate=D("0.12"), term_months=12, method=Method.EQUAL_PRINCIPAL
    )
    assert [line.principal_amount for line in lines] == [D("833.33")] * 11 + [D("833.37")]
    assert [line.interest_amount for line in lines[:3]] == [D("100.00"), D("91.67"), D("83.33")]
    assert lines[-1].interest_amount == D("8.33")
    assert schedule_totals(lines)["interest_amount"] == D("650.00")


def test_interest_only_pays_principal_at_maturity():
    lines = build_schedule(
        amount=D("10000.00"), annual_rate=D("0.12"), term_months=6, method=Method.INTEREST_ONLY
    )
    assert [line.total_amount for line in lines] == [D("100.00")] * 5 + [D("10100.00")]
    assert schedule_totals(lines)["interest_amount"] == D("600.00")


def test_due_dates_are_monthly_and_clamped_to_month_end():
    lines = build_schedule(
        amount=D("300.00"),
        annual_rate=D("0.10"),
        term_months=3,
        method=Method.EQUAL_PRINCIPAL,
        start_on=date(2026, 1, 31),
    )
    assert [line.due_on for line in lines] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


@pytest.mark.parametrize(
    "kwargs",
    [
        {
            "amount": D("0"),
            "annual_rate": D("0.1"),
            "term_months": 12,
            "method": Method.EQUAL_PRINCIPAL,
        },
        {
            "amount": D("100"),
            "annual_rate": D("0.1"),
            "term_months": 0,
            "method": Method.EQUAL_PRINCIPAL,
        },
        {
            "amount": D("100.001"),
            "annual_rate": D("0.1"),
            "term_months": 3,
            "method": Method.EQUAL_PRINCIPAL,
        },
        {
            "amount": D("100"),
            "annual_rate": D("-0.1"),
            "term_months": 3,
            "method": Method.EQUAL_PRINCIPAL,
        },
        {"amount": D("100"), "annual_rate": D("0.1"), "term_months": 3, "method": "balloon"},
    ],
)
def test_build_schedule_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        build_schedule(**kwargs)


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=10_000_000_00),
    rate_bp=st.integers(min_value=0, max_value=3600),
    term=st.integers(min_value=1, max_value=60),
    method=st.sampled_from(Method.ALL),
)
def test_principal_sums_to_the_loan_and_no_installment_is_negative(cents, rate_bp, term, method):
    amount = D(cents) / 100
    lines = build_schedule(
        amount=amount, annual_rate=D(rate_bp) / 10000, term_months=term, method=method
    )
    assert len(lines) == term
    assert sum(line.principal_amount for line in lines) == amount
    for line in lines:
        assert line.principal_amount >= 0
        assert line.interest_amount >= 0
        assert line.total_amount >= 0
        assert line.principal_amount == line.principal_amount.quantize(D("0.01"))
        assert line.interest_amount == line.interest_amount.quantize(D("0.01"))
