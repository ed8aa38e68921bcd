"""seed_demo: every printed login works, and running it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.seed import DEMO_PASSWORD, DEMO_USERS


@pytest.mark.django_db
def test_seed_demo_logins_work_history_is_there_and_a_rerun_changes_nothing(client):
    """One seeding (it replays a year of daily batches, so the test seeds once)."""
    from django.contrib.auth import get_user_model

    from custody.models import JournalEntry
    from lending.models import Application, Investment, Loan, LoanAgreement, Payout, Repayment
    from tests.ledger import assert_ledger_holds

    call_command("seed_demo", stdout=StringIO())
    for email, _, _ in DEMO_USERS:
        client.logout()
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        # Customers land on their dashboard; staff go on to the TOTP step.
        assert response.status_code == 302, (email, response.content[:500])
        assert "/accounts/login/" not in response["Location"]
    # A year of servicing: loans repaid and closed, repayments paid out to investors, and
    # the demo borrower's own loan being repaid.
    history = Loan.objects.filter(borrower__email__startswith="history-borrower")
    assert history.filter(status=Loan.Status.CLOSED).exists()
    assert history.filter(status=Loan.Status.REPAYING).exists()
    assert Repayment.objects.filter(loan__in=history).count() > 20
    assert Payout.objects.filter(investor__email="investor@demo.example").exists()
    assert Loan.objects.filter(
        borrower__email="borrower@demo.example", status=Loan.Status.REPAYING
    ).exists()
    assert not Repayment.objects.filter(distribution=Repayment.Distribution.PENDING).exists()
    assert_ledger_holds()
    _assert_coherent()
    # Every loan was listed through an accepted offer, with its agreement; the demo borrower
    # has an offer waiting for an answer (and nothing listed for it).
    assert all(
        loan.application.offer_status == "accepted"
        for loan in Loan.objects.select_related("application")
    )
    assert LoanAgreement.objects.count() == Loan.objects.count()
    offer = Application.objects.get(
        borrower__email="borrower@demo.example", offer_status="open", status="approved"
    )
    assert not Loan.objects.filter(application=offer).exists()

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


def _assert_coherent() -> None:
    """What a newcomer sees agrees with itself: no grade-A borrower with late payments; an
    individual's loan under the personal product and the business product the enterprise's;
    no investment dated after its loan's funding closed; expired listings read Expired."""
    from django.utils import timezone

    from lending.models import Investment, Loan

    loans = list(Loan.objects.select_related("product", "application"))
    assert {loan.status for loan in loans} >= {"open", "funded", "repaying", "cancelled"}
    for loan in loans:
        if loan.grade == "A":
            assert not loan.disclosure.get("credit_report", {}).get("overdue_records_6m")
        kind = loan.application.borrower_kind
        expected = "business" if kind == "enterprise" else "personal"
        assert loan.product.code == expected, (loan.reference, kind, loan.product.code)
    for investment in Investment.objects.select_related("loan"):
        loan = investment.loan
        placed_on = timezone.localdate(investment.created_at)
        assert loan.listed_on <= placed_on <= loan.funding_deadline_on, (investment.pk, placed_on)
        if loan.funded_at:
            assert investment.created_at <= loan.funded_at, investment.pk
    expired = [loan for loan in loans if loan.status == "cancelled"]
    assert expired and all(loan.get_status_display() == "Expired" for loan in expired)
