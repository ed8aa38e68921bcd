"""Free text that one person writes and another reads (a loan's purpose shown to investors,
a reviewer's reason, a note): no control characters, no text-direction overrides, bounded.

A right-to-left override (U+202E) makes what follows it read backwards, so a purpose can
show investors words the borrower never appears to have typed, and ESC or BEL reach every
terminal, log and CSV the text is copied into. Legal names are refused these characters by
the identity check; this is the one rule for everything else another person reads: model
field validators, page forms, API serializers and the services all use it.

Self-contained: it imports no app and nothing else of config.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# Refused everywhere: the C0 controls except the three below, DEL and the C1 controls
# (Unicode category Cc); the bidirectional embeddings and overrides (U+202A-U+202E),
# isolates (U+2066-U+2069) and marks (U+200E, U+200F, U+061C); the line and paragraph
# separators (U+2028, U+2029, which break lines where nothing else does); and lone
# surrogates (U+D800-U+DFFF, which a JSON `\ud800` escape produces and no database stores).
_ALWAYS_REFUSED = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff"
)
# The same set as the OpenAPI schema writes it (escapes that ECMAScript and Python regular
# expressions read alike; a lone surrogate cannot be written in a schema pattern, and the
# strict JSON reader refuses it before any field sees it).
SCHEMA_REFUSED = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    r"\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
)
SCHEMA_LINE_BREAKS = r"\t\n\r"
# Tab, line feed and carriage return (a form's CRLF) are the layout of multi-line text; a
# single-line field refuses them too.
_MULTILINE_REFUSED = re.compile(f"[{_ALWAYS_REFUSED}]")
_SINGLE_LINE_REFUSED = re.compile(f"[{_ALWAYS_REFUSED}\t\n\r]")

CONTROL_CHARACTERS = "text_control_characters"
TOO_LONG = "text_too_long"


@dataclass(frozen=True)
class TextRefusal:
    code: str  # text_control_characters or text_too_long
    message: str


def public_text_refusal(
    value: str, *, max_length: int, multiline: bool = False
) -> TextRefusal | None:
    """Why `value` may not be shown to another person, or None when it may."""
    if len(value) > max_length:
        return TextRefusal(TOO_LONG, _("Write at most %(max)s characters.") % {"max": max_length})
    refused = _MULTILINE_REFUSED if multiline else _SINGLE_LINE_REFUSED
    found = refused.search(value)
    if found is not None:
        return TextRefusal(
            CONTROL_CHARACTERS,
            _(
                "Others read this text: remove the control character or text-direction mark "
                "U+%(code)s (character %(position)s)."
            )
            % {"code": f"{ord(found.group()):04X}", "position": found.start() + 1},
        )
    return None


def validate_public_text(value: str, *, max_length: int, multiline: bool = False) -> None:
    """Raise ValidationError (code text_control_characters or text_too_long) for text that
    may not be shown to another person."""
    refusal = public_text_refusal(value, max_length=max_length, multiline=multiline)
    if refusal is not None:
        raise ValidationError(refusal.message, code=refusal.code)


@deconstructible(path="core.text.PublicText")
class PublicText:
    """The validator for a model or form field that another person reads:
    `validators=[PublicText(300)]`, or `PublicText(2000, multiline=True)` for text kept in
    lines. DRF serializer fields take it as well (the code becomes the error's code)."""

    def __init__(self, max_length: int, *, multiline: bool = False):
        self.max_length = max_length
        self.multiline = multiline

    def __call__(self, value) -> None:
        validate_public_text(str(value), max_length=self.max_length, multiline=self.multiline)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, PublicText)
            and self.max_length == other.max_length
            and self.multiline == other.multiline
        )

    def __hash__(self) -> int:
        return hash((self.max_length, self.multiline))
