"""Two borrowers registering the same credit code at the same instant: exactly one wins,
the other is refused as a duplicate with a fraud signal (real PostgreSQL threads)."""

import datetime
import threading
from functools import partial
from unittest.mock import patch

import pytest

from accounts import services
from accounts.adapters.enterprise_registry import sandbox_credit_code
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import Enterprise, EnterpriseCheck, FraudSignal
from accounts.services import enterprise as services_enterprise
from core.audit import audit_chain_verify
from tests.concurrency import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_credit_code_verify_only_one(make_user):
    people = []
    for n, name in ((31, "孙七"), (32, "周八")):
        user = make_user("borrower")
        national_id = sandbox_national_id(birth=datetime.date(1975, 3, 3), sequence=n)
        services.identity_submit(
            user=user,
            legal_name=name,
            national_id=national_id,
            phone=sandbox_phone(31_000 + n),
            bank_card=sandbox_bank_card(31_000 + n),
        )
        people.append((user, name, national_id))
    code = sandbox_credit_code(31)
    # Hold each transaction after its duplicate pre-check until both have passed it, so
    # both insert and the loser must take the IntegrityError branch.
    past_precheck = threading.Barrier(2)
    real_holder = services_enterprise._duplicate_holder
    calls = []

    def duplicate_holder(user, submission):
        found = real_holder(user, submission)
        first_call = not any(who == user.pk for who, _ in calls)
        calls.append((user.pk, found is not None))
        if first_call:
            past_precheck.wait(timeout=30)
        return found

    def register(user, name, national_id):
        services_enterprise.enterprise_submit(
            user=user,
            company_name="深圳湾科技有限公司",
            credit_code=code,
            legal_representative_name=name,
            legal_representative_id=national_id,
            registered_address="广东省深圳市南山区科苑路15号",
        )

    with patch.object(services_enterprise, "_duplicate_holder", duplicate_holder):
        outcomes = race(*(partial(register, *p) for p in people)).codes()

    assert sorted(outcomes) == ["duplicate_credit_code", "ok"]
    loser = people[outcomes.index("duplicate_credit_code")][0]
    assert sorted(calls[:2]) == sorted([(people[0][0].pk, False), (people[1][0].pk, False)])
    assert calls[2:] == [(loser.pk, True)]
    winner = Enterprise.objects.get().user
    assert winner != loser
    signal = FraudSignal.objects.get()
    assert (signal.user, signal.matched_user, signal.kind) == (
        loser,
        winner,
        "duplicate_credit_code",
    )
    # The loser's verified check was removed with its failed insert: one of each remains.
    assert sorted(EnterpriseCheck.objects.values_list("status", flat=True)) == [
        "rejected",
        "verified",
    ]
    assert audit_chain_verify() == (True, None)
