"""What a borrower is told about their application: the reasons they can act on, never the
review's fraud signals, blocklist hits or a reviewer's note (on the API, the page and the
notification alike)."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.borrower_reasons import borrower_reasons
from lending.models import Notification
from lending.services import blocklist
from lending.services.applications import application_decide, application_review
from tests.lending.conftest import national_id_scoring, submit_application

pytestmark = pytest.mark.django_db

# Strings of the review's own reasons that must never reach the borrower.
INTERNAL = ("fraud", "blocklist", "duplicate", "inconsistent", "velocity", "reviewer:", "mule")


@pytest.mark.parametrize(
    ("internal", "shown"),
    [
        (["grade_hr_declined"], ["credit_assessment"]),
        (["grade_not_priced"], ["credit_assessment"]),
        (["borrowing_cap_exceeded:enterprise_total"], ["borrowing_limit"]),
        (["borrower_kind_changed", "grade_hr_declined"], ["borrower_changed", "credit_assessment"]),
        (["blocklist:phone"], ["not_approved"]),
        (["blocklist:email", "grade_hr_declined"], ["credit_assessment"]),
        (["fraud_signal:duplicate_phone", "reviewer:phone shared with a mule"], ["not_approved"]),
        ([], ["not_approved"]),
    ],
)
def test_a_rejection_shows_only_reasons_the_borrower_can_act_on(internal, shown):
    assert [r.code for r in borrower_reasons(rejected=True, decision_reasons=internal)] == shown


def test_nothing_is_shown_before_or_after_an_approval():
    for reasons in (["fraud_signal:duplicate_phone"], ["auto_approved:clean_low_risk"]):
        assert borrower_reasons(rejected=False, decision_reasons=reasons) == []


def clean_borrower(onboarding, make_user):
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    return onboarding.borrower(make_user("borrower"), national_id=key)


def shown_to(client, user, application_id) -> tuple[dict, str, str]:
    """The API's application, the applications page and the notifications, as the
    borrower gets them."""
    client.force_login(user)
    api = client.get(f"/api/v1/applications/{application_id}").json()
    page = client.get(reverse("lending:application-list")).content.decode()
    mail = " ".join(
        f"{n.title} {n.body}" for n in Notification.objects.filter(user=user).order_by("id")
    )
    return api, page, mail


def test_a_case_waiting_for_a_reviewer_shows_no_reasons(client, make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user)
    onboarding.signals[user.pk] = ["duplicate_phone"]
    application = application_review(application_id=submit_application(user, product).id)
    assert application.status == "under_review"
    assert "fraud_signal:duplicate_phone" in application.decision_reasons
    api, page, mail = shown_to(client, user, application.id)
    assert api["status"] == "under_review" and api["decision_reasons"] == []
    for text in (str(api), page, mail):
        assert not any(word in text.lower() for word in INTERNAL), text


def test_a_blocklisted_borrower_is_told_only_not_approved(client, make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user)
    value, encrypted = blocklist.entry_values("phone", onboarding.identifiers[user.pk].phone)
    blocklist.BlocklistEntry.objects.create(kind="phone", value=value, value_encrypted=encrypted)
    application = application_review(application_id=submit_application(user, product).id)
    assert application.status == "rejected"
    api, page, mail = shown_to(client, user, application.id)
    assert [r["code"] for r in api["decision_reasons"]] == ["not_approved"]
    assert "We could not approve this application." in page
    assert "We could not approve this application." in mail
    for text in (str(api), page, mail):
        assert not any(word in text.lower() for word in INTERNAL), text


def test_a_reviewers_note_stays_with_staff(client, make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user)
    onboarding.signals[user.pk] = ["duplicate_phone"]
    application = application_review(application_id=submit_application(user, product).id)
    application = application_decide(
        application_id=application.id,
        reviewer=make_user("reviewer"),
        decision="reject",
        reason="Suspected mule account; phone shared with another user",
    )
    assert application.decision_reasons[-1].startswith("reviewer:Suspected mule")
    api, page, mail = shown_to(client, user, application.id)
    assert [r["code"] for r in api["decision_reasons"]] == ["not_approved"]
    for text in (str(api), page, mail):
        assert not any(word in text.lower() for word in INTERNAL), text


def test_a_declined_grade_is_named(client, make_user, onboarding, product):
    key = national_id_scoring(480, 549, overdue=None)
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    application = application_review(application_id=submit_application(user, product).id)
    assert application.decision_reasons == ["grade_hr_declined"]
    api, page, mail = shown_to(client, user, application.id)
    assert api["decision_reasons"] == [
        {
            "code": "credit_assessment",
            "message": "Your credit assessment does not meet our lending criteria.",
        }
    ]
    assert "does not meet our lending criteria" in page and "grade_hr" not in page
    assert "does not meet our lending criteria" in mail
