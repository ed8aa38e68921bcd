"""Ongoing per-loan disclosure for the loan's investors: repayment standing, days and amount
overdue, collection notes and the borrower's situation, on the loan page and in the API,
for holders only (never anonymous visitors, other investors, the borrower or staff)."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.audit import AuditEvent
from disclosure import errors
from disclosure.models import BorrowerSituationUpdate
from disclosure.services.loan_disclosure import borrower_situation_record
from lending.business_date import business_date_set
from lending.models import Installment
from lending.services.batch import run_daily
from lending.services.collections import loan_update_post
from tests.lending.servicing import repaying_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SITUATION = "The borrower changed jobs in April and now earns less; they asked for a plan."
NOTE = "We reached the borrower, who expects to pay the overdue installment this month."


@pytest.fixture
def overdue_loan(make_user, onboarding, product):
    """A loan disclosed on 2026-01-15 whose first installment (due 2026-02-15) is unpaid on
    2026-03-02, with a collection note and a situation update."""
    loan = repaying_loan(make_user, onboarding, product)
    run_daily(as_of=date(2026, 3, 2), since=date(2026, 2, 14))
    loan.refresh_from_db()
    loan_update_post(loan_id=loan.pk, text=NOTE, actor=make_user("collections"))
    borrower_situation_record(
        loan_id=loan.pk,
        occurred_on=date(2026, 3, 1),
        text=SITUATION,
        actor=make_user("collections"),
    )
    return loan


def _holder(loan):
    return loan.investments.order_by("id").first().investor


def test_a_holder_reads_the_standing_the_notes_and_the_situation_in_the_api(
    api_client, overdue_loan
):
    loan = overdue_loan
    first = Installment.objects.get(loan=loan, number=1)
    assert first.status == Installment.Status.OVERDUE
    api_client.force_login(_holder(loan))
    body = api_client.get(f"/api/v1/loans/{loan.pk}/disclosure").json()
    assert body["loan_id"] == loan.pk and body["status"] == "repaying"
    assert body["standing"] == "Behind on repayments"
    assert body["installments_total"] == 12
    assert body["installments_paid"] == 0 and body["installments_overdue"] == 1
    assert body["days_past_due"] == loan.days_past_due > 0
    assert D(body["overdue_amount"]) == first.owed_amount > first.total_amount - D("0.01")
    # The next installment still to fall due: the overdue one is counted as overdue.
    second = Installment.objects.get(loan=loan, number=2)
    assert body["next_due_on"] == second.due_on.isoformat()
    assert [n["text"] for n in body["collection_notes"]] == [NOTE]
    assert body["situation_updates"] == [{"occurred_on": "2026-03-01", "text": SITUATION}]


def test_a_holder_sees_the_block_on_the_loan_page(client, overdue_loan):
    client.force_login(_holder(overdue_loan))
    page = client.get(f"/marketplace/{overdue_loan.pk}/").content.decode()
    assert 'id="holder-disclosure"' in page
    assert "Behind on repayments" in page and NOTE in page and SITUATION in page


@pytest.mark.parametrize("who", ["anonymous", "other_investor", "borrower", "collections"])
def test_nobody_but_a_holder_sees_the_holder_only_parts(
    client, api_client, make_user, onboarding, overdue_loan, who
):
    loan = overdue_loan
    user = {
        "anonymous": None,
        "other_investor": onboarding.investor(make_user("investor")),
        "borrower": loan.borrower,
        "collections": make_user("collections"),
    }[who]
    if user is not None:
        client.force_login(user)
        api_client.force_login(user)
    page = client.get(f"/marketplace/{loan.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="holder-disclosure"' not in text
    assert NOTE not in text and SITUATION not in text
    response = api_client.get(f"/api/v1/loans/{loan.pk}/disclosure")
    expected = {"anonymous": 401, "other_investor": 404, "borrower": 403, "collections": 403}
    assert response.status_code == expected[who]
    assert SITUATION not in response.content.decode()
    # The public loan API carries none of it either.
    assert SITUATION not in api_client.get(f"/api/v1/loans/{loan.pk}").content.decode()


def test_a_holder_of_a_loan_on_time_reads_up_to_date(api_client, make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    api_client.force_login(_holder(loan))
    body = api_client.get(f"/api/v1/loans/{loan.pk}/disclosure").json()
    assert body["standing"] == "Up to date"
    assert body["overdue_amount"] == "0.00" and body["days_past_due"] == 0
    assert body["collection_notes"] == [] and body["situation_updates"] == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Call the borrower on 139 1234 5678 about it.", "text_contains_pii"),
        ("Their new employer is reachable at hr@example.com.", "text_contains_pii"),
        ("Bank card 6222 0000 1111 2222 was closed.", "text_contains_pii"),
        ("Lost job \u202e", "text_control_characters"),
        ("", "text_required"),
        ("x" * 501, "text_too_long"),
    ],
)
def test_a_situation_update_with_pii_or_bad_text_is_refused(
    make_user, onboarding, product, text, code
):
    loan = repaying_loan(make_user, onboarding, product)
    with pytest.raises(errors.SituationRefused) as refused:
        borrower_situation_record(
            loan_id=loan.pk, occurred_on=date(2026, 1, 15), text=text, actor=make_user("operations")
        )
    assert refused.value.code == code
    assert not BorrowerSituationUpdate.objects.exists()


def test_a_situation_update_is_dated_no_later_than_the_business_date_and_audited(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product)
    business_date_set(on=date(2026, 2, 1))
    staff = make_user("operations")
    with pytest.raises(errors.SituationRefused) as refused:
        borrower_situation_record(
            loan_id=loan.pk, occurred_on=date(2026, 2, 2), text=SITUATION, actor=staff
        )
    assert refused.value.code == "date_invalid"
    with pytest.raises(errors.NoticeRoleRequired):
        borrower_situation_record(
            loan_id=loan.pk,
            occurred_on=date(2026, 2, 1),
            text=SITUATION,
            actor=make_user("reviewer"),
        )
    borrower_situation_record(
        loan_id=loan.pk, occurred_on=date(2026, 2, 1), text=SITUATION, actor=staff
    )
    event = AuditEvent.objects.get(action="disclosure.borrower_situation_recorded")
    assert event.actor_id == staff.pk and event.subject_id == str(loan.pk)


def test_the_admin_form_refuses_pii_and_records_plain_words(client, make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    client.force_login(make_user("collections"))
    url = "/admin/disclosure/borrowersituationupdate/add/"
    form = {"loan": loan.reference, "occurred_on": "2026-01-15"}
    refused = client.post(url, {**form, "text": "New phone 13912345678"})
    assert refused.status_code == 200 and "no personal data" in refused.content.decode()
    assert not BorrowerSituationUpdate.objects.exists()
    unknown = client.post(url, {**form, "loan": "NOSUCHLOAN", "text": SITUATION})
    assert unknown.status_code == 200 and "No loan has this reference" in unknown.content.decode()
    assert client.post(url, {**form, "text": SITUATION}).status_code == 302
    assert BorrowerSituationUpdate.objects.get().text == SITUATION
