"""A borrower's kind (individual or enterprise) is fixed while they owe or have asked for
money: a person with a loan outstanding cannot register a company and borrow under the
enterprise caps, nor the reverse; each application keeps the kind it was made as, and an
application whose borrower changed kind before the decision is never approved."""

from decimal import Decimal as D

import pytest

from accounts.models import Enterprise
from core.audit import AuditEvent
from lending import errors
from lending.models import Application, Loan
from lending.selectors import borrower_headroom
from lending.services.applications import (
    application_decide,
    application_review,
)
from tests.lending.factories import LoanFactory
from tests.lending.test_blocklist_admin import make_borrower, register_company
from tests.lending.test_blocklist_admin import submit as apply

pytestmark = pytest.mark.django_db


def as_company(person):
    register_company(person, credit_code=person.credit_code, national_id=person.national_id)
    return type(person).objects.get(pk=person.pk)


@pytest.mark.parametrize("status", ["open", "funded", "repaying", "defaulted"])
def test_person_with_a_loan_outstanding_cannot_apply_as_a_new_company(make_user, product, status):
    person = make_borrower(make_user, enterprise=False)
    LoanFactory(borrower=person, product=product, amount=D("150000.00"), status=status)
    company = as_company(person)
    with pytest.raises(errors.BorrowerKindLocked) as refused:
        apply(company, product)
    assert refused.value.code == "borrower_kind_locked" and refused.value.status_code == 409
    assert Application.objects.filter(borrower=person).count() == 1  # the loan's only
    assert not AuditEvent.objects.filter(action="lending.application_submitted").exists()


def test_company_that_drops_its_registration_cannot_apply_as_a_person(make_user, product):
    company = make_borrower(make_user, enterprise=True)
    LoanFactory(borrower=company, product=product, amount=D("150000.00"), status="repaying")
    Enterprise.objects.filter(user=company).delete()
    person = type(company).objects.get(pk=company.pk)
    with pytest.raises(errors.BorrowerKindLocked):
        apply(person, product)
    assert Application.objects.filter(borrower=person).count() == 1


@pytest.mark.parametrize("status", ["closed", "cancelled", "written_off"])
def test_once_nothing_is_outstanding_the_person_may_borrow_as_a_company(make_user, product, status):
    person = make_borrower(make_user, enterprise=False)
    LoanFactory(borrower=person, product=product, amount=D("150000.00"), status=status)
    company = as_company(person)
    application = apply(company, product)
    assert application.borrower_kind == Application.BorrowerKind.ENTERPRISE
    assert borrower_headroom(company).caps.kind == "enterprise"


def test_the_same_kind_may_keep_borrowing_within_its_caps(make_user, product):
    person = make_borrower(make_user, enterprise=False)
    LoanFactory(borrower=person, product=product, amount=D("100000.00"), status="open")
    application = apply(person, product)
    assert application.borrower_kind == Application.BorrowerKind.INDIVIDUAL
    Application.objects.filter(pk=application.pk).update(status="rejected")
    with pytest.raises(errors.CapExceeded):
        apply(person, product, "100000.01")  # 100,000 owed + this > 200,000


def test_review_rejects_an_application_whose_borrower_registered_a_company_since(
    make_user, product
):
    person = make_borrower(make_user, enterprise=False)
    application = apply(person, product)
    as_company(person)
    reviewed = application_review(application_id=application.pk)
    assert reviewed.status == Application.Status.REJECTED
    assert "borrower_kind_changed" in reviewed.decision_reasons
    assert not Loan.objects.filter(application=reviewed).exists()
    event = AuditEvent.objects.get(action="lending.application_reviewed")
    assert "borrower_kind_changed" in event.after["reasons"]


def test_reviewer_cannot_approve_after_the_kind_changed_but_may_reject(
    make_user, product, reviewer
):
    person = make_borrower(make_user, enterprise=False)
    application = apply(person, product, "150000")  # above auto-approve: waits for a person
    reviewed = application_review(application_id=application.pk)
    assert reviewed.status == Application.Status.UNDER_REVIEW, reviewed.decision_reasons
    as_company(person)
    with pytest.raises(errors.BorrowerKindChanged):
        application_decide(
            application_id=application.pk, reviewer=reviewer, decision="approve", reason="ok"
        )
    application.refresh_from_db()
    assert application.status == Application.Status.UNDER_REVIEW
    assert not Loan.objects.filter(application=application).exists()
    decided = application_decide(
        application_id=application.pk, reviewer=reviewer, decision="reject", reason="kind"
    )
    assert decided.status == Application.Status.REJECTED


def test_api_refuses_with_409_and_the_code_and_creates_nothing(make_user, product, api_client):
    person = make_borrower(make_user, enterprise=False)
    LoanFactory(borrower=person, product=product, amount=D("150000.00"), status="repaying")
    company = as_company(person)
    api_client.force_authenticate(company)
    body = {
        "product_id": product.pk,
        "amount": "50000.00",
        "term_months": 12,
        "method": "equal_installment",
        "purpose": "working_capital",
    }
    response = api_client.post("/api/v1/applications", body, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "borrower_kind_locked"
    assert Application.objects.filter(borrower=person).count() == 1


def test_api_shows_the_kind_the_application_was_made_as(make_user, product, api_client):
    company = make_borrower(make_user, enterprise=True)
    application = apply(company, product)
    api_client.force_authenticate(company)
    body = api_client.get(f"/api/v1/applications/{application.pk}").json()
    assert body["borrower_kind"] == "enterprise"


def test_the_apply_page_says_so_before_the_form_is_filled(make_user, product, client):
    person = make_borrower(make_user, enterprise=False)
    LoanFactory(borrower=person, product=product, amount=D("150000.00"), status="repaying")
    client.force_login(person)
    assert 'id="kind-locked"' not in client.get("/borrow/apply/").content.decode()
    company = as_company(person)
    client.force_login(company)
    page = client.get("/borrow/apply/").content.decode()
    assert 'id="kind-locked"' in page and "apply for your company" in page
