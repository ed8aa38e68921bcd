"""Identity check caps across accounts: accounts are cheap to make, so failed checks are
also capped per national ID (from any account) and per client network, counted in the
database. The duplicate refusal (409 `duplicate_identity`) must not let many accounts, or
one client with many accounts, learn which ID numbers are registered."""

import datetime
from datetime import timedelta
from functools import partial
from unittest.mock import patch

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts import services
from accounts.adapters.identity import (
    SandboxIdentityProvider,
    sandbox_bank_card,
    sandbox_national_id,
    sandbox_phone,
)
from accounts.models import Identity, IdentityAttempt, IdentityCheck
from tests.concurrency import race

URL = "/api/v1/me/identity"
_seq = iter(range(1, 1_000_000))


def person(national_id=None, **overrides) -> dict:
    n = next(_seq)
    data = {
        "legal_name": "王小明",
        "national_id": national_id
        or sandbox_national_id(birth=datetime.date(1985, 3, 3), sequence=n),
        "phone": sandbox_phone(7_000_000 + n),
        "bank_card": sandbox_bank_card(700_000 + n),
    }
    data.update(overrides)
    return data


def post(api_client, user, data, ip):
    api_client.force_authenticate(user)
    return api_client.post(URL, data, format="json", REMOTE_ADDR=ip)


@pytest.fixture
def provider_calls():
    """How many checks reached the identity provider."""
    calls = []
    real = SandboxIdentityProvider.verify

    def verify(self, submission):
        calls.append(submission.national_id)
        return real(self, submission)

    with patch.object(SandboxIdentityProvider, "verify", verify):
        yield calls


@pytest.mark.django_db
def test_accounts_probing_one_registered_national_id_are_stopped(
    api_client, make_user, provider_calls
):
    owner = make_user()
    taken = person()
    assert post(api_client, owner, taken, "10.0.0.1").status_code == 201
    # Eight fresh accounts, each from its own address (so only the per-ID cap applies).
    codes = []
    for n in range(8):
        probe = person(national_id=taken["national_id"])
        response = post(api_client, make_user(), probe, f"10.1.0.{n + 1}")
        codes.append((response.status_code, response.json()["code"]))
        if n == 5:
            cache.clear()  # counted in the database, not in the cache
    assert codes == [(409, "duplicate_identity")] * 5 + [(429, "national_id_attempts_exceeded")] * 3
    # The refused probes never reached the provider and left nothing behind.
    assert provider_calls.count(taken["national_id"]) == 1 + 5
    assert IdentityCheck.objects.filter(status="rejected").count() == 5
    assert IdentityAttempt.objects.filter(outcome="rejected").count() == 5
    assert not IdentityAttempt.objects.filter(outcome="pending").exists()
    # Another ID number is not affected.
    assert post(api_client, make_user(), person(), "10.1.0.99").status_code == 201


@pytest.mark.django_db
@override_settings(IDENTITY_MAX_REJECTIONS_PER_CLIENT_PER_DAY=4)
def test_one_client_probing_many_national_ids_is_stopped(api_client, make_user, provider_calls):
    registered = []
    for n in range(6):
        data = person()
        assert post(api_client, make_user(), data, f"10.2.0.{n + 1}").status_code == 201
        registered.append(data["national_id"])
    provider_calls.clear()
    # One client, a new account per ID (so only the per-client cap applies).
    codes = []
    for national_id in registered:
        response = post(api_client, make_user(), person(national_id=national_id), "10.3.3.3")
        codes.append(response.json()["code"])
    assert codes == ["duplicate_identity"] * 4 + ["client_attempts_exceeded"] * 2
    assert len(provider_calls) == 4
    # Another address in the same IPv6 /64 is the same client...
    for n, ip in enumerate(["2001:db8:7:7::1", "2001:db8:7:7::1", "2001:db8:7:7::1"]):
        post(api_client, make_user(), person(national_id=registered[n]), ip)
    response = post(
        api_client, make_user(), person(national_id=registered[3]), "2001:db8:7:7:ffff::9"
    )
    assert response.json()["code"] == "duplicate_identity"  # the fourth failure: allowed
    response = post(
        api_client, make_user(), person(national_id=registered[4]), "2001:db8:7:7::abcd"
    )
    assert response.json()["code"] == "client_attempts_exceeded"
    # ...and any other client is not.
    assert post(api_client, make_user(), person(), "10.4.4.4").status_code == 201


@pytest.mark.django_db
def test_the_owner_is_held_back_only_by_failures_on_their_own_id_within_a_day(
    api_client, make_user
):
    """The design's bound on harm to the legitimate holder of an ID: others' failures with
    it stop the holder's own first check for at most the 24-hour window; failures with any
    other ID, verified checks and refused attempts never count against it."""
    mine = person()
    # Others fail five times with the owner's (not yet registered) ID: a wrong phone.
    for n in range(5):
        bad = person(national_id=mine["national_id"], phone="100")
        response = post(api_client, make_user(), bad, f"10.5.0.{n + 1}")
        assert response.json()["code"] == "invalid_phone"
    # Failures with other IDs and successful checks do not count against it.
    post(api_client, make_user(), person(phone="100"), "10.5.1.1")
    post(api_client, make_user(), person(), "10.5.1.2")
    owner = make_user()
    refused = post(api_client, owner, mine, "10.6.0.1")
    assert (refused.status_code, refused.json()["code"]) == (429, "national_id_attempts_exceeded")
    again = post(api_client, owner, mine, "10.6.0.1")
    assert again.status_code == 429
    # Refusals are not attempts: once the failures are a day old the owner passes.
    assert IdentityAttempt.objects.filter(user=owner).count() == 0
    IdentityAttempt.objects.update(
        created_at=IdentityAttempt.objects.order_by("id").first().created_at - timedelta(hours=24)
    )
    assert post(api_client, owner, mine, "10.6.0.1").status_code == 201
    assert Identity.objects.filter(user=owner).exists()
    # Rows past the window are purged as new attempts are claimed.
    assert not IdentityAttempt.objects.exclude(user=owner).exists()


@pytest.mark.django_db
def test_the_identity_page_passes_the_client_address(client, make_user):
    taken = person()
    services.identity_submit(user=make_user(), **taken)
    with override_settings(IDENTITY_MAX_REJECTIONS_PER_CLIENT_PER_DAY=1):
        for shown in ("already registered to another account", "from your network"):
            client.force_login(make_user())
            page = client.post(
                "/onboarding/identity/",
                person(national_id=taken["national_id"]),
                REMOTE_ADDR="10.7.0.1",
            )
            assert page.status_code == 200 and shown in page.content.decode()
            assert IdentityAttempt.objects.filter(client_network="10.7.0.1").count() == 1


@pytest.mark.django_db
def test_a_provider_failure_is_no_attempt(make_user):
    user = make_user()
    with (
        patch.object(SandboxIdentityProvider, "verify", side_effect=ConnectionError),
        pytest.raises(ConnectionError),
    ):
        services.identity_submit(user=user, client_ip="10.8.0.1", **person())
    assert not IdentityAttempt.objects.exists()
    assert not IdentityCheck.objects.exists()


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, ""),
        ("", ""),
    ],
)
def test_client_networks(address, network):
    assert services.client_network(address) == network


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_accounts_on_one_id_gets_no_more_than_the_cap_past(make_user, provider_calls):
    """Twelve accounts at the same instant, each from its own address: each claim commits
    before it counts, so at most the cap's five reach the provider, however they interleave."""
    owner = make_user()
    taken = person()
    services.identity_submit(user=owner, **taken)
    provider_calls.clear()
    users = [make_user() for _ in range(12)]

    def submit(index, user):
        services.identity_submit(
            user=user,
            client_ip=f"10.9.0.{index + 1}",
            **person(national_id=taken["national_id"]),
        )

    outcomes = race(*(partial(submit, i, u) for i, u in enumerate(users))).codes()
    codes = sorted(outcomes)
    assert len(codes) == 12
    assert set(codes) <= {"duplicate_identity", "national_id_attempts_exceeded"}, codes
    assert len(provider_calls) == codes.count("duplicate_identity") <= 5
    assert codes.count("national_id_attempts_exceeded") >= 7
    assert IdentityAttempt.objects.exclude(user=owner).count() == codes.count("duplicate_identity")
    assert Identity.objects.count() == 1
