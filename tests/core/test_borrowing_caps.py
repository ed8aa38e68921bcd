"""Borrowing caps: headroom under the platform cap and the all-platforms cap."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.policies import Caps, borrowing_headroom, within_caps

INDIVIDUAL = Caps(platform=D("200000"), total=D("1000000"))
ENTERPRISE = Caps(platform=D("1000000"), total=D("5000000"), kind="enterprise")


@pytest.mark.parametrize(
    ("caps", "platform", "other", "headroom", "binding"),
    [
        (INDIVIDUAL, D("0"), D("0"), D("200000"), "platform"),
        (INDIVIDUAL, D("150000"), D("0"), D("50000"), "platform"),
        (INDIVIDUAL, D("0"), D("900000"), D("100000"), "total"),
        (INDIVIDUAL, D("100000"), D("850000"), D("50000"), "total"),
        (INDIVIDUAL, D("250000"), D("0"), D("0"), "platform"),
        (INDIVIDUAL, D("0"), D("1200000"), D("0"), "total"),
        (ENTERPRISE, D("0"), D("4500000"), D("500000"), "total"),
        (ENTERPRISE, D("400000"), D("0"), D("600000"), "platform"),
        (ENTERPRISE, D("250000"), D("4100000"), D("650000"), "total"),
        # Both caps leave the same room: the platform cap is named.
        (INDIVIDUAL, D("0"), D("800000"), D("200000"), "platform"),
        # A cent of room under either cap.
        (INDIVIDUAL, D("199999.99"), D("0"), D("0.01"), "platform"),
        (INDIVIDUAL, D("0"), D("999999.99"), D("0.01"), "total"),
        # Over both caps: no room, and the cap exceeded by more binds.
        (INDIVIDUAL, D("250000"), D("900000"), D("0"), "total"),
        (ENTERPRISE, D("1200000"), D("3900000"), D("0"), "platform"),
    ],
)
def test_headroom_known_cases(caps, platform, other, headroom, binding):
    result = borrowing_headroom(
        caps=caps, platform_outstanding=platform, other_platforms_outstanding=other
    )
    assert (result.amount, result.binding_cap, result.caps) == (headroom, binding, caps)


@pytest.mark.parametrize(
    ("amount", "platform", "other", "within"),
    [
        (D("200000"), D("0"), D("0"), True),
        (D("200000.01"), D("0"), D("0"), False),
        (D("50000"), D("150000"), D("0"), True),
        (D("50000.01"), D("150000"), D("0"), False),
        (D("100000"), D("0"), D("900000"), True),
        (D("100000.01"), D("0"), D("900000"), False),
        (D("0.01"), D("250000"), D("0"), False),
    ],
)
def test_within_caps_boundary(amount, platform, other, within):
    assert (
        within_caps(
            caps=INDIVIDUAL,
            amount=amount,
            platform_outstanding=platform,
            other_platforms_outstanding=other,
        )
        is within
    )


money = st.integers(min_value=0, max_value=10_000_000_00).map(lambda c: D(c) / 100)


@given(platform=money, other=money, amount=money.filter(lambda a: a > 0))
def test_an_amount_within_headroom_never_breaches_either_cap(platform, other, amount):
    headroom = borrowing_headroom(
        caps=INDIVIDUAL, platform_outstanding=platform, other_platforms_outstanding=other
    )
    expected = max(D("0"), min(INDIVIDUAL.platform - platform, INDIVIDUAL.total - platform - other))
    assert headroom.amount == expected
    if amount <= headroom.amount:
        assert platform + amount <= INDIVIDUAL.platform
        assert platform + other + amount <= INDIVIDUAL.total
