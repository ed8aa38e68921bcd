"""Ops admin: the review queue shows the bureau report and fraud signals; actions call the
services (reason required; maker-checker enforced)."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.models import Application, Disbursement
from lending.services.applications import application_review
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.conftest import national_id_scoring, submit_application
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(make_user, onboarding, product):
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    onboarding.signals[user.pk] = ["duplicate_bank_card"]
    app = submit_application(user, product)
    return application_review(application_id=app.id)


def test_review_queue_shows_report_and_signals(client, reviewer, queued):
    client.force_login(reviewer)
    listing = client.get(reverse("admin:lending_application_changelist") + "?queue=waiting")
    assert listing.status_code == 200 and str(queued.amount).split(".")[
        0
    ] in listing.content.decode().replace(",", "")
    page = client.get(
        reverse("admin:lending_application_change", args=[queued.pk])
    ).content.decode()
    assert "fraud_signal:duplicate_bank_card" in page and "overdue_records_6m" in page
    # As a reviewer reads it: labels, percentages, separated amounts with the currency.
    assert "Fraud signal: duplicate bank card" in page
    assert "Overdue records, last 6 months" in page
    assert f"{queued.amount:,.2f} {queued.currency}" in page
    assert f"{(queued.annual_rate * 100).normalize():f}%" in page
    assert "(under review)" in page and "{&quot;" not in page and '{"' not in page


def test_admin_dates_read_as_the_site_writes_them(client, reviewer, queued):
    """Y-m-d H:i in the platform's time zone, as on every page, not Django's "Dec. 2, 2026,
    5:58 p.m."."""
    from django.utils import timezone

    client.force_login(reviewer)
    listing = client.get(reverse("admin:lending_application_changelist")).content.decode()
    submitted = timezone.localtime(queued.submitted_at)
    assert submitted.strftime("%Y-%m-%d %H:%M") in listing
    assert "a.m." not in listing and "p.m." not in listing


def test_review_action_needs_a_reason_then_decides(client, reviewer, queued):
    client.force_login(reviewer)
    url = reverse("admin:lending_application_changelist")
    client.post(url, {"action": "approve", "_selected_action": [queued.pk], "reason": ""})
    assert Application.objects.get(pk=queued.pk).status == "under_review"
    client.post(
        url, {"action": "approve", "_selected_action": [queued.pk], "reason": "payslips checked"}
    )
    assert Application.objects.get(pk=queued.pk).status == "approved"


def test_disbursement_actions_enforce_maker_checker(client, make_user, onboarding, product):
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000"))
    user = fund(onboarding.investor(make_user("investor")), "60000")
    investment_place(investor=user, loan_id=loan.pk, amount=D("60000"), idempotency_key="a")
    maker, checker = make_user("approver"), make_user("approver")
    url = reverse("admin:lending_loan_changelist")
    client.force_login(maker)
    to_start = client.get(url + "?disbursement=to_start").content.decode()
    assert "needs a second approval (above 50,000.00 CNY)" in to_start
    started = client.post(
        url, {"action": "start_disbursement", "_selected_action": [loan.pk]}, follow=True
    ).content.decode()
    # The maker is told a second approval is needed, and why: the amount and the threshold.
    assert (
        f"{loan.reference}: disbursement started, waiting for a second approval: "
        f"60,000.00 CNY is above the 50,000.00 CNY maker-checker threshold"
    ) in started
    client.post(url, {"action": "approve_disbursement", "_selected_action": [loan.pk]})
    assert Disbursement.objects.get(loan=loan).status == "pending_approval"
    queue = client.get(url + "?disbursement=to_approve").content.decode()
    assert loan.reference in queue and "waiting for a second approval: above 50,000.00" in queue
    client.force_login(checker)
    approved = client.post(
        url, {"action": "approve_disbursement", "_selected_action": [loan.pk]}, follow=True
    ).content.decode()
    assert Disbursement.objects.get(loan=loan).status == "settled"
    assert f"{loan.reference}: approved by {checker} (second approval)" in approved


def test_disbursement_at_or_below_the_threshold_says_no_second_approval(
    client, make_user, onboarding, product
):
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("10000"))
    user = fund(onboarding.investor(make_user("investor")), "10000")
    investment_place(investor=user, loan_id=loan.pk, amount=D("10000"), idempotency_key="a")
    client.force_login(make_user("operations"))
    url = reverse("admin:lending_loan_changelist")
    page = client.post(
        url, {"action": "start_disbursement", "_selected_action": [loan.pk]}, follow=True
    ).content.decode()
    assert Disbursement.objects.get(loan=loan).status == "settled"
    assert (
        "No second approval needed: 10,000.00 CNY is at or below the 50,000.00 CNY threshold."
    ) in page


def test_disbursement_api_says_whether_a_second_approval_is_needed(
    api_client, make_user, onboarding, product
):
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000"))
    user = fund(onboarding.investor(make_user("investor")), "60000")
    investment_place(investor=user, loan_id=loan.pk, amount=D("60000"), idempotency_key="a")
    api_client.force_login(make_user("operations"))
    body = api_client.post(
        reverse("api:ops-loan-disburse", kwargs={"pk": loan.pk}), HTTP_IDEMPOTENCY_KEY="k1"
    ).json()
    assert body["status"] == "pending_approval" and body["second_approval_required"] is True
    assert "above the 50,000.00 CNY maker-checker threshold" in body["message"]


def test_reviewer_cannot_disburse(client, reviewer, make_user, onboarding, product):
    from lending.services.disbursements import disbursement_start

    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower, product=product, status="funded", funded_amount=D("10000")
    )
    with pytest.raises(Exception) as exc:
        disbursement_start(loan_id=loan.pk, maker=reviewer)
    assert exc.value.code == "role_required"


def test_application_and_loan_pages_are_for_reading_only(client, reviewer, queued, make_user):
    """No Save buttons, and a POST to the change form is refused and writes nothing: a stale
    form must never write a loan row back over a concurrent investment."""
    from lending.models import Loan

    client.force_login(reviewer)
    url = reverse("admin:lending_application_change", args=[queued.pk])
    page = client.get(url).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert client.post(url, {"status": "approved"}).status_code == 403
    assert Application.objects.get(pk=queued.pk).status == "under_review"

    loan = LoanFactory(borrower=make_user("borrower"), product=queued.product)
    approver = make_user("approver")
    client.force_login(approver)
    url = reverse("admin:lending_loan_change", args=[loan.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"funded_amount": "1.00"}).status_code == 403
    assert Loan.objects.get(pk=loan.pk).funded_amount == loan.funded_amount
