"""Files people upload (complaint attachments, inspection answers, institution documents):
what a service takes, how it is checked and the name it is shown under. A file is a PDF, PNG
or JPEG told by its first bytes, never by its name or declared type."""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the services take it: its name as given and its bytes."""

    name: str
    data: bytes


def upload_kind(upload: Upload, *, max_bytes: int, refuse, prefix: str) -> str:
    """The content type of an acceptable file. Anything else raises `refuse` (a DomainError
    class) with the code `<prefix>_empty`, `<prefix>_too_large` or `<prefix>_type_refused`."""
    if not upload.data:
        raise refuse(_("The file is empty."), code=f"{prefix}_empty")
    if len(upload.data) > max_bytes:
        raise refuse(
            _("%(name)s is larger than %(mb)s MB.")
            % {"name": upload.name[:60], "mb": f"{max_bytes / (1024 * 1024):g}"},
            code=f"{prefix}_too_large",
        )
    kind = next((t for sig, t in SIGNATURES.items() if upload.data.startswith(sig)), None)
    if kind is None:
        raise refuse(
            _("%(name)s is not a PDF, PNG or JPEG file.") % {"name": upload.name[:60]},
            code=f"{prefix}_type_refused",
        )
    return kind


def uploads_check(
    uploads: list[Upload], *, max_bytes: int, max_count: int, refuse, too_many
) -> list[tuple[Upload, str]]:
    """Each file with its content type; refused as a whole (`too_many_attachments`, with the
    message `too_many`) above `max_count`, or at the first file upload_kind refuses."""
    if len(uploads) > max_count:
        raise refuse(too_many, code="too_many_attachments")
    return [
        (upload, upload_kind(upload, max_bytes=max_bytes, refuse=refuse, prefix="attachment"))
        for upload in uploads
    ]


def safe_name(name: str, *, default: str = "attachment") -> str:
    """The file name as shown: its last path part, printable, at most 120 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*;').strip()
    return cleaned[:120] or default


def upload_store(record, upload: Upload, kind: str) -> None:
    """Fill a stored file's record (`name`, `content_type`, `size`, `sha256`, `file`) from an
    upload checked by upload_kind, store the bytes under their hash, and save the record."""
    digest = hashlib.sha256(upload.data).hexdigest()
    record.name = safe_name(upload.name)
    record.content_type = kind
    record.size = len(upload.data)
    record.sha256 = digest
    record.file.save(digest, ContentFile(upload.data), save=False)
    record.save()
