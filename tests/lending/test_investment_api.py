"""Investing and disbursement through HTTP: Idempotency-Key replay and reuse, codes, scoping."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.models import Investment
from tests.ledger import fund

pytestmark = pytest.mark.django_db


def invest(client, loan, amount, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        reverse("api:loan-investment-create", kwargs={"pk": loan.pk}),
        {"amount": amount},
        format="json",
        **headers,
    )


def test_invest_replay_and_reused_key(api_client, investor, open_loan):
    api_client.force_authenticate(investor)
    first = invest(api_client, open_loan, "500.00")
    assert first.status_code == 201, first.content
    replay = invest(api_client, open_loan, "500.00")
    assert replay.status_code == 201 and replay.json() == first.json()
    reused = invest(api_client, open_loan, "600.00")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Investment.objects.count() == 1
    listed = api_client.get(reverse("api:investment-list")).json()
    assert [r["id"] for r in listed["results"]] == [first.json()["id"]]


@pytest.mark.parametrize(
    ("amount", "key", "status", "code"),
    [
        ("500.00", None, 400, "idempotency_key_required"),
        ("abc", "k", 400, None),
        ("-100", "k", 400, None),
        ("150.00", "k", 400, "not_step_multiple"),
        ("99999900.00", "k", 409, "exceeds_remaining"),
    ],
)
def test_invest_bad_input_is_a_4xx_with_a_code(
    api_client, investor, open_loan, amount, key, status, code
):
    api_client.force_authenticate(investor)
    resp = invest(api_client, open_loan, amount, key=key)
    assert resp.status_code == status, resp.content
    assert resp.json()["code"]
    if code:
        assert resp.json()["code"] == code
    assert not Investment.objects.exists()


@pytest.mark.parametrize("amount", [500.0, "5e2", "\uff15\uff10\uff10.00", "500.001", "NaN"])
def test_invest_refuses_amounts_that_are_not_decimal_strings(
    api_client, investor, open_loan, amount
):
    # Money travels as a decimal string (or an exact integer): float JSON numbers, exponents, non-ASCII digits and
    # sub-cent precision are refused with a code, exactly as the wallet API refuses them.
    api_client.force_authenticate(investor)
    resp = invest(api_client, open_loan, amount)
    assert resp.status_code == 400, resp.content
    assert resp.json()["fields"]["amount"]
    assert not Investment.objects.exists()


def test_invest_refuses_an_unknown_field_and_a_body_over_4_kb(api_client, investor, open_loan):
    api_client.force_authenticate(investor)
    url = reverse("api:loan-investment-create", kwargs={"pk": open_loan.pk})
    extra = api_client.post(
        url, {"amount": "500.00", "loan": 7}, format="json", HTTP_IDEMPOTENCY_KEY="x1"
    )
    assert extra.status_code == 400 and extra.json()["code"] == "unknown_field"
    big = api_client.post(
        url,
        '{"amount": "500.00", "note": "' + "x" * 4096 + '"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x2",
    )
    assert big.status_code == 413 and big.json()["code"] == "request_too_large"
    assert not Investment.objects.exists()
    assert invest(api_client, open_loan, "500.00", key="x3").status_code == 201


def test_cancel_through_the_api(api_client, investor, open_loan):
    api_client.force_authenticate(investor)
    investment_id = invest(api_client, open_loan, "500.00").json()["id"]
    resp = api_client.post(
        reverse("api:investment-cancel", kwargs={"pk": investment_id}), HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"


def test_ops_disburse_and_approve(api_client, make_user, onboarding, product):
    from tests.lending.factories import LoanFactory

    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000.00"))
    for i in range(2):
        user = fund(onboarding.investor(make_user("investor")), "40000")
        api_client.force_authenticate(user)
        assert invest(api_client, loan, "30000.00", key=f"k{i}").status_code == 201
    maker, checker = make_user("approver"), make_user("approver")
    api_client.force_authenticate(maker)
    assert (
        api_client.post(reverse("api:ops-loan-disburse", kwargs={"pk": loan.pk})).status_code == 400
    )
    started = api_client.post(
        reverse("api:ops-loan-disburse", kwargs={"pk": loan.pk}), HTTP_IDEMPOTENCY_KEY="d1"
    )
    replay = api_client.post(
        reverse("api:ops-loan-disburse", kwargs={"pk": loan.pk}), HTTP_IDEMPOTENCY_KEY="d1"
    )
    assert replay.status_code == 201 and replay.json() == started.json()
    assert started.status_code == 201 and started.json()["status"] == "pending_approval"
    body = {
        "id": started.json()["id"],
        "loan_id": loan.pk,
        "status": "pending_approval",
        "gross_amount": "60000.00",
        "fee_amount": "1200.00",
        "net_amount": "58800.00",
        "second_approval_required": True,
        "message": f"{loan.reference}: disbursement started, waiting for a second approval: "
        "60,000.00 CNY is above the 50,000.00 CNY maker-checker threshold, so an approver "
        f"other than {maker} must approve it.",
    }
    assert started.json() == body
    same = api_client.post(
        reverse("api:ops-loan-disburse-approve", kwargs={"pk": loan.pk}), HTTP_IDEMPOTENCY_KEY="a1"
    )
    assert same.status_code == 403 and same.json()["code"] == "same_approver"
    api_client.force_authenticate(checker)
    done = api_client.post(
        reverse("api:ops-loan-disburse-approve", kwargs={"pk": loan.pk}), HTTP_IDEMPOTENCY_KEY="a2"
    )
    assert done.status_code == 200 and done.json()["status"] == "settled"
    assert done.json() == {
        **body,
        "status": "settled",
        "message": f"{loan.reference}: approved by {checker} (second approval); 58,800.00 CNY "
        "paid to the borrower (60,000.00 CNY less the service fee).",
    }
    api_client.force_authenticate(borrower)
    schedule = api_client.get(reverse("api:borrowing-schedule", kwargs={"pk": loan.pk})).json()
    assert schedule["count"] == 12
    assert sum(D(r["principal_amount"]) for r in schedule["results"]) == D("60000.00")
    detail = api_client.get(reverse("api:borrowing-detail", kwargs={"pk": loan.pk})).json()
    assert detail["status"] == "repaying"
