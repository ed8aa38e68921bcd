"""Two accounts submitting the same national ID at the same instant: exactly one wins."""

import datetime
import threading
from unittest.mock import patch

import pytest
from django.db import connection

from accounts import services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import FraudSignal, Identity
from accounts.services import identity as identity_services
from core.audit import audit_chain_verify
from core.errors import DomainError


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_national_id_verify_only_one(make_user):
    users = [make_user(), make_user()]
    national_id = sandbox_national_id(birth=datetime.date(1970, 6, 6), sequence=9)
    barrier = threading.Barrier(len(users))
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

    outcomes = {}

    def submit(index, user):
        try:
            barrier.wait()
            services.identity_submit(
                user=user,
                legal_name="孙七",
                national_id=national_id,
                phone=sandbox_phone(900 + index),
                bank_card=sandbox_bank_card(900 + index),
            )
            outcomes[index] = "verified"
        except DomainError as exc:
            outcomes[index] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i, u)) for i, u in enumerate(users)]
    with patch.object(identity_services, "_find_duplicates", find_duplicates):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes.values()) == ["duplicate_identity", "verified"]
    loser_pk = users[next(i for i, o in outcomes.items() if o != "verified")].pk
    # Both pre-checks found nothing; the loser searched again only after its insert hit
    # the unique hash (the IntegrityError branch) and found the winner there.
    assert sorted(calls[:2]) == sorted([(users[0].pk, False), (users[1].pk, False)])
    assert calls[2:] == [(loser_pk, True)]
    assert Identity.objects.count() == 1
    loser = users[next(i for i, o in outcomes.items() if o != "verified")]
    winner = Identity.objects.get().user
    signal = FraudSignal.objects.get()
    assert (signal.user, signal.matched_user, signal.kind) == (
        loser,
        winner,
        "duplicate_national_id",
    )
    assert audit_chain_verify() == (True, None)
