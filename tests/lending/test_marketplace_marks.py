"""The marketplace (page and API) marks, for an investor, each loan they could not invest in
with the reason the placement would give (grade above their suitability, a limit reached,
their own loan) before they click; the loan page shows their stake and the schedule."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.models import Installment, Investment, Loan
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(make_user, onboarding, product):
    """Three open loans (grades A, B, D) and a cautious investor: up to grade B, 1,000.00 a
    loan, 1,500.00 in all."""
    borrower = onboarding.borrower(make_user("borrower"))
    loans = {
        grade: LoanFactory(borrower=borrower, product=product, grade=grade)
        for grade in ("A", "B", "D")
    }
    investor = fund(
        onboarding.investor(
            make_user("investor"), max_grade="B", per_loan=D("1000"), total=D("1500")
        ),
        "5000",
    )
    return investor, loans


def api_marks(api_client) -> dict:
    rows = api_client.get(reverse("api:loan-list")).json()["results"]
    return {r["reference"]: r["investor_refusal"] for r in rows}


def test_api_marks_a_loan_above_the_investors_grade(api_client, market):
    investor, loans = market
    api_client.force_authenticate(investor)
    marks = api_marks(api_client)
    assert marks[loans["A"].reference] is None and marks[loans["B"].reference] is None
    refusal = marks[loans["D"].reference]
    assert refusal["code"] == "grade_above_risk_level"
    assert "up to grade B" in refusal["message"]


def test_api_marks_the_limits_the_investor_has_used(api_client, market):
    investor, loans = market
    investment_place(
        investor=investor, loan_id=loans["A"].pk, amount=D("1000"), idempotency_key="a"
    )
    api_client.force_authenticate(investor)
    marks = api_marks(api_client)
    assert marks[loans["A"].reference]["code"] == "per_loan_limit_exceeded"
    assert marks[loans["B"].reference] is None  # 500.00 of the total limit left
    investment_place(investor=investor, loan_id=loans["B"].pk, amount=D("500"), idempotency_key="b")
    marks = api_marks(api_client)
    assert marks[loans["B"].reference]["code"] == "total_limit_exceeded"
    assert "you hold 1,500.00 CNY in loans" in marks[loans["B"].reference]["message"]


def test_the_mark_is_what_investing_would_answer(api_client, market):
    """One home for each rule: the mark's code is the placement's refusal code."""
    investor, loans = market
    api_client.force_authenticate(investor)
    mark = api_marks(api_client)[loans["D"].reference]
    response = api_client.post(
        reverse("api:loan-investment-create", args=[loans["D"].pk]),
        {"amount": "100.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="try-d",
    )
    assert response.status_code == 403
    assert response.json()["code"] == mark["code"]
    assert response.json()["message"] == mark["message"]


def test_cached_listing_is_marked_per_investor(
    api_client, market, large_marketplace, make_user, onboarding
):
    """A large marketplace's cached page is everyone's; each investor's marks are theirs."""
    investor, loans = market
    api_client.force_authenticate(investor)
    assert api_marks(api_client)[loans["D"].reference]["code"] == "grade_above_risk_level"
    bold = onboarding.investor(make_user("investor"), max_grade="E")
    api_client.force_authenticate(bold)
    assert api_marks(api_client)[loans["D"].reference] is None
    unverified = onboarding.investor(make_user("investor"), verified=False)
    api_client.force_authenticate(unverified)
    assert api_marks(api_client)[loans["A"].reference]["code"] == "identity_not_verified"
    api_client.force_authenticate(None)
    anonymous = api_client.get(reverse("api:loan-list")).json()["results"]
    assert "investor_refusal" not in anonymous[0]


def test_borrowers_see_no_marks(api_client, market, make_user, onboarding):
    api_client.force_authenticate(onboarding.borrower(make_user("borrower")))
    assert set(api_marks(api_client).values()) == {None}


def test_loan_detail_api_marks_the_loan(api_client, market):
    investor, loans = market
    api_client.force_authenticate(investor)
    body = api_client.get(reverse("api:loan-detail", args=[loans["D"].pk])).json()
    assert body["investor_refusal"]["code"] == "grade_above_risk_level"
    body = api_client.get(reverse("api:loan-detail", args=[loans["A"].pk])).json()
    assert body["investor_refusal"] is None


def test_marketplace_page_marks_loans_for_the_investor(client, market):
    investor, _ = market
    client.force_login(investor)
    html = client.get(reverse("lending:loan-list")).content.decode()
    assert html.count("Open to you") == 2
    assert 'data-code="grade_above_risk_level"' in html and "Above your grade" in html
    assert "allows loans up to grade B" in html


def test_marketplace_page_for_anonymous_visitors_has_no_marks(client, market):
    html = client.get(reverse("lending:loan-list")).content.decode()
    assert "Open to you" not in html and "data-code=" not in html


def test_loan_page_shows_the_refusal_the_stake_and_the_projected_schedule(client, market):
    investor, loans = market
    client.force_login(investor)
    html = client.get(reverse("lending:loan-detail", args=[loans["D"].pk])).content.decode()
    assert "Above your grade" in html
    assert 'id="my-stake"' not in html  # nothing invested here
    loan = loans["A"]
    investment_place(investor=investor, loan_id=loan.pk, amount=D("600"), idempotency_key="s1")
    investment_place(investor=investor, loan_id=loan.pk, amount=D("300"), idempotency_key="s2")
    response = client.get(reverse("lending:loan-detail", args=[loan.pk]))
    html = response.content.decode()
    assert 'id="my-stake"' in html
    assert "900.00" in html and "9.00% of the loan" in html
    assert reverse("lending:investment-cancel", args=[Investment.objects.first().pk]) in html
    schedule = response.context["schedule"]
    assert schedule["is_projected"] and len(schedule["lines"]) == loan.term_months
    assert schedule["totals"]["principal"] == loan.amount
    assert "projected" in html and "Month 12" in html


def test_loan_page_schedule_comes_from_installments_once_disbursed(client, market):
    investor, loans = market
    loan = loans["A"]
    Loan.objects.filter(pk=loan.pk).update(
        status=Loan.Status.REPAYING, disbursed_on=date(2026, 1, 5)
    )
    for number in (1, 2):
        Installment.objects.create(
            loan=loan,
            number=number,
            due_on=date(2026, 1, 5) + timedelta(days=31 * number),
            principal_amount=D("5000.00"),
            interest_amount=D("41.67"),
            status="paid" if number == 1 else "scheduled",
        )
    Investment.objects.create(
        loan=loan, investor=investor, amount=D("700.00"), status="active", idempotency_key="x"
    )
    client.force_login(investor)
    response = client.get(reverse("lending:loan-detail", args=[loan.pk]))
    schedule = response.context["schedule"]
    assert not schedule["is_projected"]
    assert [line.number for line in schedule["lines"]] == [1, 2]
    html = response.content.decode()
    assert "2026-02-05" in html and "Paid" in html and "lent in this loan" in html
    assert "700.00" in html
