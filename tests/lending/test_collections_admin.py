"""The collections role's admin: its queue (worst first, filters), assignment, contacts,
promises and investor notes through the actions; hardship decisions by operations."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.business_date import business_date_set
from lending.models import (
    CollectionCase,
    CollectionContact,
    HardshipRequest,
    Loan,
    LoanUpdate,
    PromiseToPay,
)
from lending.services.hardship import hardship_request_submit
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db

QUEUE = "admin:lending_collectioncase_changelist"


def _delinquent(make_user, onboarding, product, days, overdue, bucket):
    loan = repaying_loan(make_user, onboarding, product)
    Loan.objects.filter(pk=loan.pk).update(days_past_due=days, delinquency_bucket=bucket)
    case = CollectionCase.objects.create(
        loan=loan, opened_on=loan.disbursed_on, bucket=bucket, overdue_amount=D(overdue)
    )
    return loan, case


def test_the_collections_role_lands_on_its_queue(client, make_user):
    client.force_login(make_user("collections"))
    index = client.get(reverse("admin:index")).content.decode()
    for model in ("Collection cases", "Hardship requests", "Loan updates"):
        assert model in index
    assert client.get(reverse(QUEUE)).status_code == 200
    # Roles without the queue do not see it.
    client.force_login(make_user("reviewer"))
    assert client.get(reverse(QUEUE)).status_code == 403


def test_the_queue_is_worst_first_and_filters_by_bucket_and_assignment(
    client, make_user, onboarding, product
):
    mild, mild_case = _delinquent(make_user, onboarding, product, 40, "500.00", "31-60")
    bad, bad_case = _delinquent(make_user, onboarding, product, 70, "300.00", "61-90")
    collector = make_user("collections")
    client.force_login(collector)
    page = client.get(reverse(QUEUE)).content.decode()
    assert page.index(bad.reference) < page.index(mild.reference)
    assert "500.00 CNY" in page and "300.00 CNY" in page
    only = client.get(reverse(QUEUE) + "?bucket=31-60").content.decode()
    assert mild.reference in only and bad.reference not in only
    CollectionCase.objects.filter(pk=bad_case.pk).update(assigned_to=collector)
    mine = client.get(reverse(QUEUE) + "?assigned=me").content.decode()
    assert bad.reference in mine and mild.reference not in mine
    CollectionCase.objects.filter(pk=mild_case.pk).update(status="closed")
    assert mild.reference not in client.get(reverse(QUEUE)).content.decode()
    assert mild.reference in client.get(reverse(QUEUE) + "?queue=closed").content.decode()


def test_collectors_assign_log_contacts_record_promises_and_post_notes(
    client, make_user, onboarding, product
):
    loan, case = _delinquent(make_user, onboarding, product, 20, "888.49", "1-30")
    business_date_set(on=loan.disbursed_on + timedelta(days=50))
    collector, colleague = make_user("collections"), make_user("collections")
    client.force_login(collector)
    url = reverse(QUEUE)

    def act(action, **fields):
        return client.post(url, {"action": action, "_selected_action": [case.pk], **fields})

    act("assign_to_me")
    assert CollectionCase.objects.get(pk=case.pk).assigned_to == collector
    act("assign_to_collector", collector=colleague.pk)
    assert CollectionCase.objects.get(pk=case.pk).assigned_to == colleague
    act("log_contact", channel="phone", outcome="")  # no outcome: refused, nothing logged
    assert not CollectionContact.objects.exists()
    act("log_contact", channel="phone", outcome="Borrower will pay on Friday")
    assert CollectionContact.objects.get().outcome == "Borrower will pay on Friday"
    promised_on = loan.disbursed_on + timedelta(days=55)
    act("record_promise", amount="1e3", promised_on=promised_on.isoformat())
    assert not PromiseToPay.objects.exists()
    act("record_promise", amount="400.00", promised_on=promised_on.isoformat())
    promise = PromiseToPay.objects.get()
    assert (promise.amount, promise.promised_on) == (D("400.00"), promised_on)
    assert CollectionCase.objects.get(pk=case.pk).status == "promised"
    change = client.get(reverse("admin:lending_collectioncase_change", args=[case.pk]))
    assert "Borrower will pay on Friday" in change.content.decode()
    act("post_investor_note", note="Call 13800138000")  # a phone number: refused
    assert not LoanUpdate.objects.exists()
    act("post_investor_note", note="The borrower has agreed to pay the arrears this month.")
    assert LoanUpdate.objects.get().posted_by == collector
    # The loan's investors read the note on its page (disclosure's holder-only block);
    # anonymous visitors do not.
    client.logout()
    page = client.get(reverse("lending:loan-detail", args=[loan.pk])).content.decode()
    assert "The borrower has agreed to pay the arrears this month." not in page
    client.force_login(loan.investments.order_by("id").first().investor)
    page = client.get(reverse("lending:loan-detail", args=[loan.pk])).content.decode()
    assert "The borrower has agreed to pay the arrears this month." in page


def test_operations_approve_or_refuse_hardship_in_the_admin(client, make_user, onboarding, product):
    loans = [repaying_loan(make_user, onboarding, product) for _ in range(2)]
    requests = [
        hardship_request_submit(
            loan_id=loan.pk,
            borrower=loan.borrower,
            kind="term_extension",
            months=6,
            reason="My hours were cut for the winter.",
        )
        for loan in loans
    ]
    client.force_login(make_user("operations"))
    url = reverse("admin:lending_hardshiprequest_changelist")
    detail = client.get(
        reverse("admin:lending_hardshiprequest_change", args=[requests[0].pk])
    ).content.decode()
    assert "My hours were cut for the winter." in detail
    assert requests[0].schedule[-1]["due_on"] in detail  # the proposed schedule
    client.post(url, {"action": "approve", "_selected_action": [requests[0].pk]})
    assert HardshipRequest.objects.get(pk=requests[0].pk).status == "approved"
    assert loans[0].installments.count() == 18
    client.post(url, {"action": "refuse", "_selected_action": [requests[1].pk], "reason": ""})
    assert HardshipRequest.objects.get(pk=requests[1].pk).status == "submitted"
    client.post(
        url,
        {
            "action": "refuse",
            "_selected_action": [requests[1].pk],
            "reason": "Your income covers the payments.",
        },
    )
    refused = HardshipRequest.objects.get(pk=requests[1].pk)
    assert refused.status == "refused" and loans[1].installments.count() == 12
