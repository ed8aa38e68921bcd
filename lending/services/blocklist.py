"""The blocklist: what an entry stores for an identifier, which of a borrower's identifiers
it names, and re-hashing the entries under a new PII key (part of `pii_rotate`).

Entries of the hashed kinds hold the keyed hash accounts.pii computes for Identity and
Enterprise, never the identifier in clear; the identifier is kept only encrypted, so a key
rotation can hash it again.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from accounts import pii
from accounts.pii import PiiKind
from core.audit import audit_record
from lending.eligibility import ReviewIdentifiers
from lending.models import BlocklistEntry

Kind = BlocklistEntry.Kind

# Blocklist kind -> the accounts PII kind whose keyed hash an entry holds.
PII_KINDS = {
    Kind.NATIONAL_ID: PiiKind.NATIONAL_ID,
    Kind.PHONE: PiiKind.PHONE,
    Kind.BANK_ACCOUNT: PiiKind.BANK_CARD,
    Kind.CREDIT_CODE: PiiKind.CREDIT_CODE,
}


def entry_values(kind: str, identifier: str) -> tuple[str, str]:
    """(value, value_encrypted) an entry stores for a valid `identifier` of `kind`."""
    if kind == Kind.EMAIL:
        return identifier.strip().lower(), ""
    pii_kind = PII_KINDS[kind]
    canonical = pii.normalise(pii_kind, identifier)
    return pii.lookup_hash(pii_kind, canonical), pii.encrypt(canonical)


def entries_matching(kind: str, identifier: str):
    """The entries naming `identifier`, under any configured key (or, for an email, in any
    case)."""
    if kind == Kind.EMAIL:
        return BlocklistEntry.objects.filter(kind=kind, value__iexact=identifier.strip())
    values = pii.lookup_hashes(PII_KINDS[kind], identifier)
    return BlocklistEntry.objects.filter(kind=kind, value__in=values)


def blocklisted_kinds(identifiers: ReviewIdentifiers, email: str) -> list[str]:
    """The kinds under which the blocklist names this borrower, in one query."""
    typed = {
        Kind.NATIONAL_ID: identifiers.national_id,
        Kind.PHONE: identifiers.phone,
        Kind.BANK_ACCOUNT: identifiers.bank_card,
        Kind.EMAIL: email,
        Kind.CREDIT_CODE: identifiers.credit_code,
    }
    match = Q(pk__in=[])
    for kind, identifier in typed.items():
        if identifier:
            match |= Q(pk__in=entries_matching(kind, identifier).values("pk"))
    found = set(BlocklistEntry.objects.filter(match).values_list("kind", flat=True))
    return [kind for kind in typed if kind in found]


@dataclass(frozen=True)
class BlocklistRotation:
    rehashed: int
    # Entries made before identifiers were kept encrypted: they match only while the key
    # they were hashed under is configured, and must be typed again before it is removed.
    hash_only: int


@transaction.atomic
def blocklist_pii_rotate() -> BlocklistRotation:
    """Re-encrypt and re-hash every hashed entry under the current (first) PII key."""
    rehashed = hash_only = 0
    entries = BlocklistEntry.objects.select_for_update().exclude(kind=Kind.EMAIL).order_by("id")
    for entry in entries:
        if not entry.value_encrypted:
            hash_only += 1
            continue
        identifier = pii.decrypt(entry.value_encrypted)
        entry.value = pii.lookup_hash(PII_KINDS[entry.kind], identifier)
        entry.value_encrypted = pii.rotate(entry.value_encrypted)
        entry.save(update_fields=["value", "value_encrypted"])
        rehashed += 1
    audit_record(
        action="pii.rotate",
        subject_type="blocklist_entry",
        subject_id="*",
        after={"rows": rehashed, "hash_only": hash_only},
    )
    return BlocklistRotation(rehashed=rehashed, hash_only=hash_only)
