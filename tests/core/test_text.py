"""core.text: the one rule for free text another person reads."""

import pytest
from django.core.exceptions import ValidationError

from core.text import PublicText, public_text_refusal, validate_public_text

REFUSED_ANYWHERE = [
    "\u202eevil",  # right-to-left override
    "a\u202ab",  # left-to-right embedding
    "a\u202cb",  # pop directional formatting
    "a\u2066b\u2069",  # isolates
    "a\u200fb",  # right-to-left mark
    "a\u061cb",  # Arabic letter mark
    "bell\x07",
    "esc\x1b[31mred",
    "nul\x00",
    "del\x7f",
    "c1\x85",
    "line\u2028separator",
    "lone \ud800 surrogate",
]
ACCEPTED_ANYWHERE = [
    "",
    "A second delivery van for the bakery.",
    "扩大面包店的配送能力",
    "Café, naïve, Zürich — 50% off",
    "family 👨\u200d👩\u200d👧 emoji with joiners",
    # Persian "mi-khaham" with its zero-width non-joiner (a Cf character words need).
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
]


@pytest.mark.parametrize("text", REFUSED_ANYWHERE)
@pytest.mark.parametrize("multiline", [False, True])
def test_control_and_direction_characters_are_refused(text, multiline):
    refusal = public_text_refusal(text, max_length=300, multiline=multiline)
    assert refusal is not None and refusal.code == "text_control_characters"
    assert "U+" in refusal.message


@pytest.mark.parametrize("text", ACCEPTED_ANYWHERE)
@pytest.mark.parametrize("multiline", [False, True])
def test_ordinary_text_in_any_script_is_accepted(text, multiline):
    assert public_text_refusal(text, max_length=300, multiline=multiline) is None


@pytest.mark.parametrize("text", ["two\nlines", "crlf\r\nlines", "tab\tseparated"])
def test_line_breaks_and_tabs_only_in_multiline_text(text):
    assert public_text_refusal(text, max_length=300, multiline=True) is None
    refusal = public_text_refusal(text, max_length=300)
    assert refusal is not None and refusal.code == "text_control_characters"


def test_length_is_bounded():
    assert public_text_refusal("x" * 300, max_length=300) is None
    refusal = public_text_refusal("x" * 301, max_length=300)
    assert refusal is not None and refusal.code == "text_too_long"


def test_validators_raise_with_the_code():
    with pytest.raises(ValidationError) as refused:
        validate_public_text("\u202e", max_length=10)
    assert refused.value.code == "text_control_characters"
    with pytest.raises(ValidationError) as refused:
        PublicText(3)("four")
    assert refused.value.code == "text_too_long"
    PublicText(20, multiline=True)("two\nlines")
    assert PublicText(20) == PublicText(20) != PublicText(20, multiline=True)
