"""Personal data at rest: normalisation, Fernet encryption with key rotation, keyed lookup
hashes, and masking. Nothing here touches the database.

Keys come from settings.PII_ENCRYPTION_KEYS, newest first. Encryption uses the first key;
decryption tries each (MultiFernet), so prepending a new key rotates without downtime.
Lookup hashes are HMAC-SHA256 under a key derived (HKDF) from each PII key: new rows are
hashed under the first key, lookups try every key, and `rotate` rewrites both.
"""

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import credit_code


class PiiKind(models.TextChoices):
    NATIONAL_ID = "national_id", _("National ID")
    PHONE = "phone", _("Mobile phone")
    BANK_CARD = "bank_card", _("Bank card")
    LEGAL_NAME = "legal_name", _("Legal name")
    # An enterprise borrower's facts (accounts.models.Enterprise).
    COMPANY_NAME = "company_name", _("Company name")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    ADDRESS = "address", _("Registered address")


class PiiKeyError(RuntimeError):
    """The configured keys cannot decrypt a stored value (a key was removed too early)."""


def _keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in settings.PII_ENCRYPTION_KEYS if k.strip())
    if not keys:
        raise PiiKeyError("PII_ENCRYPTION_KEYS is empty.")
    return keys


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


@lru_cache(maxsize=8)
def _hash_keys(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    derived = []
    for key in keys:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"p2p-pii-lookup-v1")
        derived.append(hkdf.derive(key.encode()))
    return tuple(derived)


def normalise(kind: str, value: str) -> str:
    """The canonical form that is encrypted and hashed: NFKC-folded, no separators.

    NFKC folds the full-width digits and plus sign a CJK IME types to ASCII, so one
    person's number has one hash however it was typed. Other non-ASCII digits (Arabic-Indic,
    Devanagari) survive the fold and fail `is_ascii_canonical`, so they are refused rather
    than hashed as a second identity.
    """
    value = unicodedata.normalize("NFKC", value or "").strip()
    if kind == PiiKind.NATIONAL_ID:
        return re.sub(r"[\s-]", "", value).upper()
    if kind == PiiKind.PHONE:
        digits = re.sub(r"[\s()-]", "", value)
        if digits.startswith("+86"):
            digits = digits[3:]
        elif digits.startswith("0086"):
            digits = digits[4:]
        return digits
    if kind == PiiKind.BANK_CARD:
        return re.sub(r"[\s-]", "", value)
    if kind == PiiKind.CREDIT_CODE:
        return credit_code.normalise(value)
    return " ".join(value.split())


_CANONICAL = {
    PiiKind.NATIONAL_ID: re.compile(r"[0-9X]+", re.ASCII),
    PiiKind.PHONE: re.compile(r"[0-9]+", re.ASCII),
    PiiKind.BANK_CARD: re.compile(r"[0-9]+", re.ASCII),
    PiiKind.CREDIT_CODE: re.compile(r"[0-9A-Z]+", re.ASCII),
}

# Legal-form endings of Chinese company names, longest first: kept visible when a name is
# masked, so an investor sees the kind of firm but not which one.
_COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "合伙企业",
    "集团公司",
    "公司",
    "Co., Ltd.",
    "Co., Ltd",
    "Ltd.",
    "Ltd",
)


def is_ascii_canonical(kind: str, value: str) -> bool:
    """Whether the canonical form holds only the ASCII characters its kind allows."""
    return bool(_CANONICAL[kind].fullmatch(normalise(kind, value)))


def encrypt(value: str) -> str:
    return _multifernet(_keys()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _multifernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise PiiKeyError("No configured PII key decrypts this value.") from exc


def _digest(key: bytes, kind: str, value: str) -> str:
    # The kind is part of the message, so equal digits of a phone and a card never collide.
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def lookup_hash(kind: str, value: str) -> str:
    """The hash stored for a new value: under the first (current) key."""
    return _digest(_hash_keys(_keys())[0], kind, normalise(kind, value))


def lookup_hashes(kind: str, value: str) -> list[str]:
    """Every hash the value may be stored under while older keys are still configured."""
    canonical = normalise(kind, value)
    return [_digest(key, kind, canonical) for key in _hash_keys(_keys())]


def rotate(token: str) -> str:
    """Re-encrypt a stored value under the current key."""
    try:
        return _multifernet(_keys()).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise PiiKeyError("No configured PII key decrypts this value.") from exc


def mask(kind: str, value: str) -> str:
    """The display form that is safe to show anyone: most characters hidden."""
    value = normalise(kind, value)
    if kind == PiiKind.NATIONAL_ID:
        if len(value) <= 8:
            return "*" * len(value)
        # A fixed run of stars also hides whether it is a 15- or 18-character ID.
        return value[:4] + "********" + value[-4:]
    if kind == PiiKind.PHONE:
        if len(value) < 7:
            return "*" * len(value)
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if kind == PiiKind.BANK_CARD:
        return "**** **** **** " + value[-4:]
    if kind == PiiKind.LEGAL_NAME:
        if not value:
            return ""
        if " " in value:
            # Latin names: first letter of each part, "Wang Li" -> "W*** L*".
            return " ".join(part[0] + "*" * max(len(part) - 1, 1) for part in value.split())
        # Chinese names: keep the surname, "王小明" -> "王**".
        return value[0] + "*" * max(len(value) - 1, 1)
    if kind == PiiKind.CREDIT_CODE:
        if len(value) <= 8:
            return "*" * len(value)
        # Keep the authority, type and province (the first four) and the last four.
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if kind == PiiKind.COMPANY_NAME:
        return _mask_company_name(value)
    if kind == PiiKind.ADDRESS:
        # The first six characters usually name the province and city; hide the rest.
        return value[:6] + "****" if len(value) > 6 else value[:2] + "****"
    raise ValueError(f"Unknown PII kind: {kind}")


def _mask_company_name(value: str) -> str:
    """ "深圳湾科技有限公司" -> "深圳***有限公司": the first two characters and the legal form."""
    if not value:
        return ""
    suffix = next((s for s in _COMPANY_SUFFIXES if value.endswith(s) and len(value) > len(s)), "")
    body = value[: len(value) - len(suffix)].rstrip() if suffix else value
    # At most eight stars: a long Latin name would otherwise print a row of them.
    masked = body[:2] + "*" * min(max(len(body) - 2, 2), 8)
    if not suffix:
        return masked
    return masked + (" " if suffix.isascii() else "") + suffix
