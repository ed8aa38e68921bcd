"""Applications: submission rules, the automatic review (grade, fraud, caps, auto-approve
boundary), reviewer decisions, audit and notification."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.audit import AuditEvent
from lending.models import Application, BlocklistEntry, Loan, Notification
from lending.services import blocklist
from lending.services.applications import application_decide, application_review
from lending.services.offers import offer_accept
from tests.lending.conftest import national_id_scoring, submit_application
from tests.lending.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def clean_borrower(onboarding, user, **kw):
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    return onboarding.borrower(user, national_id=key, **kw)


def test_submit_refuses_unverified_identity(make_user, onboarding, product):
    user = onboarding.borrower(make_user("borrower"), verified=False)
    with pytest.raises(Exception) as exc:
        submit_application(user, product)
    assert exc.value.code == "identity_not_verified"
    assert not Application.objects.exists()


def test_submit_refuses_without_borrower_profile(make_user, onboarding, product):
    user = make_user("borrower")
    onboarding.verified.add(user.pk)
    with pytest.raises(Exception) as exc:
        submit_application(user, product)
    assert exc.value.code == "borrower_profile_required"


@pytest.mark.parametrize("purpose", ["securities", "futures", "high_risk"])
def test_submit_refuses_prohibited_purposes(borrower, product, purpose):
    with pytest.raises(Exception) as exc:
        submit_application(borrower, product, purpose=purpose)
    assert exc.value.code == "prohibited_purpose"
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"amount": D("999.99")}, "amount_out_of_range"),
        ({"amount": D("200000.01")}, "amount_out_of_range"),
        ({"term_months": 9}, "term_not_offered"),
        ({"product_id": 999999}, "product_unavailable"),
    ],
)
def test_submit_refuses_terms_the_product_does_not_offer(borrower, product, kw, code):
    with pytest.raises(Exception) as exc:
        submit_application(borrower, product, **kw)
    assert exc.value.code == code


def test_one_open_application_at_a_time(borrower, product):
    submit_application(borrower, product)
    with pytest.raises(Exception) as exc:
        submit_application(borrower, product)
    assert exc.value.code == "application_already_open"
    assert Application.objects.count() == 1


def test_submit_refuses_amount_above_cross_platform_headroom(make_user, onboarding, product):
    user = onboarding.borrower(make_user("borrower"), declared_other_borrowing=D("990000"))
    with pytest.raises(Exception) as exc:
        submit_application(user, product, amount=D("10001"))
    assert exc.value.code == "borrowing_cap_exceeded"
    submit_application(user, product, amount=D("10000"))


def test_clean_low_risk_case_is_auto_approved_with_an_offer_and_listed_on_acceptance(
    make_user, onboarding, product
):
    user = clean_borrower(onboarding, make_user("borrower"))
    app = submit_application(user, product, amount=D("50000"))
    app = application_review(application_id=app.id)
    assert app.status == "approved"
    assert app.is_auto_decided
    assert app.grade == "A"
    assert app.annual_rate == D("0.0800")
    assert app.offer_status == "open" and app.offer_apr > app.annual_rate
    assert not Loan.objects.exists()  # nothing is listed before the borrower accepts
    assert Notification.objects.filter(user=user, kind="offer_made").exists()
    offer_accept(application_id=app.id, borrower=user)
    loan = Loan.objects.get(application=app)
    assert loan.status == "open" and loan.amount == D("50000") and loan.grade == "A"
    assert loan.disclosure["credit_report"]["overdue_records_6m"] == 0
    assert "nid-" not in str(loan.disclosure)
    assert AuditEvent.objects.filter(
        action="lending.application_reviewed", subject_id=str(app.id)
    ).exists()


def test_auto_approve_boundary_amount_above_limit_goes_to_reviewer(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"))
    app = application_review(
        application_id=submit_application(user, product, amount=D("50000.01")).id
    )
    assert app.status == "under_review"
    assert "amount_above_auto_approve_limit" in app.decision_reasons
    assert not Loan.objects.exists()


def test_grade_c_goes_to_reviewer(make_user, onboarding, product):
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "under_review"
    assert app.grade == "C"
    assert "grade_C_needs_review" in app.decision_reasons


def test_hr_grade_is_declined(make_user, onboarding, product):
    user = onboarding.borrower(
        make_user("borrower"), national_id=national_id_scoring(480, 549, overdue=None)
    )
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "rejected"
    assert app.grade == "HR"
    assert "grade_hr_declined" in app.decision_reasons
    assert Notification.objects.filter(user=user, kind="application_rejected").exists()


def test_overdue_records_send_the_case_to_a_reviewer(make_user, onboarding, product):
    # Grade B, which is approved automatically when clean; one overdue record is not clean.
    key = national_id_scoring(700, 749, overdue=1, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    app = application_review(application_id=submit_application(user, product).id)
    assert app.grade == "B" and app.status == "under_review"
    assert "overdue_records_6m:1" in app.decision_reasons


def test_sandbox_bureau_never_grades_a_borrower_with_late_payments_a():
    """A grade-A report shows no late payments; each overdue record caps the score lower."""
    from lending.adapters.credit_bureau import SandboxCreditBureau, grade_for_score

    bureau = SandboxCreditBureau()
    reports = [bureau.report(national_id=f"PROBE{i}") for i in range(3000)]
    reports += [bureau.enterprise_report(credit_code=f"PROBE{i}") for i in range(1000)]
    assert {r.overdue_records_6m for r in reports} >= {0, 1, 2, 3}
    for r in reports:
        if r.overdue_records_6m:
            assert grade_for_score(r.score) != "A"
            assert r.score <= 749 - 50 * (r.overdue_records_6m - 1)
    assert any(grade_for_score(r.score) == "A" for r in reports)


def test_fraud_signal_sends_the_case_to_a_reviewer(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"))
    onboarding.signals[user.pk] = ["duplicate_phone"]
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "under_review"
    assert "fraud_signal:duplicate_phone" in app.fraud_flags


def test_blocklisted_identity_is_rejected(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"))
    phone = onboarding.identifiers[user.pk].phone
    value, encrypted = blocklist.entry_values("phone", phone)
    BlocklistEntry.objects.create(
        kind="phone", value=value, value_encrypted=encrypted, reason="known fraud"
    )
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "rejected"
    assert "blocklist:phone" in app.decision_reasons


def test_blocklisted_email_matches_whatever_its_case(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"))
    BlocklistEntry.objects.create(kind="email", value=user.email.upper(), reason="typed by ops")
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "rejected"
    assert "blocklist:email" in app.decision_reasons


def test_profile_inconsistency_is_flagged(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"), monthly_obligations=D("25000"))
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "under_review"
    assert "inconsistent:obligations_exceed_income" in app.fraud_flags


def test_velocity_is_flagged(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"))
    for _ in range(3):
        ApplicationFactory(
            borrower=user, product=product, amount=D("1000"), term_months=3, status="rejected"
        )
    app = application_review(application_id=submit_application(user, product).id)
    assert "velocity" in app.fraud_flags
    assert app.status == "under_review"


def test_bureau_borrowing_breaching_total_cap_is_rejected(make_user, onboarding, product, settings):
    settings.LENDING_CAP_INDIVIDUAL_TOTAL = D("30000")
    from lending.adapters.credit_bureau import SandboxCreditBureau

    key = next(
        k
        for k in (f"K{i}" for i in range(100000))
        if (r := SandboxCreditBureau().report(national_id=k)).score >= 750
        and r.other_platform_borrowing >= D("20000")
        and r.overdue_records_6m == 0
    )
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    app = application_review(application_id=submit_application(user, product, amount=D("15000")).id)
    assert app.status == "rejected"
    assert "borrowing_cap_exceeded:total" in app.decision_reasons


def test_review_is_idempotent(make_user, onboarding, product):
    user = clean_borrower(onboarding, make_user("borrower"))
    app = submit_application(user, product)
    application_review(application_id=app.id)
    application_review(application_id=app.id)
    assert Application.objects.get(pk=app.id).offer_status == "open"
    assert Notification.objects.filter(kind="offer_made").count() == 1


def test_reviewer_decision_approves_with_reason_and_audit(make_user, onboarding, product, reviewer):
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    app = application_review(application_id=submit_application(user, product).id)
    with pytest.raises(Exception) as exc:
        application_decide(application_id=app.id, reviewer=reviewer, decision="approve", reason=" ")
    assert exc.value.code == "reason_required"
    app = application_decide(
        application_id=app.id, reviewer=reviewer, decision="approve", reason="income verified"
    )
    assert app.status == "approved" and app.reviewed_by == reviewer
    assert "reviewer:income verified" in app.decision_reasons
    assert app.offer_status == "open" and not Loan.objects.exists()
    assert AuditEvent.objects.filter(action="lending.application_approved", actor=reviewer).exists()
    with pytest.raises(Exception) as exc:
        application_decide(application_id=app.id, reviewer=reviewer, decision="reject", reason="x")
    assert exc.value.code == "application_not_reviewable"


def test_review_queue_and_decision_api(api_client, make_user, onboarding, product, reviewer):
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    app = application_review(application_id=submit_application(user, product).id)
    api_client.force_authenticate(reviewer)
    body = api_client.get(reverse("api:ops-review-list")).json()
    assert [r["id"] for r in body["results"]] == [app.id]
    assert body["results"][0]["bureau_report"]["score"] >= 650
    url = reverse("api:ops-review-decision", kwargs={"application_id": app.id})
    assert (
        api_client.post(url, {"decision": "maybe", "reason": "x"}, format="json").status_code == 400
    )
    resp = api_client.post(url, {"decision": "reject", "reason": "unstable income"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "rejected"
    again = api_client.post(url, {"decision": "approve", "reason": "second look"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "application_not_reviewable"
    app.refresh_from_db()
    assert app.status == "rejected"
    api_client.force_authenticate(user)
    assert (
        api_client.post(url, {"decision": "approve", "reason": "x"}, format="json").status_code
        == 403
    )


def test_application_api_submit_and_follow(api_client, borrower, product, make_user):
    api_client.force_authenticate(borrower)
    resp = api_client.post(
        reverse("api:application-list"),
        {
            "product_id": product.id,
            "amount": "20000.00",
            "term_months": 12,
            "method": "equal_installment",
            "purpose": "education",
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "submitted"
    detail = api_client.get(reverse("api:application-detail", kwargs={"pk": body["id"]}))
    assert detail.json()["amount"] == "20000.00"
    resp = api_client.post(
        reverse("api:application-list"),
        {
            "product_id": product.id,
            "amount": "20000.00",
            "term_months": 12,
            "method": "equal_installment",
            "purpose": "futures",
        },
        format="json",
    )
    assert resp.status_code in (400, 409)
    other = make_user("borrower")
    api_client.force_authenticate(other)
    assert (
        api_client.get(reverse("api:application-detail", kwargs={"pk": body["id"]})).status_code
        == 404
    )
