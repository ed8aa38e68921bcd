"""Identity providers: the interface the onboarding service calls, and the sandbox provider.

The provider is chosen by settings.IDENTITY_PROVIDER (a dotted path); the sandbox checks
what a real provider would check against its registries, offline: the resident ID's
checksum, birth place and age, the legal name's shape, a China mobile number, a bank
card's Luhn digit, and a blocklist (settings.IDENTITY_BLOCKLIST_NATIONAL_IDS / _NAMES).
"""

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from accounts.pii import PiiKind, normalise

ADULT_AGE = 18

# Letters of any script (CJK included), with the separators names really contain:
# space, middle dot (维吾尔 names: 买买提·艾力), apostrophe and hyphen. No digits.
_NAME_RE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ \u00b7'\u2019-](?=[^\W\d_]))*$")
# re.ASCII: `\d` would otherwise match every script's digits (١٢٣, १२३), which no
# registry issues and which would hash apart from the same number in ASCII.
_NATIONAL_ID_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_CARD_RE = re.compile(r"^\d{16,19}$", re.ASCII)


@dataclass(frozen=True)
class IdentitySubmission:
    legal_name: str
    national_id: str
    phone: str
    bank_card: str


@dataclass(frozen=True)
class IdentityDecision:
    passed: bool
    reasons: tuple[str, ...] = ()
    reference: str = ""
    birth_date: datetime.date | None = field(default=None)


class IdentityProvider(Protocol):
    name: str

    def verify(self, submission: IdentitySubmission) -> IdentityDecision:
        """Check the person is who they claim; never raise for a bad submission."""


def resident_id_birth_date(national_id: str) -> datetime.date | None:
    """The birth date of a well-formed 18-character resident ID (GB 11643 check digit,
    known birth place), or None when the number is not one."""
    national_id = normalise(PiiKind.NATIONAL_ID, national_id)
    try:
        if not _NATIONAL_ID_RE.match(national_id):
            raise StdnumValidationError()
        ric.validate(national_id)
        return ric.get_birth_date(national_id)
    except StdnumValidationError:
        return None


def identifier_refusal(kind: str, value: str) -> str | None:
    """Why `value` is not a well-formed national ID, phone or bank card (the shape checks
    the sandbox provider applies, for forms that take one identifier alone), or None."""
    canonical = normalise(kind, value)
    if kind == PiiKind.NATIONAL_ID:
        ok = resident_id_birth_date(canonical) is not None
    elif kind == PiiKind.PHONE:
        ok = bool(_PHONE_RE.match(canonical))
    elif kind == PiiKind.BANK_CARD:
        ok = bool(_CARD_RE.match(canonical)) and luhn.is_valid(canonical)
    else:
        raise ValueError(f"not an identifier kind: {kind}")
    return None if ok else f"invalid_{kind}"


def _age_on(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class SandboxIdentityProvider:
    """Offline checks with the same outcomes a real provider returns."""

    name = "sandbox"

    def verify(self, submission: IdentitySubmission) -> IdentityDecision:
        reasons: list[str] = []
        name = normalise(PiiKind.LEGAL_NAME, submission.legal_name)
        if not (2 <= len(name) <= 30) or not _NAME_RE.match(name):
            reasons.append("invalid_legal_name")

        national_id = normalise(PiiKind.NATIONAL_ID, submission.national_id)
        birth = resident_id_birth_date(national_id)
        if birth is None:
            reasons.append("invalid_national_id")
        if birth is not None:
            today = timezone.localdate()
            if birth > today:
                reasons.append("invalid_national_id")
            elif _age_on(birth, today) < ADULT_AGE:
                reasons.append("underage")

        for kind, typed in (
            (PiiKind.PHONE, submission.phone),
            (PiiKind.BANK_CARD, submission.bank_card),
        ):
            refusal = identifier_refusal(kind, typed)
            if refusal:
                reasons.append(refusal)

        blocked_ids = {
            normalise(PiiKind.NATIONAL_ID, v) for v in settings.IDENTITY_BLOCKLIST_NATIONAL_IDS
        }
        blocked_names = {
            normalise(PiiKind.LEGAL_NAME, v).casefold() for v in settings.IDENTITY_BLOCKLIST_NAMES
        }
        if national_id in blocked_ids or name.casefold() in blocked_names:
            reasons.append("identity_blocklisted")

        return IdentityDecision(
            passed=not reasons,
            reasons=tuple(dict.fromkeys(reasons)),
            reference=f"sandbox-{uuid.uuid4().hex[:16]}",
            birth_date=birth if not reasons else None,
        )


def identity_provider() -> IdentityProvider:
    """The configured provider (settings.IDENTITY_PROVIDER, sandbox by default)."""
    return import_string(settings.IDENTITY_PROVIDER)()


# --- Sandbox test data: valid numbers for demos and tests, never real people's --------

# Area codes in python-stdnum's birth-place table (Beijing, Shanghai, Shenzhen, Hangzhou,
# Nanjing, Wuhan); some are younger than others, so sandbox_national_id checks the year.
SANDBOX_AREA_CODES = ("110105", "310104", "440305", "330106", "320102", "420106")


def sandbox_national_id(*, birth: datetime.date, sequence: int, area: str = "110105") -> str:
    """A resident ID that passes the checksum, for a made-up person born on `birth`."""
    body = f"{area}{birth:%Y%m%d}{sequence % 1000:03d}"
    number = body + ric.calc_check_digit(body + "0")
    if not ric.is_valid(number):
        # Area codes come and go; python-stdnum knows which existed in the birth year.
        raise ValueError(f"Area {area} did not exist in {birth.year}; choose another.")
    return number


def sandbox_phone(sequence: int) -> str:
    return f"138{sequence % 100_000_000:08d}"


def sandbox_bank_card(sequence: int, *, prefix: str = "622202") -> str:
    """A 19-digit UnionPay-style card number with a valid Luhn check digit."""
    body = f"{prefix}{sequence % 10**12:012d}"
    return body + luhn.calc_check_digit(body)


@dataclass(frozen=True)
class SandboxTestValues:
    """What a newcomer may type on the identity page in a demo or dev setup: details that
    pass (fresh for each account, since one person holds one account) and ones that fail on
    purpose, each with the reason the sandbox gives."""

    legal_name: str
    national_id: str
    phone: str
    bank_card: str
    failing: tuple[tuple[str, str, str], ...]  # (field, value, why it fails)


def sandbox_test_values(seed: int) -> SandboxTestValues:
    """Passing details unique to `seed` (an account's id): a Shanghai resident ID for an adult
    born between 1960 and 1987, and phone and card numbers outside the demo seed's ranges."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=seed % 10_000)
    child = timezone.localdate() - datetime.timedelta(days=3653)  # ten years old
    card = sandbox_bank_card(900_000_000 + seed)
    bad_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    return SandboxTestValues(
        legal_name="张伟",
        national_id=sandbox_national_id(birth=birth, sequence=seed // 10_000, area="310104"),
        phone=sandbox_phone(50_000_000 + seed),
        bank_card=card,
        failing=(
            (
                "national_id",
                settings.IDENTITY_BLOCKLIST_NATIONAL_IDS[0]
                if settings.IDENTITY_BLOCKLIST_NATIONAL_IDS
                else "",
                _("on the provider's blocklist"),
            ),
            (
                "national_id",
                sandbox_national_id(birth=child, sequence=seed % 1000, area="310104"),
                _("a ten-year-old: under 18"),
            ),
            (
                "legal_name",
                settings.IDENTITY_BLOCKLIST_NAMES[-1] if settings.IDENTITY_BLOCKLIST_NAMES else "",
                _("a blocklisted name"),
            ),
            ("bank_card", bad_card, _("wrong check digit (Luhn)")),
            ("phone", "12345678901", _("not a China mobile number")),
        ),
    )
