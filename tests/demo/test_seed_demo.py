"""seed_demo: every printed login works, and running it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.seed import DEMO_PASSWORD, DEMO_USERS


@pytest.mark.django_db
def test_every_demo_login_signs_in_through_the_login_page(client):
    call_command("seed_demo", stdout=StringIO())
    for email, _, _ in DEMO_USERS:
        client.logout()
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        # Customers land on their dashboard; staff go on to the TOTP step.
        assert response.status_code == 302, (email, response.content[:500])
        assert "/accounts/login/" not in response["Location"]


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from django.contrib.auth import get_user_model

    from custody.models import JournalEntry
    from lending.models import Investment, Loan

    call_command("seed_demo", stdout=StringIO())
    counts = [m.objects.count() for m in (get_user_model(), Loan, Investment, JournalEntry)]
    call_command("seed_demo", stdout=StringIO())
    assert [m.objects.count() for m in (get_user_model(), Loan, Investment, JournalEntry)] == counts
    assert counts[1] > 0  # the loans are seeded too, each service in its own transaction
    emails = set(get_user_model().objects.values_list("email", flat=True))
    assert {email for email, _, _ in DEMO_USERS} <= emails


@pytest.mark.django_db
def test_seed_demo_refuses_where_demo_data_is_not_allowed(settings):
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED"):
        call_command("seed_demo", stdout=StringIO())
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_demo_data_is_coherent():
    """What a newcomer sees agrees with itself: no grade-A borrower with late payments; an
    individual's loan under the personal product and the business product the enterprise's;
    no investment dated after its loan's funding closed; expired listings read Expired."""
    from django.utils import timezone

    from custody.models import JournalEntry
    from lending.models import Investment, Loan

    call_command("seed_demo", stdout=StringIO())
    loans = list(Loan.objects.select_related("product", "application"))
    assert {loan.status for loan in loans} >= {"open", "funded", "repaying", "cancelled"}
    for loan in loans:
        report = loan.disclosure.get("credit_report", {})
        if loan.grade == "A":
            assert not report.get("overdue_records_6m"), loan.reference
        kind = loan.application.borrower_kind
        assert loan.product.code == ("business" if kind == "enterprise" else "personal"), (
            loan.reference,
            kind,
            loan.product.code,
        )
    for investment in Investment.objects.select_related("loan"):
        placed_on = timezone.localdate(investment.created_at)
        assert placed_on <= investment.loan.funding_deadline_on, investment.pk
        assert placed_on >= investment.loan.listed_on, investment.pk
        if investment.loan.funded_at:
            assert investment.created_at <= investment.loan.funded_at, investment.pk
    expired = [loan for loan in loans if loan.status == "cancelled"]
    assert expired and all(loan.get_status_display() == "Expired" for loan in expired)
    # The ledger agrees: a reservation's entry is dated with its investment.
    first = Investment.objects.order_by("created_at").first()
    entry_days = {
        timezone.localdate(e.created_at) for e in JournalEntry.objects.order_by("created_at")[:50]
    }
    assert timezone.localdate(first.created_at) in entry_days
