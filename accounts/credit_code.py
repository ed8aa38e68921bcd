"""The unified social credit code (统一社会信用代码, GB 32100-2015): shape, check character
and what its first characters say about the holder. Pure functions, no ORM.

The 18 characters are: the registration authority (1), the entity type (1), the
administrative division (6 digits), the organisation code (9, GB 11714) and a check
character over the other 17, from the 31-character alphabet below (no I, O, Z, S, V).
"""

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 section 5: weight of position i is 3**i mod 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
# Registration authority 9 is the market regulator (市场监督管理部门): it registers
# enterprises (9 1), individual businesses (9 2) and farmers' co-operatives (9 3).
# Government bodies, social organisations and the like are not borrowers here.
MARKET_REGULATOR = "9"

# Authority (1-9, A, N, Y), entity type, six-digit division, nine-character organisation code.
_SHAPE = re.compile(r"^[1-9ANY][0-9A-HJ-NP-RTUWXY][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$", re.ASCII)


def normalise(value: str) -> str:
    """NFKC-fold (full-width characters a CJK IME types), drop spaces and hyphens, upper-case."""
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s-]", "", value).upper()


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(
        ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True)
    )
    return ALPHABET[(31 - total % 31) % 31]


def refusal(value: str) -> str | None:
    """Why the code cannot be a credit code, or None when it is well formed:
    `invalid_credit_code` (length or characters), `invalid_credit_code_checksum`."""
    code = normalise(value)
    if len(code) != LENGTH or not _SHAPE.match(code):
        return "invalid_credit_code"
    if code[-1] != check_character(code[:-1]):
        return "invalid_credit_code_checksum"
    return None


def is_valid(value: str) -> bool:
    return refusal(value) is None


def is_market_entity(value: str) -> bool:
    """Registered by the market regulator (an enterprise, not a government body or charity)."""
    return normalise(value)[:1] == MARKET_REGULATOR


def division(value: str) -> str:
    """The six-digit administrative division where the holder is registered."""
    return normalise(value)[2:8]
