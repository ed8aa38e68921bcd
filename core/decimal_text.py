"""What a typed decimal may look like: ASCII digits, at most one point, a leading minus.

Python's Decimal, and with it Django's and DRF's DecimalFields, also read Arabic-Indic and
full-width digits, exponents ("1e2"), a plus sign and white space around the number.
Nobody types those into an amount, a rate or an income on purpose, and a value that means
something other than it shows has no place in a money system, so every decimal input is
held to this shape first (core.money, core.fields).
"""

import re

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def is_plain_decimal(text: str) -> bool:
    """True for "12", "0.5" and "-3.25"; False for "+1", "1.", ".5", "1e2", " 1", and for
    any digit outside ASCII."""
    return PLAIN_DECIMAL.fullmatch(text) is not None


def decimal_pattern(
    *, whole_digits: int, places: int, zero: bool, power: bool = False, spare_zeros: bool = False
) -> str:
    """The regular expression (for the OpenAPI schema) of exactly the plain decimal texts a
    field takes: values below 10**whole_digits (and 10**whole_digits itself with `power`),
    from the smallest unit up, or from zero with `zero` (then "-0" too, which is zero); at
    most `places` decimals, more only as zeros with `spare_zeros`; leading zeros allowed.

    Written without look-arounds, so every schema-driven generator can draw from it.
    """
    spare = "0*" if spare_zeros else ""
    zeros = r"\.0+" if spare_zeros else rf"\.0{{1,{places}}}"
    # Decimals that are not all zero, at most `places` of them.
    nonzero_decimals = "|".join(
        "0" * leading
        + "[1-9]"
        + (f"[0-9]{{0,{places - 1 - leading}}}" if leading < places - 1 else "")
        for leading in range(places)
    )
    alternatives = [rf"0+\.(?:{nonzero_decimals}){spare}"]
    if whole_digits:
        tail = f"[0-9]{{0,{whole_digits - 1}}}" if whole_digits > 1 else ""
        alternatives.insert(0, rf"0*[1-9]{tail}(?:\.[0-9]{{1,{places}}}{spare})?")
    if power:
        alternatives.append(rf"0*1{'0' * whole_digits}(?:{zeros})?")
    if zero:
        alternatives.append(rf"-?0+(?:{zeros})?")
    return "^(?:" + "|".join(alternatives) + ")$"
