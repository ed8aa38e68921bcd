"""Hardship: the schedule maths, the borrower's request (page and API) with the schedule
previewed, operations' decision applying exactly that schedule under the cost ceiling, and
each investor's expected payments afterwards."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from core.errors import NotFound
from core.models import AuditEvent
from lending import errors, selectors, servicing
from lending.business_date import business_date_set
from lending.models import HardshipRequest, Installment, LoanUpdate, Notification, Payout
from lending.schedules import build_schedule
from lending.services.distributions import repayment_distribute
from lending.services.hardship import (
    hardship_preview,
    hardship_request_decide,
    hardship_request_submit,
)
from lending.services.repayments import repayment_make
from tests.ledger import fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db

REASON = "I lost my job in March and start a new one in June."


def _owed(lines, first=1):
    return [
        servicing.Owed(
            installment_id=n,
            number=n,
            due_on=date(2026, 1, 1),
            principal=line.principal_amount,
            interest=line.interest_amount,
        )
        for n, line in enumerate(lines, start=first)
    ]


def test_holiday_pushes_dates_and_spreads_the_holiday_interest_evenly():
    original = build_schedule(
        amount=D("10000.00"), annual_rate=D("0.12"), term_months=4, method="equal_installment"
    )
    lines = servicing.hardship_schedule(
        kind="payment_holiday",
        months=3,
        future=_owed(original[1:], first=2),
        annual_rate=D("0.12"),
        method="equal_installment",
        disbursed_on=date(2026, 1, 31),
    )
    principal = sum(line.principal_amount for line in original[1:])
    # 1% a month on the principal of the rescheduled installments for 3 months, spread over
    # the three of them (largest remainder, earlier first).
    extra = (principal * D("0.03")).quantize(D("0.01"))
    assert [line.number for line in lines] == [2, 3, 4]
    assert [line.due_on for line in lines] == [
        date(2026, 6, 30),  # was 2026-03-31: two months after disbursement, then three
        date(2026, 7, 31),
        date(2026, 8, 31),
    ]
    assert [line.principal_amount for line in lines] == [o.principal_amount for o in original[1:]]
    added = [
        n.interest_amount - o.interest_amount for n, o in zip(lines, original[1:], strict=True)
    ]
    assert sum(added) == extra and max(added) - min(added) <= D("0.01")


@pytest.mark.parametrize("method", ["equal_installment", "equal_principal", "interest_only"])
@pytest.mark.parametrize("months", [1, 5, 12])
def test_extension_reamortises_the_outstanding_principal_exactly(method, months):
    original = build_schedule(
        amount=D("7777.77"), annual_rate=D("0.0895"), term_months=12, method=method
    )
    future = _owed(original[4:], first=5)
    lines = servicing.hardship_schedule(
        kind="term_extension",
        months=months,
        future=future,
        annual_rate=D("0.0895"),
        method=method,
        disbursed_on=date(2026, 1, 15),
    )
    assert len(lines) == 8 + months
    assert [line.number for line in lines] == list(range(5, 13 + months))
    assert lines[0].due_on == date(2026, 6, 15)
    assert sum(line.principal_amount for line in lines) == sum(o.principal for o in future)
    # The first new period's interest is the same month's interest on the same principal.
    assert lines[0].interest_amount == original[4].interest_amount


def test_expected_payments_return_exactly_the_investors_outstanding_principal():
    lines = build_schedule(
        amount=D("10000.00"), annual_rate=D("0.12"), term_months=12, method="equal_installment"
    )
    payments = servicing.expected_payments(
        owed=_owed(lines), mine=D("3333.33"), total=D("10000.00"), fee_rate=D("0.10")
    )
    assert sum(p.principal for p in payments) == D("3333.33")
    for p, line in zip(payments, lines, strict=True):
        assert abs(p.interest - line.interest_amount * D("0.333333")) <= D("0.01")
        assert p.fee == (p.interest * D("0.10")).quantize(D("0.01"))


@pytest.mark.parametrize("kind", ["payment_holiday", "term_extension"])
def test_the_approved_schedule_is_the_one_previewed_and_investors_see_their_new_payments(
    make_user, onboarding, product, client, kind
):
    loan = repaying_loan(make_user, onboarding, product, borrower_cash="3000")
    first = loan.installments.get(number=1)
    business_date_set(on=first.due_on)
    repayment_make(loan_id=loan.pk, borrower=loan.borrower, kind="due", idempotency_key="1")
    business_date_set(on=first.due_on + timedelta(days=3))
    # The borrower previews (through the API, as an app would), then asks.
    client.force_login(loan.borrower)
    url = reverse("api:borrowing-hardship-request-list", args=[loan.pk])
    preview = client.post(
        url, {"kind": kind, "months": 3, "preview": True}, content_type="application/json"
    )
    assert preview.status_code == 200, preview.content
    assert not HardshipRequest.objects.exists()
    asked = client.post(
        url, {"kind": kind, "months": 3, "reason": REASON}, content_type="application/json"
    )
    assert asked.status_code == 201, asked.content
    assert asked.json()["schedule"] == preview.json()["schedule"]
    assert client.get(url).json()["results"][0]["status"] == "submitted"
    # Until the decision the schedule is unchanged.
    before = list(loan.installments.order_by("number").values_list("due_on", "interest_amount"))
    ops = make_user("operations")
    business_date_set(on=first.due_on + timedelta(days=10))
    request = hardship_request_decide(
        request_id=asked.json()["id"], decider=ops, decision="approve"
    )
    assert request.status == "approved"
    after = [
        {
            "number": i.number,
            "due_on": i.due_on.isoformat(),
            "principal_amount": str(i.principal_amount),
            "interest_amount": str(i.interest_amount),
            "total_amount": str(i.total_amount),
        }
        for i in loan.installments.filter(number__gt=1).order_by("number")
    ]
    assert after == preview.json()["schedule"]
    assert loan.installments.get(number=1).status == "paid"  # history untouched
    assert list(loan.installments.order_by("number").values_list("due_on", "interest_amount")) != (
        before
    )
    assert sum(i.principal_amount for i in loan.installments.all()) == D("10000.00")
    assert set(loan.installments.filter(number__gt=1).values_list("status", flat=True)) == {
        "scheduled"
    }
    assert AuditEvent.objects.filter(action="lending.hardship_approved").count() == 1
    update = LoanUpdate.objects.get(loan=loan)
    assert ("3-month" in update.text or "3 months" in update.text) and REASON not in update.text
    assert Notification.objects.filter(kind="loan_rescheduled").count() == 2

    # Each investor's expected payments follow the new schedule, and the next payment pays
    # each of them what the page said, to within a cent of the largest-remainder split.
    investors = [i.investor for i in loan.investments.order_by("id")]
    expected = [selectors.investor_expected_payments(u, loan) for u in investors]
    nxt = loan.installments.get(number=2)
    for e in expected:
        assert [p.due_on for p in e["payments"]] == [
            i.due_on for i in loan.installments.filter(number__gt=1).order_by("number")
        ]
        # The first repayment is not distributed yet: each investment's outstanding is still
        # its amount, and the expected principal is the same share of what the loan owes.
        assert abs(sum(p.principal for p in e["payments"]) - e["outstanding"] * D("0.921151")) < 1
    client.force_login(investors[0])
    page = client.get(reverse("lending:loan-detail", args=[loan.pk])).content.decode()
    assert "Your expected payments" in page and f"{expected[0]['payments'][0].net:,.2f}" in page
    assert escape(update.text) in page
    business_date_set(on=nxt.due_on)
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, kind="due", idempotency_key="2"
    )
    repayment_distribute(repayment_id=repayment.pk)
    paid = list(Payout.objects.filter(repayment=repayment).order_by("investment_id"))
    for payout, e in zip(paid, expected, strict=True):
        assert abs(payout.net_amount - e["payments"][0].net) <= D("0.01")


def test_hardship_refusals_change_nothing(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    borrower = loan.borrower
    ask = {
        "loan_id": loan.pk,
        "borrower": borrower,
        "kind": "payment_holiday",
        "months": 2,
        "reason": REASON,
    }
    for bad, error in (
        ({"kind": "forgive"}, errors.HardshipKindInvalid),
        ({"months": 0}, errors.HardshipMonthsInvalid),
        ({"months": 13}, errors.HardshipMonthsInvalid),
        ({"months": "3"}, errors.HardshipMonthsInvalid),
        ({"reason": "  "}, errors.ReasonRequired),
        ({"borrower": onboarding.borrower(make_user("borrower"))}, NotFound),
    ):
        with pytest.raises(error):
            hardship_request_submit(**{**ask, **bad})
    with (
        override_settings(LENDING_COST_CEILING_RATE=D("0.05")),
        pytest.raises(errors.HardshipAboveCostCeiling),
    ):
        hardship_request_submit(**ask)
    assert not HardshipRequest.objects.exists()
    request = hardship_request_submit(**ask)
    with pytest.raises(errors.HardshipRequestOpen):
        hardship_request_submit(**ask)
    ops = make_user("operations")
    with pytest.raises(errors.RoleRequired):
        hardship_request_decide(
            request_id=request.pk, decider=make_user("reviewer"), decision="approve"
        )
    with pytest.raises(errors.ReasonRequired):
        hardship_request_decide(request_id=request.pk, decider=ops, decision="refuse")
    with (
        override_settings(LENDING_COST_CEILING_RATE=D("0.05")),
        pytest.raises(errors.HardshipAboveCostCeiling),
    ):
        hardship_request_decide(request_id=request.pk, decider=ops, decision="approve")
    # The first installment falls due before the decision: the schedule shown no longer fits.
    business_date_set(on=loan.installments.get(number=1).due_on)
    snapshot = list(loan.installments.values_list("due_on", "principal_amount", "interest_amount"))
    with pytest.raises(errors.HardshipScheduleChanged):
        hardship_request_decide(request_id=request.pk, decider=ops, decision="approve")
    assert (
        list(loan.installments.values_list("due_on", "principal_amount", "interest_amount"))
        == snapshot
    )
    refused = hardship_request_decide(
        request_id=request.pk, decider=ops, decision="refuse", reason="Please ask again."
    )
    assert refused.status == "refused"
    assert Notification.objects.filter(user=borrower, kind="hardship_refused").exists()
    with pytest.raises(errors.HardshipNotPending):
        hardship_request_decide(request_id=request.pk, decider=ops, decision="approve")
    assert not LoanUpdate.objects.exists()


def test_the_hardship_api_refuses_bad_input_with_codes(make_user, onboarding, product, client):
    loan = repaying_loan(make_user, onboarding, product)
    client.force_login(loan.borrower)
    url = reverse("api:borrowing-hardship-request-list", args=[loan.pk])
    for body in (
        {"kind": "forgive", "months": 3, "reason": REASON},
        {"kind": "payment_holiday", "months": 13, "reason": REASON},
        {"kind": "payment_holiday", "months": "3", "reason": REASON},
        {"kind": "payment_holiday", "months": 3},
        {"kind": "payment_holiday", "months": 3, "reason": "a\u202eb"},
        {"kind": "payment_holiday", "months": 3, "reason": REASON, "extra": 1},
    ):
        answer = client.post(url, body, content_type="application/json")
        assert answer.status_code == 400, (body, answer.content)
        assert answer.json()["code"]
    other = repaying_loan(make_user, onboarding, product)
    answer = client.post(
        reverse("api:borrowing-hardship-request-list", args=[other.pk]),
        {"kind": "payment_holiday", "months": 3, "reason": REASON},
        content_type="application/json",
    )
    assert answer.status_code == 404
    assert not HardshipRequest.objects.exists()


def test_the_hardship_page_previews_then_sends(make_user, onboarding, product, client):
    loan = repaying_loan(make_user, onboarding, product)
    client.force_login(loan.borrower)
    detail = client.get(reverse("lending:borrowing-detail", args=[loan.pk])).content.decode()
    url = reverse("lending:borrowing-hardship", args=[loan.pk])
    assert url in detail
    assert "See my new schedule" in client.get(url).content.decode()
    form = {"kind": "term_extension", "months": "6", "reason": REASON}
    preview = client.post(url, form)
    assert preview.status_code == 200
    plan = hardship_preview(loan=loan, kind="term_extension", months=6)
    body = preview.content.decode()
    assert "Send my request" in body and f"{plan.lines[-1].due_on:%Y-%m-%d}" in body
    assert not HardshipRequest.objects.exists()
    assert client.post(url, {**form, "months": "13"}).status_code == 400
    sent = client.post(url, {**form, "confirmed": "True"})
    assert sent.status_code == 302
    request = HardshipRequest.objects.get()
    assert request.schedule == plan.schedule_json() and request.months == 6
    waiting = client.get(url).content.decode()
    assert "waiting for a decision" in waiting and "See my new schedule" not in waiting
    # Sending again while one waits changes nothing.
    client.post(url, {**form, "confirmed": "True"})
    assert HardshipRequest.objects.count() == 1
    assert Installment.objects.filter(loan=loan).count() == 12
    fund(loan.borrower, "1")  # the wallet is untouched by any of this
