"""Borrowing caps: pure maths of a borrower's remaining headroom (no ORM)."""

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Caps:
    """The two caps of one kind of borrower: `individual` or `enterprise`."""

    platform: Decimal
    total: Decimal
    kind: str = "individual"


@dataclass(frozen=True)
class Headroom:
    """How much more a borrower may borrow, and which cap binds."""

    platform_left: Decimal
    total_left: Decimal
    caps: Caps | None = None

    @property
    def amount(self) -> Decimal:
        return max(ZERO, min(self.platform_left, self.total_left))

    @property
    def binding_cap(self) -> str:
        return "platform" if self.platform_left <= self.total_left else "total"


def borrowing_headroom(
    *, caps: Caps, platform_outstanding: Decimal, other_platforms_outstanding: Decimal
) -> Headroom:
    """Headroom under both caps: this platform's, and all platforms' together."""
    return Headroom(
        platform_left=caps.platform - platform_outstanding,
        total_left=caps.total - platform_outstanding - other_platforms_outstanding,
        caps=caps,
    )


def within_caps(
    *,
    caps: Caps,
    amount: Decimal,
    platform_outstanding: Decimal,
    other_platforms_outstanding: Decimal,
) -> bool:
    headroom = borrowing_headroom(
        caps=caps,
        platform_outstanding=platform_outstanding,
        other_platforms_outstanding=other_platforms_outstanding,
    )
    return amount <= headroom.amount
