"""Complaints end to end: filed by the API and the page (with attachments checked by their
content), answered from the admin, closed and reopened; the SLA reminder; statistics."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from compliance.models import Complaint, ComplaintAttachment
from compliance.selectors import complaint_statistics
from compliance.services.complaints import (
    complaint_close,
    complaint_file,
    complaint_reply,
    complaints_remind_breaches,
)
from core.audit import AuditEvent
from lending.models import Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BODY = {"category": "repayment", "subject": "Charged twice", "text": "I was charged twice."}


def _api(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_user_files_follows_and_answers_through_the_api(api_client, make_user):
    user = make_user()
    api = _api(api_client, user)
    created = api.post("/api/v1/complaints", BODY, format="json")
    assert created.status_code == 201, created.content
    complaint_id = created.json()["id"]
    assert created.json()["status"] == "open"
    assert created.json()["messages"][0]["text"] == "I was charged twice."
    officer = make_user("compliance")
    complaint_reply(complaint_id=complaint_id, author=officer, text="Refunded today.")
    detail = api.get(f"/api/v1/complaints/{complaint_id}").json()
    assert detail["status"] == "answered"
    assert [m["from_staff"] for m in detail["messages"]] == [False, True]
    assert Notification.objects.filter(user=user, kind="complaint_answered").exists()
    again = api.post(
        f"/api/v1/complaints/{complaint_id}/messages", {"text": "Thanks, but"}, format="json"
    )
    assert again.status_code == 201 and again.json()["status"] == "open"
    assert api.post(f"/api/v1/complaints/{complaint_id}/close").json()["status"] == "closed"
    refused = api.post(
        f"/api/v1/complaints/{complaint_id}/messages", {"text": "more"}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "complaint_closed"
    reopened = api.post(
        f"/api/v1/complaints/{complaint_id}/reopen", {"text": "It is back."}, format="json"
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert (
        api.post(f"/api/v1/complaints/{complaint_id}/reopen", {"text": "x"}, format="json").json()[
            "code"
        ]
        == "complaint_not_closed"
    )
    assert (
        list(api.get("/api/v1/complaints").json()["results"][0])
        and len(api.get("/api/v1/complaints").json()["results"]) == 1
    )


@pytest.mark.parametrize(
    "change,code",
    [
        ({"subject": "Bad\u202esubject"}, "text_control_characters"),
        ({"text": "ring\x07"}, "text_control_characters"),
        ({"subject": "   "}, "text_required"),
        ({"loan_id": 424242}, "complaint_subject_not_found"),
        ({"entry_id": 424242}, "complaint_subject_not_found"),
    ],
)
def test_bad_complaints_are_refused_with_a_code_and_leave_nothing(
    api_client, make_user, change, code
):
    response = _api(api_client, make_user()).post(
        "/api/v1/complaints", {**BODY, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Complaint.objects.exists()


def test_shape_errors_are_400(api_client, make_user):
    api = _api(api_client, make_user())
    for body in ({**BODY, "category": "nope"}, {**BODY, "extra": 1}, {"subject": "x"}):
        assert api.post("/api/v1/complaints", body, format="json").status_code == 400
    assert not Complaint.objects.exists()


def test_another_users_complaint_is_404_everywhere(api_client, client, make_user):
    complaint = complaint_file(user=make_user(), **BODY)
    stranger = make_user()
    api = _api(api_client, stranger)
    assert api.get(f"/api/v1/complaints/{complaint.pk}").status_code == 404
    assert api.post(f"/api/v1/complaints/{complaint.pk}/close").status_code == 404
    client.force_login(stranger)
    assert (
        client.get(reverse("compliance:complaint-detail", args=[complaint.pk])).status_code == 404
    )


def test_the_page_files_a_complaint_with_an_attachment_served_only_to_its_people(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("compliance:complaint-create"),
        {**BODY, "loan": "", "attachments": [SimpleUploadedFile("statement.pdf", PDF)]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint = Complaint.objects.get(user=user)
    attachment = ComplaintAttachment.objects.get()
    assert attachment.content_type == "application/pdf" and attachment.name == "statement.pdf"
    url = reverse("compliance:complaint-attachment", args=[complaint.pk, attachment.pk])
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    page = client.get(reverse("compliance:complaint-detail", args=[complaint.pk]))
    assert b"statement.pdf" in page.content
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(make_user("compliance"))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name,data,error",
    [
        ("notes.txt", b"just text", "is not a PDF, PNG or JPEG"),
        ("evil.pdf", b"<html><script>", "is not a PDF, PNG or JPEG"),
        ("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_the_page_refuses_a_bad_attachment_and_files_nothing(client, make_user, name, data, error):
    client.force_login(make_user())
    response = client.post(
        reverse("compliance:complaint-create"),
        {**BODY, "loan": "", "attachments": [SimpleUploadedFile(name, data)]},
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Complaint.objects.exists() and not ComplaintAttachment.objects.exists()


def test_compliance_answers_and_closes_from_the_admin(client, make_user):
    user = make_user()
    complaint = complaint_file(user=user, **BODY)
    officer = make_user("compliance")
    client.force_login(officer)
    assert client.get(reverse("admin:compliance_complaint_changelist")).status_code == 200
    url = reverse("admin:compliance_complaint_change", args=[complaint.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "answer": "We refunded the second charge.",
            "close_after": "on",
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "1",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": str(complaint.messages.get().pk),
            "messages-0-complaint": str(complaint.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.assigned_to == officer
    assert complaint.messages.filter(is_staff_reply=True, text__startswith="We refunded").exists()
    assert AuditEvent.objects.filter(action="compliance.complaint_answered").exists()
    client.force_login(make_user("reviewer"))
    assert client.get(url).status_code in (302, 403)


def test_an_overdue_complaint_reminds_compliance_once_per_deadline(make_user, mailoutbox):
    officer = make_user("compliance")
    complaint = complaint_file(user=make_user(), **BODY)
    later = timezone.now() + timedelta(days=16)
    assert complaints_remind_breaches(now=timezone.now()) == 0
    assert complaints_remind_breaches(now=later) == 1
    assert complaints_remind_breaches(now=later) == 0
    assert [m.to for m in mailoutbox] == [[officer.email]]
    assert f"Complaint {complaint.pk}" in mailoutbox[0].subject


def test_statistics_count_per_10000_users_median_days_and_categories(make_user):
    users = [make_user() for _ in range(4)]
    officer = make_user("compliance")
    first = complaint_file(user=users[0], **BODY)
    complaint_file(user=users[1], **{**BODY, "category": "wallet"})
    complaint_reply(complaint_id=first.pk, author=officer, text="Done.")
    complaint_close(complaint_id=first.pk, actor=users[0])
    stats = complaint_statistics()
    assert stats["complaints"] == 2
    assert stats["per_10000_users"] == round(2 * 10000 / 4, 2)  # four customers, staff apart
    assert stats["by_category"] == {"repayment": 1, "wallet": 1}
    assert stats["median_resolution_days"] == 0.0
