"""Two accounts submitting the same national ID at the same instant: exactly one wins."""

import datetime
import threading
from functools import partial
from unittest.mock import patch

import pytest

from accounts import services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import FraudSignal, Identity
from accounts.services import identity as identity_services
from core.audit import audit_chain_verify
from tests.concurrency import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_national_id_verify_only_one(make_user):
    users = [make_user(), make_user()]
    national_id = sandbox_national_id(birth=datetime.date(1970, 6, 6), sequence=9)
    # Hold each transaction after its duplicate pre-check until both have passed it, so
    # both try the insert and the loser must take the IntegrityError branch; without this
    # the second request usually finds the first identity in its pre-check and the race
    # path is never run.
    past_precheck = threading.Barrier(len(users))
    real_find_duplicates = identity_services._find_duplicates
    calls = []

    def find_duplicates(user, submission):
        found = real_find_duplicates(user, submission)
        first_call = not any(who == user.pk for who, _ in calls)
        calls.append((user.pk, bool(found)))
        if first_call:
            past_precheck.wait(timeout=30)
        return found

    def submit(index, user):
        services.identity_submit(
            user=user,
            legal_name="孙七",
            national_id=national_id,
            phone=sandbox_phone(900 + index),
            bank_card=sandbox_bank_card(900 + index),
        )

    with patch.object(identity_services, "_find_duplicates", find_duplicates):
        outcomes = race(*(partial(submit, i, u) for i, u in enumerate(users))).codes()

    assert sorted(outcomes) == ["duplicate_identity", "ok"]
    loser = users[outcomes.index("duplicate_identity")]
    # Both pre-checks found nothing; the loser searched again only after its insert hit
    # the unique hash (the IntegrityError branch) and found the winner there.
    assert sorted(calls[:2]) == sorted([(users[0].pk, False), (users[1].pk, False)])
    assert calls[2:] == [(loser.pk, True)]
    assert Identity.objects.count() == 1
    winner = Identity.objects.get().user
    signal = FraudSignal.objects.get()
    assert (signal.user, signal.matched_user, signal.kind) == (
        loser,
        winner,
        "duplicate_national_id",
    )
    assert audit_chain_verify() == (True, None)
