"""A listing that missed its funding deadline reads "Expired" everywhere people see it: the
borrower's pages, the investor's portfolio, the public loan page, the admin, the API's
label and the notifications; its status stays `cancelled` in the API's contract."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse

from lending.models import Loan, Notification
from lending.services.investments import investment_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired(open_loan, investor):
    investment_place(investor=investor, loan_id=open_loan.pk, amount=D("700"), idempotency_key="x")
    day_after = open_loan.funding_deadline_on + timedelta(days=1)
    call_command("run_daily", "--as-of", day_after.isoformat())
    open_loan.refresh_from_db()
    assert open_loan.status == "cancelled" and open_loan.is_expired
    return open_loan


def _has_expired_not_cancelled(html: str) -> None:
    assert "Expired" in html
    assert ">Cancelled<" not in html


def test_borrower_pages_say_expired(client, expired):
    client.force_login(expired.borrower)
    _has_expired_not_cancelled(client.get(reverse("lending:borrowing-list")).content.decode())
    detail = client.get(reverse("lending:borrowing-detail", args=[expired.pk]))
    _has_expired_not_cancelled(detail.content.decode())


def test_investor_and_public_pages_say_expired(client, expired, investor):
    client.force_login(investor)
    _has_expired_not_cancelled(client.get(reverse("lending:investment-list")).content.decode())
    _has_expired_not_cancelled(
        client.get(reverse("lending:loan-detail", args=[expired.pk])).content.decode()
    )


def test_admin_says_expired(client, expired, make_user):
    client.force_login(make_user("compliance"))
    listing = client.get(reverse("admin:lending_loan_changelist")).content.decode()
    assert "Expired" in listing
    change = client.get(reverse("admin:lending_loan_change", args=[expired.pk])).content.decode()
    assert "Expired" in change


def test_api_keeps_the_status_and_labels_it_expired(api_client, expired):
    body = api_client.get(reverse("api:loan-detail", kwargs={"pk": expired.pk})).json()
    assert body["status"] == "cancelled" and body["status_label"] == "Expired"


def test_notifications_say_expired(expired, investor):
    for note in Notification.objects.filter(kind="loan_expired"):
        assert "expired" in note.title.lower()
        assert "cancelled" not in f"{note.title} {note.body}".lower()
    assert Notification.objects.filter(kind="loan_expired").count() == 2


def test_a_loan_cancelled_otherwise_still_reads_cancelled(open_loan):
    Loan.objects.filter(pk=open_loan.pk).update(status="cancelled", cancel_reason="withdrawn")
    assert Loan.objects.get(pk=open_loan.pk).get_status_display() == "Cancelled"
