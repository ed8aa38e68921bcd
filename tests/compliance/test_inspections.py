"""Inspection requests end to end: a regulator raises one (page or API); compliance answers
it in the admin with documents (type and size checked); every regulator reads the thread
and downloads the documents through the checked view, nobody else; the regulator closes or
reopens it; every step is audited; an overdue request reminds compliance once per due date,
through a real worker too."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.models import InspectionDocument, InspectionRequest
from compliance.services.inspections import (
    inspection_answer,
    inspection_close,
    inspection_raise,
    inspection_reopen,
    inspections_remind_overdue,
)
from core.audit import AuditEvent
from core.errors import DomainError
from lending.business_date import business_date
from lending.models import Notification
from tests.lending.conftest import open_loan  # noqa: F401 - fixture
from tests.worker import worker_running

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _due(days: int = 14):
    return business_date() + timedelta(days=days)


def _raise(regulator, **overrides) -> InspectionRequest:
    body = {
        "subject": "Loans past due over 90 days, Q4",
        "text": "Send the collection notes for every loan more than 90 days past due.",
        "due_on": _due(),
        **overrides,
    }
    return inspection_raise(regulator=regulator, **body)


def _admin_answer(client, inspection, answer: str, files=()):
    """Post the admin's change form as a compliance officer does (the thread inline is
    read-only, but its management form travels with the page)."""
    messages = list(inspection.messages.order_by("id"))
    data = {
        "answer": answer,
        "messages-TOTAL_FORMS": str(len(messages)),
        "messages-INITIAL_FORMS": str(len(messages)),
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
        **{f"messages-{i}-id": str(m.pk) for i, m in enumerate(messages)},
        **{f"messages-{i}-request": str(inspection.pk) for i in range(len(messages))},
    }
    if files:
        data["documents"] = list(files)
    url = reverse("admin:compliance_inspectionrequest_change", args=[inspection.pk])
    return client.post(url, data)


def test_end_to_end_raise_answer_with_a_document_download_close(
    client,
    make_user,
    open_loan,  # noqa: F811
):
    regulator, colleague = make_user("regulator"), make_user("regulator")
    officer = make_user("compliance")

    # The regulator raises a request about one loan, on the page.
    client.force_login(regulator)
    response = client.post(
        reverse("compliance:inspection-create"),
        {
            "subject": "Collection file for one loan",
            "loan_reference": open_loan.reference.lower(),
            "due_on": _due(10).isoformat(),
            "text": "Send the loan agreement and the collection notes.",
        },
        REMOTE_ADDR="10.9.8.7",
    )
    assert response.status_code == 302
    inspection = InspectionRequest.objects.get()
    assert response["Location"] == reverse("compliance:inspection-detail", args=[inspection.pk])
    assert inspection.loan == open_loan and inspection.status == "open"
    assert inspection.raised_by == regulator and inspection.due_on == _due(10)
    raised = AuditEvent.objects.get(action="compliance.inspection_raised")
    assert raised.actor == regulator and raised.ip_address == "10.9.8.7"
    assert raised.subject_id == str(inspection.pk)

    # Compliance sees it in the admin queue and answers it there with two documents.
    client.force_login(officer)
    queue = client.get(reverse("admin:compliance_inspectionrequest_changelist"))
    assert queue.status_code == 200 and "Collection file for one loan" in queue.content.decode()
    response = _admin_answer(
        client,
        inspection,
        "The agreement and the notes are attached.",
        [
            SimpleUploadedFile("agreement.pdf", PDF, content_type="application/pdf"),
            SimpleUploadedFile("../../notes scan.png", PNG, content_type="image/png"),
        ],
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inspection.refresh_from_db()
    assert inspection.status == "answered" and inspection.assigned_to == officer
    documents = list(InspectionDocument.objects.order_by("id"))
    assert [(d.name, d.content_type) for d in documents] == [
        ("agreement.pdf", "application/pdf"),
        ("notes scan.png", "image/png"),
    ]
    answered = AuditEvent.objects.get(action="compliance.inspection_answered")
    assert answered.actor == officer and len(answered.after["documents"]) == 2
    assert Notification.objects.filter(user=regulator, kind="inspection_answered").exists()

    # Every regulator reads the thread and downloads the documents through the view.
    for reader in (regulator, colleague):
        client.force_login(reader)
        page = client.get(reverse("compliance:inspection-detail", args=[inspection.pk]))
        html = page.content.decode()
        assert "The agreement and the notes are attached." in html
        url = reverse("compliance:inspection-document", args=[inspection.pk, documents[0].pk])
        assert f'href="{url}"' in html
        download = client.get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert 'attachment; filename="agreement.pdf"' in download["Content-Disposition"]
        assert download["X-Content-Type-Options"] == "nosniff"
    # A document id under another request's path is not found.
    other = _raise(regulator)
    wrong = reverse("compliance:inspection-document", args=[other.pk, documents[0].pk])
    assert client.get(wrong).status_code == 404

    # The colleague closes it: audited; the admin then shows it read-only.
    response = client.post(reverse("compliance:inspection-close", args=[inspection.pk]))
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == "closed" and inspection.closed_at is not None
    closed = AuditEvent.objects.get(action="compliance.inspection_closed")
    assert closed.actor == colleague and closed.before == {"status": "answered"}


@pytest.mark.parametrize("role", ["investor", "borrower", "reviewer", "approver", "operations"])
def test_nobody_but_regulators_and_compliance_reads_a_request_or_its_documents(
    client, make_user, role
):
    regulator, officer = make_user("regulator"), make_user("compliance")
    inspection = _raise(regulator)
    inspection_answer(
        request_id=inspection.pk,
        author=officer,
        text="Attached.",
        uploads=[_upload("a.pdf", PDF)],
    )
    document = InspectionDocument.objects.get()
    client.force_login(make_user(role))
    detail = client.get(reverse("compliance:inspection-detail", args=[inspection.pk]))
    assert detail.status_code == 403 and b'data-code="role_required"' in detail.content
    url = reverse("compliance:inspection-document", args=[inspection.pk, document.pk])
    assert client.get(url).status_code == 403
    # Compliance reads it (and downloads what it sent).
    client.force_login(officer)
    assert client.get(url).status_code == 200


def _upload(name, data):
    from compliance.services.inspections import Upload

    return Upload(name=name, data=data)


def test_the_admin_refuses_a_file_that_is_not_a_pdf_or_image_and_changes_nothing(client, make_user):
    inspection = _raise(make_user("regulator"))
    client.force_login(make_user("compliance"))
    response = _admin_answer(
        client,
        inspection,
        "Here it is.",
        [SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")],
    )
    assert response.status_code == 200
    assert "report.pdf is not a PDF, PNG or JPEG file." in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "open" and not InspectionDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="compliance.inspection_answered").exists()


def test_the_admin_refuses_a_document_over_the_size_limit(client, make_user, settings):
    settings.INSPECTION_DOCUMENT_MAX_BYTES = 1024
    inspection = _raise(make_user("regulator"))
    client.force_login(make_user("compliance"))
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = _admin_answer(client, inspection, "Attached.", [big])
    assert response.status_code == 200 and "is larger than" in response.content.decode()
    assert not InspectionDocument.objects.exists()


def test_the_service_refuses_too_many_documents_and_wrong_people(make_user, settings):
    settings.INSPECTION_DOCUMENTS_PER_MESSAGE = 2
    regulator, officer = make_user("regulator"), make_user("compliance")
    inspection = _raise(regulator)
    with pytest.raises(DomainError) as refused:
        inspection_answer(
            request_id=inspection.pk,
            author=officer,
            text="Attached.",
            uploads=[_upload(f"{n}.pdf", PDF) for n in range(3)],
        )
    assert refused.value.code == "too_many_attachments"
    with pytest.raises(DomainError) as refused:
        inspection_answer(request_id=inspection.pk, author=regulator, text="I answer myself.")
    assert refused.value.code == "role_required"
    with pytest.raises(DomainError) as refused:
        _raise(officer)
    assert refused.value.code == "role_required"
    with pytest.raises(DomainError) as refused:
        inspection_close(request_id=inspection.pk, actor=officer)
    assert refused.value.code == "role_required"
    assert InspectionRequest.objects.get().status == "open"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"due_on": "today"}, "due_on_invalid"),
        ({"due_on": "far"}, "due_on_invalid"),
        ({"loan_reference": "LN-NOPE"}, "loan_reference_unknown"),
        ({"subject": "   "}, "text_required"),
        ({"text": "bad\x00text"}, "text_control_characters"),
    ],
)
def test_raising_refuses_bad_input_with_a_code_and_writes_nothing(make_user, overrides, code):
    if overrides.get("due_on") == "today":
        overrides["due_on"] = business_date()
    elif overrides.get("due_on") == "far":
        overrides["due_on"] = _due(400)
    with pytest.raises(DomainError) as refused:
        _raise(make_user("regulator"), **overrides)
    assert refused.value.code == code
    assert not InspectionRequest.objects.exists() and not AuditEvent.objects.exists()


def test_the_page_shows_a_refusal_next_to_its_field(client, make_user):
    client.force_login(make_user("regulator"))
    response = client.post(
        reverse("compliance:inspection-create"),
        {
            "subject": "About a loan",
            "loan_reference": "LN-NOPE",
            "due_on": _due().isoformat(),
            "text": "Details.",
        },
    )
    assert response.status_code == 400
    assert "No loan has that reference." in response.content.decode()
    assert not InspectionRequest.objects.exists()


def test_a_regulator_follows_up_then_reopens_after_closing(client, make_user):
    regulator, officer = make_user("regulator"), make_user("compliance")
    inspection = _raise(regulator)
    inspection_answer(request_id=inspection.pk, author=officer, text="Partial answer.")
    client.force_login(regulator)
    url = reverse("compliance:inspection-reopen", args=[inspection.pk])
    response = client.post(url, {"text": "The notes for March are missing.", "due_on": ""})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == "open" and inspection.reopened_count == 0
    # Open again: a second follow-up is refused until the platform answers.
    refused = client.post(url, {"text": "Again."})
    assert refused.status_code == 400 and "open already" in refused.content.decode()

    inspection_answer(request_id=inspection.pk, author=officer, text="March attached.")
    inspection_close(request_id=inspection.pk, actor=regulator)
    response = client.post(url, {"text": "One more year, please.", "due_on": _due(30).isoformat()})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == "open" and inspection.reopened_count == 1
    assert inspection.due_on == _due(30) and inspection.closed_at is None
    actions = list(
        AuditEvent.objects.filter(subject_type="inspection_request", subject_id=inspection.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "compliance.inspection_raised",
        "compliance.inspection_answered",
        "compliance.inspection_reopened",
        "compliance.inspection_answered",
        "compliance.inspection_closed",
        "compliance.inspection_reopened",
    ]


def test_compliance_cannot_answer_a_closed_request_in_the_admin(client, make_user):
    regulator = make_user("regulator")
    inspection = _raise(regulator)
    inspection_close(request_id=inspection.pk, actor=regulator)
    client.force_login(make_user("compliance"))
    url = reverse("admin:compliance_inspectionrequest_change", args=[inspection.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="answer"' not in page.content.decode()
    response = _admin_answer(client, inspection, "Late answer.")
    assert response.status_code == 403
    assert not inspection.messages.filter(is_answer=True).exists()


def test_compliance_assigns_requests_to_themselves_from_the_queue(client, make_user):
    officer = make_user("compliance")
    inspection = _raise(make_user("regulator"))
    client.force_login(officer)
    response = client.post(
        reverse("admin:compliance_inspectionrequest_changelist"),
        {"action": "assign_to_me", "_selected_action": [inspection.pk]},
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.assigned_to == officer
    assert AuditEvent.objects.filter(action="compliance.inspection_assigned").exists()


def test_the_api_raises_lists_and_reads_requests(api_client, make_user):
    regulator, officer = make_user("regulator"), make_user("compliance")
    api_client.force_authenticate(regulator)
    body = {"subject": "Board minutes", "text": "Send the last four.", "due_on": str(_due())}
    created = api_client.post("/api/v1/regulator/inspections", body, format="json")
    assert created.status_code == 201, created.content
    detail = created.json()
    assert detail["status"] == "open" and detail["raised_by"] == regulator.email
    assert detail["messages"][0]["text"] == "Send the last four."
    inspection_answer(
        request_id=detail["id"],
        author=officer,
        text="Minutes attached.",
        uploads=[_upload("minutes.pdf", PDF)],
    )
    api_client.force_authenticate(make_user("regulator"))  # another regulator reads it too
    listed = api_client.get("/api/v1/regulator/inspections").json()
    assert [r["id"] for r in listed["results"]] == [detail["id"]]
    assert listed["results"][0]["status"] == "answered"
    read = api_client.get(f"/api/v1/regulator/inspections/{detail['id']}").json()
    document = read["messages"][1]["documents"][0]
    assert document["name"] == "minutes.pdf" and document["url"].startswith("/regulator/")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"subject": "x", "text": "y", "due_on": "tomorrow"}, 400, "due_on"),
        ({"subject": "x", "text": "y", "due_on": "2020-01-01"}, 400, None),
        ({"subject": "x", "text": "y", "due_on": "2027-01-01", "extra": 1}, 400, "extra"),
        ({"subject": 5, "text": "y", "due_on": "2027-01-01"}, 400, "subject"),
    ],
)
def test_the_api_refuses_bad_bodies_with_a_code(api_client, make_user, body, status, field):
    api_client.force_authenticate(make_user("regulator"))
    response = api_client.post("/api/v1/regulator/inspections", body, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"]
    if field:
        assert field in response.json()["fields"]
    assert not InspectionRequest.objects.exists()


def test_an_overdue_request_reminds_compliance_once_per_due_date(make_user, mailoutbox):
    officer, regulator = make_user("compliance"), make_user("regulator")
    inspection = _raise(regulator, due_on=_due(3))
    answered = _raise(regulator, due_on=_due(3))
    inspection_answer(request_id=answered.pk, author=officer, text="Done.")
    assert inspections_remind_overdue(today=_due(3)) == 0  # due today is not late yet
    assert inspections_remind_overdue(today=_due(4)) == 1
    assert inspections_remind_overdue(today=_due(5)) == 0
    assert [m.to for m in mailoutbox] == [[officer.email]]
    assert f"Inspection request {inspection.pk}" in mailoutbox[0].subject
    # Reopened after an answer, with a new due date: one more reminder once that passes.
    inspection_answer(request_id=inspection.pk, author=officer, text="Answer.")
    inspection_reopen(request_id=inspection.pk, actor=regulator, text="More.", due_on=_due(8))
    assert inspections_remind_overdue(today=_due(8)) == 0
    assert inspections_remind_overdue(today=_due(9)) == 1
    assert len(mailoutbox) == 2 and set(mailoutbox[1].to) == {officer.email}


@pytest.mark.django_db(transaction=True)
def test_the_reminder_task_runs_on_a_real_worker_and_twice_reminds_once(make_user):
    from compliance.tasks import inspections_remind_overdue_task

    officer = make_user("compliance")
    inspection = _raise(make_user("regulator"))
    # Its due date has passed (a fixture: the service refuses a past due date).
    InspectionRequest.objects.filter(pk=inspection.pk).update(due_on=business_date() - timedelta(1))
    mail.outbox = []
    name = "compliance.inspections_remind_overdue"
    with worker_running(name) as ran:
        inspections_remind_overdue_task.delay()
        assert ran[name].wait(60), "the worker did not run it"
        ran[name].clear()
        inspections_remind_overdue_task.delay()
        assert ran[name].wait(60), "the worker did not run it again"
    inspection.refresh_from_db()
    assert inspection.reminded_for_due_on == inspection.due_on
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert AuditEvent.objects.filter(action="compliance.inspection_overdue_reminded").count() == 1
