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
def test_demo_loans_are_listed_through_accepted_offers_and_the_demo_borrower_has_one_open():
    from django.contrib.auth import get_user_model

    from lending.models import Application, Loan, LoanAgreement

    call_command("seed_demo", stdout=StringIO())
    loans = Loan.objects.select_related("application")
    assert loans.exists()
    assert all(loan.application.offer_status == "accepted" for loan in loans)
    assert LoanAgreement.objects.count() == loans.count()
    borrower = get_user_model().objects.get(email="borrower@demo.example")
    offer = Application.objects.get(borrower=borrower)
    assert offer.status == "approved" and offer.offer_status == "open"
    assert not Loan.objects.filter(application=offer).exists()
