"""Free text others read (core.text) in lending: a borrower's purpose, published to every
investor, and a reviewer's reason are refused control and text-direction characters with a
code, by the API, the page and the service alike, and nothing is stored."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lending.models import Application
from lending.services.applications import application_decide, application_review
from tests.lending.conftest import national_id_scoring, submit_application

pytestmark = pytest.mark.django_db

# What issue 12 found on the loan page: a right-to-left override, ESC and BEL.
HOSTILE = [
    "Rent \u202eylimaf ym",
    "\x1b[2J\x1b[Hcleared",
    "ding\x07",
    "iso\u2066late",
    "two\nlines",
]


def _body(product, detail):
    return {
        "product_id": product.id,
        "amount": "20000.00",
        "term_months": 12,
        "method": "equal_installment",
        "purpose": "education",
        "purpose_detail": detail,
    }


@pytest.mark.parametrize("detail", HOSTILE)
def test_api_refuses_a_purpose_with_control_characters(api_client, borrower, product, detail):
    api_client.force_authenticate(borrower)
    response = api_client.post(
        reverse("api:application-list"), _body(product, detail), format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "text_control_characters"
    assert "purpose_detail" in body["fields"]
    assert not Application.objects.exists()


def test_api_accepts_a_purpose_in_any_script(api_client, borrower, product):
    api_client.force_authenticate(borrower)
    detail = "扩大面包店的配送能力 — a second van"
    response = api_client.post(
        reverse("api:application-list"), _body(product, detail), format="json"
    )
    assert response.status_code == 201, response.content
    assert Application.objects.get().purpose_detail == detail


@pytest.mark.parametrize("detail", HOSTILE)
def test_apply_page_refuses_a_purpose_with_control_characters(client, borrower, product, detail):
    client.force_login(borrower)
    response = client.post(
        reverse("lending:application-create"),
        {
            "product": product.pk,
            "amount": "20000",
            "term_months": "12",
            "method": "equal_installment",
            "purpose": "education",
            "purpose_detail": detail,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["purpose_detail"]
    assert [e.code for e in errors] == ["text_control_characters"]
    assert not Application.objects.exists()


@pytest.mark.parametrize("detail", [*HOSTILE, "x" * 301])
def test_application_submit_refuses_the_purpose_whoever_calls_it(borrower, product, detail):
    with pytest.raises(Exception) as refused:
        submit_application(borrower, product, purpose_detail=detail)
    assert refused.value.code in ("text_control_characters", "text_too_long")
    assert refused.value.status_code == 400
    assert refused.value.context == {"field": "purpose_detail"}
    assert not Application.objects.exists()


def test_the_model_refuses_it_too(borrower, product):
    application = Application(
        borrower=borrower,
        product=product,
        amount=D("20000"),
        term_months=12,
        method="equal_installment",
        purpose="education",
        purpose_detail="\u202e",
        currency="CNY",
    )
    with pytest.raises(ValidationError) as refused:
        application.full_clean()
    assert refused.value.error_dict["purpose_detail"][0].code == "text_control_characters"


def test_product_texts_customers_read_are_checked_by_the_model(product):
    product.name = "Personal\x1b loan"
    product.description = "Two lines\nare fine here"
    with pytest.raises(ValidationError) as refused:
        product.full_clean()
    assert set(refused.value.error_dict) == {"name"}


@pytest.fixture
def under_review(make_user, onboarding, product):
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    application = application_review(application_id=submit_application(user, product).id)
    assert application.status == "under_review"
    return application


def test_a_reviewer_reason_is_refused_control_characters(api_client, reviewer, under_review):
    url = reverse("api:ops-review-decision", kwargs={"application_id": under_review.pk})
    api_client.force_authenticate(reviewer)
    response = api_client.post(
        url, {"decision": "reject", "reason": "looks \u202efine"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "text_control_characters"
    with pytest.raises(Exception) as refused:
        application_decide(
            application_id=under_review.pk, reviewer=reviewer, decision="reject", reason="ok\x1b"
        )
    assert refused.value.code == "text_control_characters"
    under_review.refresh_from_db()
    assert under_review.status == "under_review" and under_review.reviewed_by is None
    # A reason in lines is ordinary.
    decided = application_decide(
        application_id=under_review.pk,
        reviewer=reviewer,
        decision="reject",
        reason="income unstable\nsee bureau report",
    )
    assert decided.status == "rejected"


def test_the_loan_page_isolates_a_purpose_stored_before_the_rule(client, open_loan, investor):
    # A row written before the validator existed: the page keeps its direction inside it.
    open_loan.disclosure = {**open_loan.disclosure, "purpose_detail": "a\u202eb"}
    open_loan.save(update_fields=["disclosure"])
    client.force_login(investor)
    page = client.get(reverse("lending:loan-detail", kwargs={"pk": open_loan.pk})).content.decode()
    assert "<bdi>a\u202eb</bdi>" in page


def test_blocklist_reason_is_checked_by_the_model():
    from lending.models import BlocklistEntry

    entry = BlocklistEntry(kind="email", value="x@example.test", reason="fraud\x07")
    with pytest.raises(ValidationError) as refused:
        entry.full_clean(exclude=["value_encrypted"])
    assert refused.value.error_dict["reason"][0].code == "text_control_characters"
