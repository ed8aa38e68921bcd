"""Regulatory filings: making a filing's file for a kind, period and format (versioned, never
overwritten) with its manifest on the configured storage, and the regulator's download
through a short-lived signed link bound to one user, each download audited."""

import json
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from accounts.errors import RoleRequired
from accounts.roles import Role
from compliance.filings_errors import (
    FilingFormatUnknown,
    FilingLinkExpired,
    FilingLinkInvalid,
    FilingPeriodInvalid,
)
from compliance.filings_kinds import FILING_KINDS, filing_kind
from compliance.filings_writers import write_filing
from compliance.models import Filing
from core.audit import SYSTEM, AuditContext, audit_record

FORMATS = tuple(Filing.Format.values)
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "json": "jsonl"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/x-ndjson; charset=utf-8",
}
# Who reads filings: the regulator, and the platform's own compliance officers.
FILING_READER_ROLES = (Role.REGULATOR, Role.COMPLIANCE)
LINK_SALT = "compliance.filing-download"


@dataclass(frozen=True)
class FilingResult:
    filing: Filing
    created: bool  # False: the same bytes as the latest version, which is returned


def filing_path(kind: str, period: str, fmt: str, version: int, *, manifest: bool = False) -> str:
    """Kind, period and version are in the path, so no version is written over another."""
    stem = f"filings/{kind}/{period}/v{version}/{kind}_{period}_v{version}"
    return f"{stem}.manifest.json" if manifest else f"{stem}.{EXTENSIONS[fmt]}"


def _lock_series(kind: str, period: str, fmt: str) -> None:
    """Serialise runs for one (kind, period, format) until commit: two at once would both
    pick the same next version. SQLite serialises writers already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"compliance.filing:{kind}:{period}:{fmt}"],
            )


def _store(name: str, content) -> None:
    # A file at this path with no row is what a run that died before committing left: no
    # filing owns it (rows name their files), so it is replaced, never renamed aside.
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, content)
    if saved != name:
        raise RuntimeError(f"storage saved {name} as {saved}")


def filing_generate(
    *,
    kind: str,
    period: str,
    fmt: str,
    actor=None,
    context: AuditContext = SYSTEM,
    copy: bool | None = None,
) -> FilingResult:
    """Make the filing of `kind` for `period` in `fmt`.

    The file streams into a temporary file (COPY on PostgreSQL, constant memory) and is
    hashed on the way. If its bytes equal the latest version's, that version is the answer
    and nothing is stored; otherwise the next version (v1, v2, ...) is stored with its
    manifest and recorded, audited. A version is never replaced: (kind, period, format,
    version) is unique and rows are append-only."""
    spec = filing_kind(kind)
    if fmt not in FORMATS:
        raise FilingFormatUnknown()
    window = spec.parse_period(period)
    source = spec.source(window)
    with tempfile.TemporaryFile(dir=settings.FILINGS_TEMP_DIR) as tmp:
        written = write_filing(
            source, fmt, tmp, title=spec.sheet_title, created=window.start, copy=copy
        )
        with transaction.atomic():
            _lock_series(kind, window.label, fmt)
            latest = (
                Filing.objects.filter(kind=kind, period=window.label, format=fmt)
                .order_by("-version")
                .first()
            )
            if latest is not None and latest.sha256 == written.sha256:
                return FilingResult(filing=latest, created=False)
            version = latest.version + 1 if latest else 1
            generated_at = timezone.now()
            name = filing_path(kind, window.label, fmt, version)
            manifest_name = filing_path(kind, window.label, fmt, version, manifest=True)
            manifest = {
                "schema_version": spec.schema_version,
                "kind": kind,
                "period": window.label,
                "period_start": window.start.isoformat(),
                "period_end": window.end.isoformat(),
                "format": fmt,
                "content_type": CONTENT_TYPES[fmt],
                "file": name.rsplit("/", 1)[-1],
                "row_count": written.row_count,
                "size": written.size,
                "sha256": written.sha256,
                "generated_at": generated_at.isoformat(),
                "version": version,
                "supersedes_version": latest.version if latest else None,
                "columns": [{"name": c.name, "type": c.type} for c in source.columns],
            }
            tmp.seek(0)
            try:
                _store(name, File(tmp, name=name))
                _store(manifest_name, ContentFile(json.dumps(manifest, indent=2).encode()))
                filing = Filing.objects.create(
                    kind=kind,
                    period=window.label,
                    period_start=window.start,
                    period_end=window.end,
                    format=fmt,
                    version=version,
                    schema_version=spec.schema_version,
                    row_count=written.row_count,
                    size=written.size,
                    sha256=written.sha256,
                    file=name,
                    manifest_file=manifest_name,
                    generated_at=generated_at,
                )
                audit_record(
                    action="compliance.filing_generated",
                    subject_type="filing",
                    subject_id=filing.pk,
                    actor=actor,
                    after={k: manifest[k] for k in ("kind", "period", "format", "version")}
                    | {"sha256": written.sha256, "row_count": written.row_count},
                    context=context,
                )
            except BaseException:
                for stored in (name, manifest_name):
                    if default_storage.exists(stored):
                        default_storage.delete(stored)
                raise
    return FilingResult(filing=filing, created=True)


def filings_generate_for(*, kind: str, period: str, formats=None) -> dict:
    """Every configured format of one filing; a JSON summary ({format: "v2 new" | "v1 same"})."""
    results = {}
    for fmt in formats or settings.FILINGS_FORMATS:
        result = filing_generate(kind=kind, period=period, fmt=fmt)
        state = "new" if result.created else "same"
        results[fmt] = f"v{result.filing.version} {state}"
    return results


def filings_daily(as_of: date) -> dict:
    """The daily batch's step: the loan-level file for the business date, in every
    configured format (a replay of the date changes nothing unless the book did)."""
    return filings_generate_for(kind="daily_loans", period=as_of.isoformat())


def filings_due(*, on: date) -> dict:
    """What is due on `on`, made if not made yet (the beat task; idempotent): each daily
    kind for `on`, each monthly kind for the month before `on`'s month."""
    periods = {
        "daily": on.isoformat(),
        "monthly": (on.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
    }
    results = {}
    for code, spec in FILING_KINDS.items():
        try:
            results[code] = filings_generate_for(kind=code, period=periods[spec.cadence])
        except FilingPeriodInvalid as exc:
            # Not due yet (the month's statistics report is not published): the next run
            # makes it.
            results[code] = f"waiting: {exc.message!s}"
    return results


# --- the regulator's download ----------------------------------------------------------------


def ensure_filing_reader(user) -> None:
    """Only regulators and compliance officers read filings."""
    if not (user and user.is_authenticated and any(user.has_role(r) for r in FILING_READER_ROLES)):
        raise RoleRequired()


@dataclass(frozen=True)
class SignedLink:
    token: str
    expires_at: datetime


def filing_link_sign(*, filing: Filing, user) -> SignedLink:
    """A download token for this filing and this user, valid FILINGS_LINK_MAX_AGE_SECONDS:
    signed (django.core.signing, its own salt), so it cannot be altered, and bound to the
    user, so it is worthless to anyone else."""
    ensure_filing_reader(user)
    token = signing.dumps({"f": filing.pk, "u": user.pk}, salt=LINK_SALT)
    expires_at = timezone.now() + timedelta(seconds=settings.FILINGS_LINK_MAX_AGE_SECONDS)
    return SignedLink(token=token, expires_at=expires_at)


@transaction.atomic
def filing_link_open(*, token: str, user, context: AuditContext) -> Filing:
    """The filing a download link names, for the user it was made for, while it is fresh;
    the download is audited. Someone else's link, or a forged one, names nothing (404); an
    expired one is refused with `filing_link_expired`."""
    ensure_filing_reader(user)
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=settings.FILINGS_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise FilingLinkExpired() from None
    except signing.BadSignature:
        raise FilingLinkInvalid() from None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        raise FilingLinkInvalid()
    filing = Filing.objects.filter(pk=data.get("f")).first()
    if filing is None:
        raise FilingLinkInvalid()
    audit_record(
        action="compliance.filing_downloaded",
        subject_type="filing",
        subject_id=filing.pk,
        actor=user,
        after={
            "kind": filing.kind,
            "period": filing.period,
            "format": filing.format,
            "version": filing.version,
            "sha256": filing.sha256,
        },
        context=context,
    )
    return filing
