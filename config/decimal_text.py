"""What a typed decimal may look like: ASCII digits, at most one point, a leading minus.

Python's Decimal, and with it Django's and DRF's DecimalFields, also read Arabic-Indic and
full-width digits, exponents ("1e2"), a plus sign and white space around the number.
Nobody types those into an amount, a rate or an income on purpose, and a value that means
something other than it shows has no place in a money system, so every decimal input is
held to this shape first (custody.money, config.fields).
"""

import re

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def is_plain_decimal(text: str) -> bool:
    """True for "12", "0.5" and "-3.25"; False for "+1", "1.", ".5", "1e2", " 1", and for
    any digit outside ASCII."""
    return PLAIN_DECIMAL.fullmatch(text) is not None
