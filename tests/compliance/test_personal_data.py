"""A user's copy of their data holds all of it and nobody else's."""

import json
from decimal import Decimal as D

import pytest
from django.urls import reverse

from compliance.data_export import personal_data_export
from compliance.services.complaints import complaint_file
from core.audit import AuditEvent
from lending.services.distributions import repayment_distribute
from lending.services.repayments import repayment_make
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_users_loans_money_and_complaints_and_nobody_elses(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product, holdings=("6000.00", "4000.00"))
    borrower = loan.borrower
    investor = loan.investments.order_by("id").first().investor
    repayment = repayment_make(
        loan_id=loan.pk, borrower=borrower, amount=D("100.00"), idempotency_key="x"
    )
    repayment_distribute(repayment_id=repayment.pk)
    complaint_file(user=investor, category="investment", subject="Late payout", text="Where?")

    mine = personal_data_export(borrower)
    assert mine["account"]["email"] == borrower.email
    assert [row["reference"] for row in mine["loans"]] == [loan.reference]
    assert len(mine["installments"]) == 12
    assert [row["amount"] for row in mine["repayments"]] == ["100.00"]
    assert mine["investments"] == [] and mine["payouts"] == [] and mine["complaints"] == []
    theirs = personal_data_export(investor)
    assert [row["loan__reference"] for row in theirs["investments"]] == [loan.reference]
    assert len(theirs["payouts"]) == 1 and theirs["loans"] == []
    assert theirs["complaints"][0]["messages"][0]["text"] == "Where?"
    text = json.dumps(theirs)
    assert borrower.email not in text  # the other party: by the loan's reference only
    assert json.dumps(mine).count(investor.email) == 0


def test_the_page_downloads_the_json_and_the_copy_is_audited(client, make_user):
    user = make_user("investor")
    client.force_login(user)
    assert client.get(reverse("compliance:personal-data")).status_code == 200
    response = client.get(reverse("compliance:personal-data-download"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["account"]["email"] == user.email
    assert (
        AuditEvent.objects.filter(action="compliance.personal_data_exported", actor=user).count()
        == 1
    )


def test_the_api_gives_the_same_copy(api_client, make_user):
    user = make_user()
    api_client.force_authenticate(user)
    body = api_client.get("/api/v1/me/data").json()
    assert body["account"]["id"] == user.pk and body["format_version"] == 1
