"""Enterprise borrowers in lending, on the real onboarding records: the enterprise caps
(1,000,000 on this platform, 5,000,000 across platforms) at submission, in the review and
in the headroom shown before applying; the enterprise bureau report; masked disclosure."""

import datetime
import json
from decimal import Decimal as D

import pytest
from django.urls import reverse

from accounts import services as onboarding
from accounts.adapters.enterprise_registry import sandbox_credit_code
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.services import enterprise as services_enterprise
from lending import eligibility, errors
from lending.adapters.credit_bureau import BureauReport, SandboxCreditBureau
from lending.models import Application, Loan
from lending.selectors import borrower_headroom
from lending.services.applications import (
    application_decide,
    application_review,
    application_submit,
)
from lending.services.offers import offer_accept
from tests.lending.factories import LoanFactory, ProductFactory

pytestmark = pytest.mark.django_db

_seq = iter(range(500, 5000))
COMPANY = "深圳湾科技有限公司"


@pytest.fixture
def business(db):
    return ProductFactory(
        code="business",
        name="Business loan",
        term_options=[12, 24],
        min_amount=D("10000"),
        max_amount=D("3000000"),
        methods=["equal_installment", "interest_only"],
        service_fee_rate=D("0.025"),
        platform_fee_rate=D("0.12"),
        late_fee_amount=D("100"),
        grace_days=5,
    )


def make_borrower(make_user, *, enterprise: bool, other=D("0"), income=D("300000")):
    user = make_user("borrower")
    n = next(_seq)
    person = {
        "legal_name": "王小明",
        "national_id": sandbox_national_id(birth=datetime.date(1980, 2, 3), sequence=n),
        "phone": sandbox_phone(44_000_000 + n),
        "bank_card": sandbox_bank_card(440_000 + n),
    }
    onboarding.identity_submit(user=user, **person)
    if enterprise:
        services_enterprise.enterprise_submit(
            user=user,
            company_name=COMPANY,
            credit_code=sandbox_credit_code(n),
            legal_representative_name=person["legal_name"],
            legal_representative_id=person["national_id"],
            registered_address="广东省深圳市南山区科苑路15号",
        )
    onboarding.borrower_profile_submit(
        user=user,
        employment_status="business_owner",
        employer=COMPANY,
        monthly_income_amount=income,
        monthly_obligations_amount=income / 5,
        other_platform_outstanding_amount=other,
        purposes=["business"],
    )
    user = type(user).objects.get(pk=user.pk)
    user.person = person
    user.credit_code = sandbox_credit_code(n) if enterprise else ""
    return user


def apply(borrower, product, amount):
    return application_submit(
        borrower=borrower,
        product_id=product.pk,
        amount=D(amount),
        term_months=12,
        method="equal_installment",
        purpose="working_capital",
        purpose_detail="A second production line.",
    )


@pytest.fixture
def bureau_says(monkeypatch):
    """Make the sandbox bureau return this report (for both individuals and companies)."""

    def set_report(*, other=D("0"), score=780):
        def report(self, **key):
            return BureauReport(
                score=score,
                overdue_records_6m=0,
                other_platform_borrowing=other,
                other_platform_count=1 if other else 0,
                subject="enterprise" if "credit_code" in key else "individual",
            )

        monkeypatch.setattr(SandboxCreditBureau, "report", report)
        monkeypatch.setattr(SandboxCreditBureau, "enterprise_report", report)

    return set_report


def test_eligibility_reads_the_enterprise(make_user):
    user = make_borrower(make_user, enterprise=True)
    facts = eligibility.borrower_facts(user)
    assert facts.kind == "enterprise"
    assert eligibility.review_identifiers(user).credit_code == user.credit_code
    assert facts.masked["name"] == user.enterprise.company_name_masked == "深圳***有限公司"
    assert facts.masked["credit_code"] == user.enterprise.credit_code_masked
    assert facts.masked["legal_representative"] == "王**"
    assert eligibility.borrower_facts(make_borrower(make_user, enterprise=False)).kind == (
        "individual"
    )


# --- Caps at submission ----------------------------------------------------------------


@pytest.mark.parametrize("amount", ["200000.01", "600000", "1000000.00"])
def test_enterprise_applies_above_the_individual_cap_up_to_the_platform_cap(
    make_user, business, amount
):
    company = make_borrower(make_user, enterprise=True)
    application = apply(company, business, amount)
    assert application.status == Application.Status.SUBMITTED
    assert application.amount == D(amount)


def test_an_individual_still_gets_the_individual_caps(make_user, business):
    person = make_borrower(make_user, enterprise=False)
    headroom = borrower_headroom(person)
    assert headroom.caps.kind == "individual" and headroom.amount == D("200000")
    with pytest.raises(errors.CapExceeded) as exc:
        apply(person, business, "200000.01")
    assert exc.value.code == "borrowing_cap_exceeded"
    assert exc.value.context["kind"] == "individual"
    assert not Application.objects.filter(borrower=person).exists()
    assert apply(person, business, "200000").status == Application.Status.SUBMITTED


def test_enterprise_is_refused_above_the_enterprise_platform_cap(make_user, business):
    company = make_borrower(make_user, enterprise=True)
    with pytest.raises(errors.CapExceeded) as exc:
        apply(company, business, "1000000.01")
    assert exc.value.context == {"kind": "enterprise", "binding_cap": "platform"}
    assert "1,000,000" in exc.value.message
    assert not Application.objects.filter(borrower=company).exists()


def test_enterprise_platform_cap_counts_what_it_already_owes_here(make_user, business):
    company = make_borrower(make_user, enterprise=True)
    LoanFactory(borrower=company, product=business, amount=D("700000.00"))
    assert borrower_headroom(company).amount == D("300000.00")
    with pytest.raises(errors.CapExceeded):
        apply(company, business, "300000.01")
    assert apply(company, business, "300000").status == Application.Status.SUBMITTED


def test_enterprise_is_refused_above_the_total_cap_with_other_platform_borrowing(
    make_user, business
):
    company = make_borrower(make_user, enterprise=True, other=D("4500000"))
    headroom = borrower_headroom(company)
    assert (headroom.amount, headroom.binding_cap) == (D("500000"), "total")
    with pytest.raises(errors.CapExceeded) as exc:
        apply(company, business, "500000.01")
    assert exc.value.context == {"kind": "enterprise", "binding_cap": "total"}
    assert apply(company, business, "500000").status == Application.Status.SUBMITTED


def test_api_refuses_an_enterprise_above_its_cap_and_changes_nothing(
    make_user, business, api_client
):
    company = make_borrower(make_user, enterprise=True)
    api_client.force_authenticate(company)
    body = {
        "product_id": business.pk,
        "amount": "1000000.01",
        "term_months": 12,
        "method": "equal_installment",
        "purpose": "working_capital",
    }
    response = api_client.post("/api/v1/applications", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "borrowing_cap_exceeded"
    assert response.json()["details"] == {"kind": "enterprise", "binding_cap": "platform"}
    assert not Application.objects.exists()
    response = api_client.post(
        "/api/v1/applications", {**body, "amount": "1000000.00"}, format="json"
    )
    assert response.status_code == 201, response.json()


# --- Caps and the bureau in the review -------------------------------------------------


def test_review_asks_the_bureau_about_the_company_by_its_credit_code(make_user, business):
    company = make_borrower(make_user, enterprise=True)
    application = application_review(application_id=apply(company, business, "800000").pk)
    expected = SandboxCreditBureau().enterprise_report(credit_code=company.credit_code)
    assert application.bureau_report == expected.as_json()
    assert application.bureau_report["subject"] == "enterprise"
    assert application.bureau_report["tax_credit_rating"] in "ABMCD"
    # The same company always gets the same report; a person's report is another one.
    again = SandboxCreditBureau().enterprise_report(credit_code=company.credit_code)
    assert again == expected
    assert SandboxCreditBureau().report(national_id=company.person["national_id"]) != expected
    assert not any(r.startswith("borrowing_cap_exceeded") for r in application.decision_reasons)


def test_review_rejects_an_enterprise_over_the_total_cap_the_bureau_reveals(
    make_user, business, bureau_says
):
    company = make_borrower(make_user, enterprise=True)
    bureau_says(other=D("4600000"))
    application = application_review(application_id=apply(company, business, "500000").pk)
    assert application.status == Application.Status.REJECTED
    assert "borrowing_cap_exceeded:enterprise_total" in application.decision_reasons


def test_review_keeps_an_enterprise_within_both_caps(make_user, business, bureau_says):
    company = make_borrower(make_user, enterprise=True, other=D("3000000"))
    bureau_says(other=D("3000000"))
    application = application_review(application_id=apply(company, business, "1000000").pk)
    assert application.status == Application.Status.UNDER_REVIEW
    assert not any(r.startswith("borrowing_cap_exceeded") for r in application.decision_reasons)


def test_review_of_an_individual_uses_the_individual_total_cap(make_user, business, bureau_says):
    person = make_borrower(make_user, enterprise=False, income=D("30000"))
    bureau_says(other=D("900000"))
    application = application_review(application_id=apply(person, business, "150000").pk)
    assert application.status == Application.Status.REJECTED
    assert "borrowing_cap_exceeded:total" in application.decision_reasons


# --- Headroom on the apply page --------------------------------------------------------


def test_apply_page_shows_the_enterprise_headroom_and_caps(client, make_user, business):
    company = make_borrower(make_user, enterprise=True, other=D("4200000"))
    client.force_login(company)
    page = client.get(reverse("lending:application-create")).content.decode()
    assert "800,000.00" in page  # 5,000,000 - 4,200,000 declared elsewhere
    assert "As a company" in page
    assert "1,000,000" in page and "5,000,000" in page
    person = make_borrower(make_user, enterprise=False)
    client.force_login(person)
    page = client.get(reverse("lending:application-create")).content.decode()
    assert "200,000.00" in page and "As a person" in page and "5,000,000" not in page


# --- Disclosure --------------------------------------------------------------------------


def listed_loan(borrower, business, reviewer, amount="600000") -> Loan:
    application = application_review(application_id=apply(borrower, business, amount).pk)
    if application.status == Application.Status.UNDER_REVIEW:
        application_decide(
            application_id=application.pk, reviewer=reviewer, decision="approve", reason="ok"
        )
    offer_accept(application_id=application.pk, borrower=borrower)
    return Loan.objects.get(application=application)


def test_disclosure_shows_the_enterprise_facts_masked(
    make_user, business, bureau_says, client, api_client
):
    bureau_says(other=D("0"))
    company = make_borrower(make_user, enterprise=True)
    loan = listed_loan(company, business, make_user("reviewer"))
    borrower = loan.disclosure["borrower"]
    enterprise = company.enterprise
    assert borrower == {
        "kind": "enterprise",
        "name": "深圳***有限公司",
        "credit_code": enterprise.credit_code_masked,
        "legal_representative": "王**",
        "registered_address": "广东省深圳市****",
        "monthly_revenue_band": "200,000-1,000,000",
    }
    assert "court_judgments_2y" in loan.disclosure["credit_report"]
    clear = (
        COMPANY,
        services_enterprise.selectors.enterprise_decrypted(enterprise)["credit_code"],
        company.person["national_id"],
        company.person["legal_name"],
    )
    blob = json.dumps(loan.disclosure, ensure_ascii=False)
    assert not any(value in blob for value in clear)
    assert "birth_year" not in borrower and "employment" not in borrower

    viewer = make_user("investor")
    client.force_login(viewer)
    page = client.get(reverse("lending:loan-detail", args=[loan.pk])).content.decode()
    assert "深圳***有限公司 (enterprise)" in page
    assert enterprise.credit_code_masked in page and "王**" in page
    assert "Monthly revenue" in page
    assert not any(value in page for value in clear)
    api_client.force_authenticate(viewer)
    body = api_client.get(f"/api/v1/loans/{loan.pk}").json()
    assert body["disclosure"]["borrower"]["credit_code"] == enterprise.credit_code_masked


def test_individual_disclosure_is_unchanged(make_user, business, bureau_says):
    bureau_says(other=D("0"))
    person = make_borrower(make_user, enterprise=False, income=D("30000"))
    loan = listed_loan(person, business, make_user("reviewer"), amount="150000")
    borrower = loan.disclosure["borrower"]
    assert borrower["kind"] == "individual" and borrower["name"] == "王**"
    assert borrower["birth_year"] == 1980 and "credit_code" not in borrower
