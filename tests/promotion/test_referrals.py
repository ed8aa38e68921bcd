"""Referrals: a verified customer's code, the referral a signup through it records, the
reward paid once from the marketing budget as one wallet line, every refusal with its
reason, and the caps per referrer and per month."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.utils import timezone

from accounts.errors import IdentityNotVerified
from accounts.models import DeviceSighting, FraudSignal
from core.audit import AuditEvent
from core.errors import DomainError
from custody.models import JournalEntry, Movement, Withdrawal
from custody.selectors import wallet_movement_list, wallet_movements
from lending.business_date import business_date_set
from lending.models import Investment, Notification
from lending.services.batch import DAILY_STEPS, SWEEPERS
from promotion.models import Referral, ReferralCode
from promotion.services.referrals import (
    CODE_ALPHABET,
    CODE_LENGTH,
    referral_code_get,
    referral_link,
    referral_record,
    referral_settle,
    referrals_settle,
)
from tests.accounts.auth_support import verification_code
from tests.accounts.factories import UserFactory
from tests.accounts.pii_scan import plaintext_found
from tests.ledger import assert_ledger_holds, available
from tests.promotion.referrals import (
    after_window,
    budget_balance,
    details,
    invested,
    referee_of,
    referrer_and_code,
    verified,
)

pytestmark = pytest.mark.django_db
REWARD = Decimal("50.00")
PASSWORD = "Sturdy-Pass-2026!"


# --- Codes and links -----------------------------------------------------------------------


def test_a_verified_customer_gets_one_short_unambiguous_code_and_a_link_on_the_site():
    referrer = verified()
    first = referral_code_get(referrer)
    again = referral_code_get(referrer)
    assert first.pk == again.pk
    assert len(first.code) == CODE_LENGTH
    assert set(first.code) <= set(CODE_ALPHABET)
    assert not set(first.code) & set("01OIL")
    assert referral_link(first.code) == f"http://127.0.0.1:8000/?ref={first.code}"


def test_no_code_before_the_identity_is_verified_nor_for_staff(make_user):
    with pytest.raises(IdentityNotVerified):
        referral_code_get(UserFactory())
    with pytest.raises(DomainError) as refused:
        referral_code_get(make_user("reviewer"))
    assert refused.value.code == "staff_not_allowed"
    assert not ReferralCode.objects.exists()


def test_signing_up_through_the_link_records_the_referral(client):
    referrer, code = referrer_and_code()
    client.get("/", {"ref": code.lower()})
    response = client.post(
        "/accounts/signup/",
        {"email": "friend@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    client.post("/accounts/confirm-email/", {"code": verification_code("friend@example.com")})
    referral = Referral.objects.get()
    assert referral.referrer_id == referrer.pk
    assert referral.referee.email == "friend@example.com"
    assert (referral.status, referral.code) == (Referral.Status.PENDING, code)


def test_an_unknown_code_records_no_referral_and_a_person_is_referred_once():
    referrer, code = referrer_and_code()
    _other, other_code = referrer_and_code()
    user = UserFactory()
    assert referral_record(referee_id=user.pk, code="NOSUCH99", signed_up_at=timezone.now()) is None
    first = referral_record(referee_id=user.pk, code=code, signed_up_at=timezone.now())
    second = referral_record(referee_id=user.pk, code=other_code, signed_up_at=timezone.now())
    assert first.pk == second.pk
    assert second.referrer_id == referrer.pk
    assert Referral.objects.count() == 1


def test_self_referral_is_impossible():
    referrer, code = referrer_and_code()
    assert referral_record(referee_id=referrer.pk, code=code, signed_up_at=timezone.now()) is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            referrer=referrer, referee=referrer, code=code, signed_up_at=timezone.now()
        )
    assert not Referral.objects.exists()


# --- The reward ------------------------------------------------------------------------------


def test_a_lent_first_investment_pays_the_referrer_once_as_one_wallet_line():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    investment = invested(referee, "1000.00")
    business_date_set(on=date(2026, 12, 6))

    settled = referral_settle(referral_id=referral.pk)
    again = referral_settle(referral_id=referral.pk)

    assert settled.status == again.status == Referral.Status.REWARDED
    assert settled.investment_id == investment.pk
    assert settled.reward_amount == REWARD
    assert settled.rewarded_on == date(2026, 12, 6)
    entries = JournalEntry.objects.filter(kind="referral_reward")
    assert [e.pk for e in entries] == [settled.journal_entry_id]
    assert entries.get().idempotency_key == f"promotion.referral_reward:{referral.pk}"
    assert available(referrer) == REWARD
    assert budget_balance() == -REWARD
    lines = wallet_movements(wallet_movement_list(user_id=referrer.pk))
    assert [(line.description, line.amount) for line in lines] == [("Referral reward", REWARD)]
    notes = Notification.objects.filter(user=referrer, kind="referral_rewarded")
    assert notes.count() == 1
    assert "50.00" in notes.get().title
    assert AuditEvent.objects.filter(action="promotion.referral_rewarded").count() == 1
    assert_ledger_holds()


def test_a_reservation_waits_and_a_cancelled_investment_does_not_count():
    _referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    invested(referee, "5000.00", status=Investment.Status.CANCELLED)
    reserved = invested(referee, "2000.00", status=Investment.Status.RESERVED)

    # Still reserved past the window: it may yet be lent out, so the referral waits.
    late = after_window(referral)
    assert referral_settle(referral_id=referral.pk, now=late).status == Referral.Status.PENDING
    Investment.objects.filter(pk=reserved.pk).update(status=Investment.Status.ACTIVE)
    settled = referral_settle(referral_id=referral.pk, now=late)
    assert (settled.status, settled.investment_id) == (Referral.Status.REWARDED, reserved.pk)


# --- Refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shared", "reason", "signal"),
    [
        ("national_id", "shared_identity", FraudSignal.Kind.DUPLICATE_NATIONAL_ID),
        ("phone", "shared_phone", FraudSignal.Kind.DUPLICATE_PHONE),
        ("bank_card", "shared_bank_card", FraudSignal.Kind.DUPLICATE_BANK_CARD),
    ],
)
def test_no_reward_when_the_referee_tried_to_use_the_referrers_details(shared, reason, signal):
    referrer = UserFactory()
    verified(referrer, n=900)
    code = referral_code_get(referrer).code
    referee, referral = referee_of(code)
    # The referee's first check names one of the referrer's details: onboarding refuses it
    # and records the duplicate; their second check, with their own details, passes.
    attempt = {**details(901), shared: details(900)[shared]}
    with pytest.raises(DomainError):
        _submit(referee, attempt)
    assert FraudSignal.objects.filter(user=referee, kind=signal, matched_user=referrer).exists()
    verified(referee, n=901)
    invested(referee, "3000.00")

    settled = referral_settle(referral_id=referral.pk)

    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, reason)
    assert available(referrer) == 0
    assert not JournalEntry.objects.filter(kind="referral_reward").exists()
    assert AuditEvent.objects.filter(action="promotion.referral_refused").count() == 1


def _submit(user, values):
    from accounts import services

    services.identity_submit(user=user, **values)


def _sign_up_through(browser, code: str, email: str):
    """The friend follows the link and signs up in `browser`; returns (user, referral)."""
    browser.get("/", {"ref": code})
    browser.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    browser.post("/accounts/confirm-email/", {"code": verification_code(email)})
    referral = Referral.objects.get(referee__email=email)
    return referral.referee, referral


def _signed_in(browser, user):
    """The user signs in on `browser`, then out again (the browser keeps its device cookie)."""
    response = browser.post(
        "/accounts/login/", {"login": user.email, "password": user.test_password}
    )
    assert response.status_code == 302
    browser.post("/accounts/logout/")


def test_no_reward_when_the_referee_signed_up_on_the_referrers_device(client):
    referrer, code = referrer_and_code()
    _signed_in(client, referrer)
    referee, referral = _sign_up_through(client, code, "friend@example.com")
    device_id = client.cookies[settings.DEVICE_COOKIE_NAME].value
    assert DeviceSighting.objects.filter(user=referee).count() == 1

    # The daily sweep decides it at once: nothing the referee does later can qualify it.
    assert referrals_settle(as_of=date(2026, 12, 6)) == {
        "rewarded": 0,
        "refused": 1,
        "waiting": 0,
    }
    invested(referee, "3000.00")
    settled = referral_settle(referral_id=referral.pk)

    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, "shared_device")
    assert settled.get_reason_display() == "Device shared with the referrer"
    assert available(referrer) == 0
    assert not JournalEntry.objects.filter(kind="referral_reward").exists()
    event = AuditEvent.objects.get(action="promotion.referral_refused")
    assert event.after == {"status": "refused", "reason": "shared_device"}
    # Recorded and compared as keyed hashes: the cookie itself is nowhere.
    assert plaintext_found(device_id) == []


def test_a_referee_on_a_device_of_their_own_is_paid(client):
    referrer, code = referrer_and_code()
    _signed_in(client, referrer)
    referee, referral = _sign_up_through(Client(), code, "friend@example.com")
    assert DeviceSighting.objects.filter(user=referee).exists()
    # Nothing to decide yet: the sweep leaves it waiting for a first investment.
    assert referrals_settle(as_of=date(2026, 12, 6)) == {
        "rewarded": 0,
        "refused": 0,
        "waiting": 0,
    }
    invested(referee, "1000.00")

    settled = referral_settle(referral_id=referral.pk)

    assert (settled.status, settled.reason) == (Referral.Status.REWARDED, "")
    assert available(referrer) == REWARD
    assert JournalEntry.objects.filter(kind="referral_reward").count() == 1


def test_signing_in_later_on_the_referrers_device_refuses_too(client):
    referrer, code = referrer_and_code()
    referee, referral = _sign_up_through(Client(), code, "friend@example.com")
    referee.test_password = PASSWORD
    _signed_in(client, referrer)
    _signed_in(client, referee)
    invested(referee, "1000.00")
    settled = referral_settle(referral_id=referral.pk)
    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, "shared_device")


def test_no_reward_when_the_referee_withdraws_within_the_window():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    Withdrawal.objects.create(
        user=referee, amount=Decimal("10.00"), status=Movement.Status.SUCCEEDED, request_key="w1"
    )
    invested(referee, "1000.00")
    settled = referral_settle(referral_id=referral.pk)
    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, "withdrawal_in_window")
    assert available(referrer) == 0


def test_a_withdrawal_after_the_window_or_a_failed_one_does_not_refuse():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code, signed_up_at=timezone.now() - timedelta(days=40))
    invested(referee, "1000.00", at=referral.signed_up_at + timedelta(days=2))
    Withdrawal.objects.create(
        user=referee, amount=Decimal("10.00"), status=Movement.Status.SUCCEEDED, request_key="w1"
    )
    Withdrawal.objects.filter(user=referee).update(created_at=timezone.now())
    Withdrawal.objects.create(
        user=referee,
        amount=Decimal("10.00"),
        status=Movement.Status.FAILED,
        request_key="w2",
    )
    Withdrawal.objects.filter(request_key="w2").update(
        created_at=referral.signed_up_at + timedelta(days=1)
    )
    assert referral_settle(referral_id=referral.pk).status == Referral.Status.REWARDED
    assert available(referrer) == REWARD


def test_an_investment_below_the_minimum_is_refused_once_the_window_closes():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    small = invested(referee, "999.99")
    assert referral_settle(referral_id=referral.pk).status == Referral.Status.PENDING
    settled = referral_settle(referral_id=referral.pk, now=after_window(referral))
    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, "below_minimum")
    assert settled.investment_id == small.pk
    assert available(referrer) == 0


def test_an_investment_after_the_window_is_refused():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code, signed_up_at=timezone.now() - timedelta(days=31))
    invested(referee, "5000.00")  # placed now: a day after the 30-day window
    settled = referral_settle(referral_id=referral.pk)
    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, "outside_window")
    assert available(referrer) == 0


def test_the_daily_sweep_refuses_referrals_whose_window_closed_without_an_investment():
    assert ("referrals_settle" in dict(DAILY_STEPS)) and "referrals_settle" in SWEEPERS
    _referrer, code = referrer_and_code()
    _idle, stale = referee_of(code, signed_up_at=timezone.now() - timedelta(days=45))
    _new, fresh = referee_of(code)
    counts = referrals_settle(as_of=date(2026, 12, 6))
    assert counts == {"rewarded": 0, "refused": 1, "waiting": 0}
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.reason) == (Referral.Status.REFUSED, "no_investment")
    assert fresh.status == Referral.Status.PENDING


# --- Caps ------------------------------------------------------------------------------------


@override_settings(REFERRAL_CAP_PER_REFERRER=2)
def test_a_referrer_earns_at_most_the_cap_then_cap_reached():
    referrer, code = referrer_and_code()
    referrals = []
    for _ in range(3):
        referee, referral = referee_of(code)
        invested(referee, "1000.00")
        referrals.append(referral)
    results = [referral_settle(referral_id=r.pk) for r in referrals]
    assert [(r.status, r.reason) for r in results] == [
        ("rewarded", ""),
        ("rewarded", ""),
        ("refused", "cap_reached"),
    ]
    assert available(referrer) == 2 * REWARD
    assert_ledger_holds()


@override_settings(REFERRAL_CAP_PER_MONTH=Decimal("100.00"))
def test_past_the_monthly_budget_a_reward_waits_for_next_month():
    business_date_set(on=date(2026, 11, 20))
    earned = []
    for _ in range(3):
        referrer, code = referrer_and_code()
        referee, referral = referee_of(code)
        invested(referee, "1000.00")
        earned.append((referrer, referral))
    results = [referral_settle(referral_id=r.pk) for _u, r in earned]
    assert [(r.status, r.hold) for r in results] == [
        ("rewarded", ""),
        ("rewarded", ""),
        ("pending", "monthly_budget"),
    ]
    # The same month again: still held. The next month's batch pays it.
    assert referrals_settle(as_of=date(2026, 11, 30)) == {
        "rewarded": 0,
        "refused": 0,
        "waiting": 1,
    }
    assert referrals_settle(as_of=date(2026, 12, 1))["rewarded"] == 1
    held = Referral.objects.get(pk=earned[2][1].pk)
    assert (held.status, held.hold, held.rewarded_on) == ("rewarded", "", date(2026, 12, 1))
    assert [available(u) for u, _r in earned] == [REWARD, REWARD, REWARD]
    assert budget_balance() == -3 * REWARD
    assert_ledger_holds()


# --- Page and API ----------------------------------------------------------------------------


def test_the_api_gives_the_link_rules_and_masked_friends(api_client):
    referrer, code = referrer_and_code()
    friend, referral = referee_of(code)
    invested(friend, "1000.00")
    referral_settle(referral_id=referral.pk)
    api_client.force_authenticate(referrer)

    body = api_client.get("/api/v1/me/referrals").json()

    assert body["identity_verified"] is True
    assert (body["code"], body["link"]) == (code, f"http://127.0.0.1:8000/?ref={code}")
    assert body["earned_amount"] == "50.00"
    assert body["rules"] == {
        "reward_amount": "50.00",
        "min_investment": "1000.00",
        "window_days": 30,
        "cap_per_referrer": 20,
        "currency": "CNY",
    }
    [line] = body["referrals"]
    local, domain = friend.email.split("@")
    assert line["friend"] == f"{local[0]}***{local[-1]}@{domain}"
    assert friend.email not in str(body)
    assert (line["status"], line["reward_amount"], line["reason"]) == ("rewarded", "50.00", "")


def test_before_verification_the_api_and_page_offer_no_link(api_client, client):
    user = UserFactory()
    api_client.force_authenticate(user)
    body = api_client.get("/api/v1/me/referrals").json()
    assert (body["identity_verified"], body["code"], body["link"]) == (False, None, None)
    client.force_login(user)
    page = client.get("/account/referrals/").content.decode()
    assert "Verify your identity first" in page
    assert "?ref=" not in page
    assert not ReferralCode.objects.exists()


def test_no_reward_to_a_referrer_whose_account_is_closed():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    invested(referee, "1000.00")
    referrer.is_active = False
    referrer.save(update_fields=["is_active"])
    settled = referral_settle(referral_id=referral.pk)
    assert (settled.status, settled.reason) == (Referral.Status.REFUSED, "referrer_closed")
    assert available(referrer) == 0
