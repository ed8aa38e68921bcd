"""Erasure: at once without financial history; restricted for the retention period and then
purged with it; refused, changing nothing, while money or a loan is still running."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.devices import device_id_new, device_sighting_record
from accounts.models import DeviceSighting, Identity
from compliance.models import ErasureRequest
from compliance.services.data_requests import erasure_purge_due, erasure_request
from core.errors import DomainError
from tests.accounts.onboarding import verify
from tests.ledger import assert_ledger_holds, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def test_a_user_without_financial_history_is_erased_at_once(client, make_user):
    user = verify(make_user())
    email = user.email
    device_sighting_record(user=user, device_id=device_id_new())
    client.force_login(user)
    response = client.post(reverse("compliance:personal-data"), {"confirm": "ERASE"})
    assert (
        response.status_code == 200
        and b"Everything we held about you is deleted" in response.content
    )
    user.refresh_from_db()
    assert user.email == f"erased-{user.pk}@erased.invalid" and not user.is_active
    assert not user.has_usable_password()
    assert not Identity.objects.filter(user=user).exists()
    assert not DeviceSighting.objects.filter(user=user).exists()
    assert ErasureRequest.objects.get(user=user).status == "erased"
    assert client.post("/accounts/login/", {"login": email, "password": "x"}).status_code != 302


def test_without_the_typed_confirmation_nothing_changes(client, make_user):
    user = verify(make_user())
    client.force_login(user)
    assert client.post(reverse("compliance:personal-data"), {"confirm": "yes"}).status_code == 302
    assert not ErasureRequest.objects.exists() and Identity.objects.filter(user=user).exists()


def test_money_or_a_running_loan_refuses_erasure_with_reasons(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product)
    investor = loan.investments.first().investor
    for user in (loan.borrower, investor):
        with pytest.raises(DomainError) as exc:
            erasure_request(user=user)
        assert exc.value.code == "erasure_refused" and exc.value.context["reasons"]
    assert not ErasureRequest.objects.exists()


def test_with_history_the_identity_is_kept_until_retention_ends_then_purged(make_user):
    user = verify(make_user())
    fund(user, "100.00")
    from custody.services import Leg, ledger_post, platform_account_id, user_account_ids

    available_id, _ = user_account_ids(user.pk)
    ledger_post(  # withdrawn: the wallet is empty, the records remain
        idempotency_key="test-out",
        kind="withdrawal",
        legs=[Leg(available_id, D("-100.00")), Leg(platform_account_id("custodian"), D("100.00"))],
    )
    erasure = erasure_request(user=user)
    assert erasure.status == "restricted"
    assert erasure.retain_until.year == timezone.localdate().year + 5
    assert Identity.objects.filter(user=user).exists()  # retained, locked away
    assert erasure_purge_due(today=erasure.retain_until - timedelta(days=1)) == 0
    assert erasure_purge_due(today=erasure.retain_until) == 1
    assert not Identity.objects.filter(user=user).exists()
    assert ErasureRequest.objects.get(user=user).status == "purged"
    assert_ledger_holds()  # the postings stay, on the anonymous account


def test_staff_cannot_erase_themselves(make_user):
    with pytest.raises(DomainError) as exc:
        erasure_request(user=make_user("compliance"))
    assert exc.value.code == "staff_not_allowed"
