"""Ops admin: the review queue shows the bureau report and fraud signals; actions call the
services (reason required; maker-checker enforced)."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.models import Application, Disbursement
from lending.services.applications import application_review, application_submit
from lending.services.investments import investment_place
from tests.lending.conftest import bureau_key_for
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(make_user, onboarding, product):
    key = bureau_key_for(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id_key=key)
    onboarding.signals[user.pk] = ["duplicate_bank_card"]
    app = application_submit(
        borrower=user,
        product_id=product.id,
        amount=D("20000"),
        term_months=12,
        method="equal_installment",
        purpose="education",
    )
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


def test_review_action_needs_a_reason_then_decides(client, reviewer, queued):
    client.force_login(reviewer)
    url = reverse("admin:lending_application_changelist")
    client.post(url, {"action": "approve", "_selected_action": [queued.pk], "reason": ""})
    assert Application.objects.get(pk=queued.pk).status == "under_review"
    client.post(
        url, {"action": "approve", "_selected_action": [queued.pk], "reason": "payslips checked"}
    )
    assert Application.objects.get(pk=queued.pk).status == "approved"


def test_disbursement_actions_enforce_maker_checker(client, make_user, onboarding, fund, product):
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000"))
    user = fund(onboarding.investor(make_user("investor")), "60000")
    investment_place(investor=user, loan_id=loan.pk, amount=D("60000"), idempotency_key="a")
    maker, checker = make_user("approver"), make_user("approver")
    url = reverse("admin:lending_loan_changelist")
    client.force_login(maker)
    client.post(url, {"action": "start_disbursement", "_selected_action": [loan.pk]})
    client.post(url, {"action": "approve_disbursement", "_selected_action": [loan.pk]})
    assert Disbursement.objects.get(loan=loan).status == "pending_approval"
    queue = client.get(url + "?disbursement=to_approve").content.decode()
    assert loan.reference in queue and "waiting for a checker" in queue
    client.force_login(checker)
    client.post(url, {"action": "approve_disbursement", "_selected_action": [loan.pk]})
    assert Disbursement.objects.get(loan=loan).status == "settled"


def test_reviewer_cannot_disburse(client, reviewer, make_user, onboarding, product):
    from lending.services.disbursements import disbursement_start

    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(
        borrower=borrower, product=product, status="funded", funded_amount=D("10000")
    )
    with pytest.raises(Exception) as exc:
        disbursement_start(loan_id=loan.pk, maker=reviewer)
    assert exc.value.code == "role_required"
