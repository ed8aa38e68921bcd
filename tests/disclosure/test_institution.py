"""The institution page: registration facts from settings, complaint channels, and documents
operations upload (type checked by content, size bounded) served as downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from core.audit import AuditEvent
from disclosure import errors
from disclosure.models import InstitutionDocument
from disclosure.services.institution import Upload, institution_document_upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(actor, data=PDF, name="audit-2025.pdf", **fields):
    args = {"kind": "audit_report", "title": "Audit report 2025", "period": "2025"}
    args.update(fields)
    return institution_document_upload(upload=Upload(name=name, data=data), actor=actor, **args)


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "report.pdf", "document_type_refused"),
        (b"PK\x03\x04 a zip or docx", "report.docx", "document_type_refused"),
        (b"MZ\x90\x00 an executable", "report.exe", "document_type_refused"),
        (b"", "empty.pdf", "document_empty"),
        (PDF + b"x" * 2048, "big.pdf", "document_too_large"),
    ],
)
@override_settings(DISCLOSURE_DOCUMENT_MAX_BYTES=2048)
def test_an_upload_of_a_bad_type_or_size_is_refused_and_nothing_is_kept(
    make_user, data, name, code
):
    with pytest.raises(errors.DocumentRefused) as refused:
        _upload(make_user("operations"), data=data, name=name)
    assert refused.value.code == code
    assert not InstitutionDocument.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="disclosure.").exists()


def test_only_operations_upload_documents(make_user):
    for role in ("investor", "compliance", "collections"):
        with pytest.raises(errors.NoticeRoleRequired):
            _upload(make_user(role))
    assert not InstitutionDocument.objects.exists()


def test_a_document_is_served_as_a_download_by_its_content_type(client, make_user):
    document = _upload(make_user("operations"), name="../../etc/Audit report.PDF")
    assert document.name == "Audit report.pdf"
    assert document.file.name.endswith(f"{document.sha256}.pdf")  # never the uploader's name
    page = client.get("/disclosure/institution/").content.decode()
    assert "Audit report 2025" in page
    response = client.get(f"/disclosure/institution/documents/{document.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="Audit report.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="disclosure.institution_document_uploaded").exists()


def test_a_png_keeps_its_type_whatever_its_name(client, make_user):
    document = _upload(make_user("operations"), data=PNG, name="licence.pdf", kind="licence")
    assert document.content_type == "image/png" and document.name == "licence.png"
    response = client.get(f"/disclosure/institution/documents/{document.pk}/")
    assert response["Content-Type"] == "image/png"


@override_settings(DISCLOSURE_DOCUMENT_MAX_BYTES=1024)
def test_the_admin_upload_form_shows_the_refusal_and_keeps_nothing(client, make_user):
    client.force_login(make_user("operations"))
    response = client.post(
        "/admin/disclosure/institutiondocument/add/",
        {
            "kind": "audit_report",
            "title": "Audit report 2025",
            "period": "2025",
            "upload": SimpleUploadedFile("report.pdf", b"not a pdf at all", "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    assert not InstitutionDocument.objects.exists()
    response = client.post(
        "/admin/disclosure/institutiondocument/add/",
        {
            "kind": "audit_report",
            "title": "Audit report 2025",
            "upload": SimpleUploadedFile("report.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    assert InstitutionDocument.objects.get().title == "Audit report 2025"


@override_settings(
    INSTITUTION_COMPANY_NAME="Example Lending Co., Ltd.",
    INSTITUTION_REGISTRATION_NUMBER="91310000EXAMPLE001",
    INSTITUTION_CUSTODIAN_BANK="Example Custodian Bank",
    INSTITUTION_ICP_FILING="沪ICP备99999999号",
)
def test_the_institution_page_shows_the_registration_facts_and_complaint_channels(client):
    response = client.get("/disclosure/institution/")
    body = response.content.decode()
    assert response.status_code == 200
    for fact in (
        "Example Lending Co., Ltd.",
        "91310000EXAMPLE001",
        "Example Custodian Bank",
        "沪ICP备99999999号",
        'href="/support/complaints/"',
    ):
        assert fact in body
    assert "No documents are published yet." in body


def test_a_missing_document_is_404(client):
    assert client.get("/disclosure/institution/documents/12345/").status_code == 404
