"""Borrowing caps: headroom under the platform cap and the all-platforms cap."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.policies import Caps, borrowing_headroom, within_caps

INDIVIDUAL = Caps(platform=D("200000"), total=D("1000000"))
ENTERPRISE = Caps(platform=D("1000000"), total=D("5000000"))


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
    ],
)
def test_headroom_known_cases(caps, platform, other, headroom, binding):
    result = borrowing_headroom(
        caps=caps, platform_outstanding=platform, other_platforms_outstanding=other
    )
    assert result.amount == headroom
    assert result.binding_cap == binding


def test_within_caps_boundary():
    assert within_caps(
        caps=INDIVIDUAL,
        amount=D("200000"),
        platform_outstanding=D("0"),
        other_platforms_outstanding=D("0"),
    )
    assert not within_caps(
        caps=INDIVIDUAL,
        amount=D("200000.01"),
        platform_outstanding=D("0"),
        other_platforms_outstanding=D("0"),
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
