"""Money maths: one rounding rule, strict parsing, exact largest-remainder allocation."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import AmountError, allocate, parse_amount, quantize

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", "1.00"),
        ("1.015", "1.02"),
        ("1.025", "1.02"),
        ("-1.005", "-1.00"),
        ("2.675", "2.68"),
    ],
)
def test_quantize_rounds_half_to_even(value, expected):
    assert quantize(D(value)) == D(expected)


def test_quantize_refuses_float():
    with pytest.raises(TypeError):
        quantize(1.5)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-1", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("0.00", "amount_not_positive"),
        ("1.005", "amount_too_precise"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("-Infinity", "amount_invalid"),
        ("1e3", "amount_invalid"),
        ("1E-2", "amount_invalid"),
        ("99999999999", "amount_too_large"),
        ("9" * 28, "amount_too_large"),
        ("9" * 29, "amount_too_large"),
        ("9" * 32, "amount_too_large"),
        ("0." + "0" * 27 + "1", "amount_too_precise"),
        ("1" * 40, "amount_invalid"),
        ("\u0661\u0662\u0663", "amount_invalid"),
        ("\uff11\uff12", "amount_invalid"),
        ("", "amount_invalid"),
        ("1.2.3", "amount_invalid"),
        ("+100", "amount_invalid"),
        ("100.", "amount_invalid"),
        (".5", "amount_invalid"),
        ("\u3000100", "amount_invalid"),
        ("100\u00a0", "amount_invalid"),
        ("1_000", "amount_invalid"),
        (12.5, "amount_not_string"),
        (True, "amount_not_string"),
        (None, "amount_not_string"),
    ],
)
def test_parse_amount_refuses_bad_input_with_a_code(raw, code):
    with pytest.raises(AmountError) as excinfo:
        parse_amount(raw)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"), [("10", "10.00"), ("10.5", "10.50"), (" 7.25 ", "7.25"), (3, "3.00")]
)
def test_parse_amount_accepts_plain_decimals(raw, expected):
    assert parse_amount(raw) == D(expected)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        ("100.00", [(1, D(1)), (2, D(1)), (3, D(1))], {1: "33.34", 2: "33.33", 3: "33.33"}),
        ("0.02", [(5, D(1)), (3, D(1)), (4, D(1))], {3: "0.01", 4: "0.01", 5: "0.00"}),
        ("10.00", [(1, D(3)), (2, D(7))], {1: "3.00", 2: "7.00"}),
        (
            "0.05",
            [(1, D("0.5")), (2, D("0.25")), (3, D("0.25"))],
            {1: "0.03", 2: "0.01", 3: "0.01"},
        ),
        ("-1.00", [(1, D(1)), (2, D(2))], {1: "-0.33", 2: "-0.67"}),
        ("5.00", [(1, D(0)), (2, D(1))], {1: "0.00", 2: "5.00"}),
    ],
)
def test_allocate_table(total, weights, expected):
    assert allocate(D(total), weights) == {k: D(v) for k, v in expected.items()}


def test_allocate_refuses_inexact_total_and_zero_weights():
    with pytest.raises(ValueError):
        allocate(D("1.001"), [(1, D(1))])
    with pytest.raises(ValueError):
        allocate(D("1.00"), [(1, D(0))])
    with pytest.raises(ValueError):
        allocate(D("1.00"), [])


cents = st.integers(min_value=-(10**11), max_value=10**11).map(lambda c: D(c) / 100)
weight_lists = st.lists(
    st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=40,
).filter(lambda ws: sum(ws) > 0)


@given(total=cents, weights=weight_lists)
def test_allocate_parts_sum_exactly_and_stay_within_a_cent_of_the_exact_share(total, weights):
    pairs = list(enumerate(weights, start=1))
    parts = allocate(total, pairs)
    assert sum(parts.values()) == total
    weight_sum = sum(weights)
    for ident, weight in pairs:
        exact = total * weight / weight_sum
        assert abs(parts[ident] - exact) < D("0.01")
        assert parts[ident] == parts[ident].quantize(D("0.01"))


@given(n=st.integers(min_value=2, max_value=30), leftover=st.integers(min_value=0, max_value=29))
def test_allocate_gives_leftover_cents_to_lower_ids_on_equal_weights(n, leftover):
    leftover %= n
    total = D(n * 100 + leftover) / 100
    parts = allocate(total, [(i, D(1)) for i in range(n, 0, -1)])
    for i in range(1, n + 1):
        assert parts[i] == D("1.00") + (D("0.01") if i <= leftover else 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("-2.50", "-2.50"), ("7", "7.00"), ("+1.5", "1.50"), (" -0.01 ", "-0.01")],
)
def test_parse_signed_amount_accepts_plain_signed_decimals(raw, expected):
    from core.money import parse_signed_amount

    assert parse_signed_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0", "amount_zero"),
        ("-0.00", "amount_zero"),
        ("--5", "amount_invalid"),
        ("-+5", "amount_invalid"),
        ("1e5", "amount_invalid"),
        ("-\u0661", "amount_invalid"),
        ("-" + "9" * 29, "amount_too_large"),
        ("-1.001", "amount_too_precise"),
        (-5.5, "amount_not_string"),
    ],
)
def test_parse_signed_amount_refuses_bad_input_with_a_code(raw, code):
    from core.money import parse_signed_amount

    with pytest.raises(AmountError) as excinfo:
        parse_signed_amount(raw)
    assert excinfo.value.code == code
