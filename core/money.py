"""Money maths without the ORM: the one rounding rule, parsing, and exact allocation."""

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from django.utils.translation import gettext as _

from core.decimal_text import is_plain_decimal

# The platform currency's minor unit. Every stored amount has exactly these places.
PLACES = 2
CENT = Decimal(1).scaleb(-PLACES)
# The largest amount one movement may carry (a DecimalField(max_digits=20) has room to spare).
MAX_AMOUNT = Decimal("1000000000.00")
# The longest amount text read (leading zeros count): longer is refused before parsing.
MAX_TEXT_LENGTH = 32
# Rounding happens here only: banker's rounding (half to even), so rounding errors do not
# drift one way over many splits.
ROUNDING = ROUND_HALF_EVEN


class AmountError(ValueError):
    """An amount that is not a valid positive money value; `code` says why."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def quantize(value: Decimal) -> Decimal:
    """Round a Decimal to the minor unit with the platform's one rounding rule."""
    if not isinstance(value, Decimal):
        raise TypeError("money is Decimal, never float")
    return value.quantize(CENT, rounding=ROUNDING)


def quantize_down(value: Decimal) -> Decimal:
    """Round a Decimal to the minor unit toward zero: for a limit, where rounding up would
    let someone exceed it by a cent."""
    if not isinstance(value, Decimal):
        raise TypeError("money is Decimal, never float")
    return value.quantize(CENT, rounding=ROUND_DOWN)


def is_exact(value: Decimal) -> bool:
    """True when the Decimal has no digits below the minor unit.

    Never raises: a value too long to quantize in the default 28-digit context (which
    signals InvalidOperation) is not an exact amount.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    try:
        return value == value.quantize(CENT, rounding=ROUNDING)
    except InvalidOperation:
        return False


def display(amount: Decimal, currency: str) -> str:
    """An amount as people read it in a message: thousands separated, both places, then
    the currency ("12,345.67 CNY"). Pages format with the template filters instead."""
    return f"{amount:,.2f} {currency}"


def parse_amount(raw, *, allow_zero: bool = False) -> Decimal:
    """Parse an amount a client sent: a plain positive decimal string with at most 2 places
    (an integer is exact too), ASCII white space around it allowed.

    Refuses floats (JSON numbers lose cents), NaN, Infinity, exponents, signs, a point with
    no digits after it, non-ASCII digits and white space, zero, negatives and amounts above
    MAX_AMOUNT; each refusal carries a stable code. `allow_zero` admits zero (a floor such
    as cash to keep, not a movement).
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise AmountError("amount_not_string", _("Send the amount as a decimal string."))
    # ASCII white space only: str.strip() would also drop U+3000 and the like unseen.
    text = str(raw).strip(" \t\r\n")
    if not text or len(text) > MAX_TEXT_LENGTH:
        raise AmountError("amount_invalid", _("The amount is not a decimal number."))
    if not is_plain_decimal(text):
        raise AmountError("amount_invalid", _("Use only the digits 0-9 and one decimal point."))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AmountError("amount_invalid", _("The amount is not a decimal number.")) from None
    if not value.is_finite():
        raise AmountError("amount_invalid", _("The amount is not a decimal number."))
    if value == 0 and allow_zero:
        return quantize(abs(value))  # "-0" is zero, without the sign
    if value <= 0:
        raise AmountError("amount_not_positive", _("The amount must be greater than zero."))
    # Magnitude first: quantizing a value of 29+ digits signals InvalidOperation.
    if value > MAX_AMOUNT:
        raise AmountError(
            "amount_too_large",
            _("The amount may not exceed %(max)s.") % {"max": f"{MAX_AMOUNT:,.2f}"},
        )
    if not is_exact(value):
        raise AmountError(
            "amount_too_precise", _("Use at most %(places)s decimal places.") % {"places": PLACES}
        )
    return quantize(value)


def parse_signed_amount(raw) -> Decimal:
    """Parse a correction that may be negative: the rules of parse_amount on its magnitude
    (plain ASCII decimal string, 2 places, at most MAX_AMOUNT), and never zero."""
    text = raw.strip(" \t\r\n") if isinstance(raw, str) else raw
    negative = isinstance(text, str) and text.startswith("-")
    magnitude = text[1:] if isinstance(text, str) and text[:1] in ("-", "+") else text
    if isinstance(magnitude, str) and magnitude[:1] in ("-", "+"):
        raise AmountError("amount_invalid", _("The amount is not a decimal number."))
    try:
        value = parse_amount(magnitude)
    except AmountError as exc:
        if exc.code == "amount_not_positive":
            raise AmountError("amount_zero", _("The amount may not be zero.")) from None
        raise
    return -value if negative else value


def allocate(total: Decimal, weights: Sequence[tuple[int, Decimal]]) -> dict[int, Decimal]:
    """Split `total` by weights with the largest-remainder method; parts sum exactly.

    `weights` are (id, weight) pairs with non-negative weights. Every id first gets its
    share rounded down to the cent; the leftover cents go one each to the largest
    remainders, ties to the lower id. A negative total is split as its mirror image.
    """
    if not is_exact(total):
        raise ValueError("total must be an exact amount in the minor unit")
    if not weights:
        raise ValueError("allocate needs at least one weight")
    ids = [i for i, _ in weights]
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be unique")
    if any((not isinstance(w, Decimal | int)) or w < 0 for _, w in weights):
        raise ValueError("weights must be non-negative Decimals")
    weight_sum = sum((Decimal(w) for _, w in weights), Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total < 0 else 1
    cents = int(abs(total) / CENT)
    parts: dict[int, int] = {}
    remainders: list[tuple[Decimal, int]] = []
    with localcontext() as ctx:
        # Enough digits that cents x weight is exact for any realistic input.
        ctx.prec = 80
        for ident, weight in weights:
            # Integer cent arithmetic with an exact Decimal remainder: no float appears.
            whole, rest = divmod(Decimal(cents) * Decimal(weight), weight_sum)
            parts[ident] = int(whole)
            remainders.append((rest, ident))
    leftover = cents - sum(parts.values())
    # Largest remainder first; among equal remainders the lower id wins.
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _remainder, ident in remainders[:leftover]:
        parts[ident] += 1
    return {ident: sign * Decimal(parts[ident]) * CENT for ident in ids}
