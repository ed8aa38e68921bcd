"""Institution information (2017 Disclosure Guidelines art. 9): the registration facts, from
settings, and the documents operations upload (audit reports and the like), checked by their
content and size, stored under their hash and served through a view."""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.audit import SYSTEM, AuditContext, audit_record
from core.text import public_text_refusal
from core.uploads import EXTENSIONS, Upload, upload_kind
from disclosure import errors
from disclosure.models import InstitutionDocument

UPLOADER_ROLES = (Role.OPERATIONS,)


@dataclass(frozen=True)
class Registration:
    """The registration facts the institution page shows."""

    company_name: str
    registration_number: str
    registered_capital: str
    registered_address: str
    established_on: str
    legal_representative: str
    custodian_bank: str
    icp_filing: str
    complaint_phone: str
    complaint_email: str


def institution_registration() -> Registration:
    return Registration(
        company_name=settings.INSTITUTION_COMPANY_NAME,
        registration_number=settings.INSTITUTION_REGISTRATION_NUMBER,
        registered_capital=settings.INSTITUTION_REGISTERED_CAPITAL,
        registered_address=settings.INSTITUTION_REGISTERED_ADDRESS,
        established_on=settings.INSTITUTION_ESTABLISHED_ON,
        legal_representative=settings.INSTITUTION_LEGAL_REPRESENTATIVE,
        custodian_bank=settings.INSTITUTION_CUSTODIAN_BANK,
        icp_filing=settings.INSTITUTION_ICP_FILING,
        complaint_phone=settings.INSTITUTION_COMPLAINT_PHONE,
        complaint_email=settings.INSTITUTION_COMPLAINT_EMAIL,
    )


def may_upload_document(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_role(r) for r in UPLOADER_ROLES))


def document_kind_of(upload: Upload) -> str:
    """The content type of an acceptable document; DocumentRefused (document_empty,
    document_too_large, document_type_refused) for anything else."""
    return upload_kind(
        upload,
        max_bytes=settings.DISCLOSURE_DOCUMENT_MAX_BYTES,
        refuse=errors.DocumentRefused,
        prefix="document",
    )


def _safe_name(name: str, kind: str) -> str:
    """The file name as downloaded: its last path part, printable, at most 120 characters,
    ending in the extension its content has."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*;').strip()
    stem = cleaned.rsplit(".", 1)[0] if "." in cleaned else cleaned
    return f"{(stem or 'document')[:110]}.{EXTENSIONS[kind]}"


@transaction.atomic
def institution_document_upload(
    *,
    kind: str,
    title: str,
    period: str = "",
    upload: Upload,
    actor,
    context: AuditContext = SYSTEM,
) -> InstitutionDocument:
    """Operations publish a document on the institution page: refused unless it is a PDF,
    PNG or JPEG (by content) within DISCLOSURE_DOCUMENT_MAX_BYTES; kept under its hash."""
    if not may_upload_document(actor):
        raise errors.NoticeRoleRequired(_("Only operations may upload institution documents."))
    if kind not in InstitutionDocument.Kind.values:
        raise errors.DocumentRefused(_("Choose a document type."), code="document_kind_invalid")
    title = (title or "").strip()
    period = (period or "").strip()
    for field, value, limit, required in (
        ("title", title, 200, True),
        ("period", period, 40, False),
    ):
        if required and not value:
            raise errors.DocumentRefused(_("Give the document a title."), code="text_required")
        refusal = public_text_refusal(value, max_length=limit)
        if refusal is not None:
            raise errors.DocumentRefused(refusal.message, code=refusal.code, field=field)
    content_type = document_kind_of(upload)
    digest = InstitutionDocument.digest(upload.data)
    document = InstitutionDocument(
        kind=kind,
        title=title,
        period=period,
        name=_safe_name(upload.name, content_type),
        content_type=content_type,
        size=len(upload.data),
        sha256=digest,
        uploaded_by=actor,
    )
    # Never the uploader's file name in the stored path: it is kept as `name`, shown only.
    document.file.save(f"{digest}.{EXTENSIONS[content_type]}", ContentFile(upload.data), save=False)
    document.save()
    audit_record(
        action="disclosure.institution_document_uploaded",
        subject_type="institution_document",
        subject_id=document.pk,
        actor=actor,
        after={"kind": kind, "title": title, "sha256": digest, "size": document.size},
        context=context,
    )
    return document


def institution_document_list() -> QuerySet[InstitutionDocument]:
    return InstitutionDocument.objects.order_by("-uploaded_at", "-id")
