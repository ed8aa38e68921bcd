"""A money POST whose PostgreSQL backend is terminated around its commit: the caller gets
503 with Retry-After (or its outcome, when that is known), never a 500, and the key is not
left stuck in progress for IN_PROGRESS_STALE_AFTER: a retry right after returns the
committed outcome (the ambiguous commit) or places the order once (nothing committed).

Each request runs in a thread of its own (its own connection); a second connection calls
pg_terminate_backend on the request's backend from a hook inside the money service's
transaction: before the commit, or from a transaction.on_commit callback after it."""

import importlib
import json
import time
from functools import partial

import pytest
from django.db import connection, connections, transaction

from core.models import IdempotencyRecord
from custody.models import Deposit, JournalEntry, Withdrawal
from lending.models import Investment
from tests.concurrency import race
from tests.ledger import assert_ledger_holds, available, fund, reserved

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The money service of each kind, and the audit call its transaction makes before it
# commits: the hook that terminates the backend wraps it.
HOOKS = {
    "investment": ("lending.services.settlement", "audit_record_many"),
    "deposit": ("custody.services.movements", "audit_record"),
    "withdrawal": ("custody.services.movements", "audit_record"),
}
MODELS = {"investment": Investment, "deposit": Deposit, "withdrawal": Withdrawal}


def _terminate(pid: int) -> None:
    """End backend `pid` from a connection of our own, waiting until it is gone."""
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        killer.close()


class BackendKiller:
    """Wraps the service's audit call: for its next `times` calls, terminates the calling
    request's own backend, `before` its transaction commits or `after` (from an on_commit
    callback; with `touch` the callback then uses the dead connection, so the service
    raises although its transaction committed: the ambiguous commit)."""

    def __init__(self, monkeypatch, kind, when, *, times=1, touch=False):
        module, name = HOOKS[kind]
        module = importlib.import_module(module)
        original = getattr(module, name)
        self.left, self.killed = times, 0

        def hook(*args, **kwargs):
            result = original(*args, **kwargs)
            if self.left:
                self.left -= 1
                pid = connection.connection.info.backend_pid
                if when == "before":
                    self._kill(pid)
                else:
                    transaction.on_commit(lambda: self._kill(pid, touch=touch))
            return result

        monkeypatch.setattr(module, name, hook)

    def _kill(self, pid, touch=False):
        _terminate(pid)
        self.killed += 1
        if touch:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")


def _request(kind, user, loan):
    if kind == "investment":
        return f"/api/v1/loans/{loan.pk}/investments", {"amount": "500.00"}
    if kind == "deposit":
        return "/api/v1/wallet/deposits", {"amount": "10.00"}
    return "/api/v1/wallet/withdrawals", {"amount": "10.00", "password": user.test_password}


def _posting(kind, user, loan, key):
    """The POST of `kind` as `user` with Idempotency-Key `key`, ready to run: a 500 is
    answered, not raised."""
    from rest_framework.test import APIClient

    url, body = _request(kind, user, loan)
    client = APIClient()
    client.raise_request_exception = False
    client.force_authenticate(user)
    return partial(
        client.post,
        url,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def _post_in_thread(kind, user, loan, key="lost-1"):
    """POST in a thread of its own (so its own database connection), as a server would."""
    [response] = race(_posting(kind, user, loan, key)).results()
    return response


def _assert_503(response):
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) >= 1


def _assert_one_effect(kind, user, investment_id=None):
    model = MODELS[kind]
    assert model.objects.count() == 1
    if investment_id is not None:
        assert model.objects.get().pk == investment_id
    if kind == "investment":
        assert model.objects.get().status == Investment.Status.RESERVED
        assert str(reserved(user)) == "500.00"
        assert str(available(user)) == "49500.00"
    elif kind == "withdrawal":
        assert JournalEntry.objects.filter(kind="reserve").count() == 1
        assert str(reserved(user)) == "10.00"
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.DONE
    assert_ledger_holds()


@pytest.fixture
def _no_withdrawal_cap(monkeypatch):
    from accounts.api.throttling import MoneyActionRateThrottle

    for scope in ("money_deposit", "money_withdrawal", "money_investment"):
        monkeypatch.setitem(MoneyActionRateThrottle.THROTTLE_RATES, scope, "1000/min")


@pytest.mark.parametrize("kind", ["investment", "deposit", "withdrawal"])
def test_committed_but_the_caller_saw_its_connection_die_the_retry_returns_the_outcome(
    monkeypatch, investor, open_loan, kind, _no_withdrawal_cap
):
    # The ambiguous commit: the transaction committed, then the service raised on its dead
    # connection. The caller cannot know; it gets a 503 and retries with the same key.
    killer = BackendKiller(monkeypatch, kind, "after", touch=True)
    first = _post_in_thread(kind, investor, open_loan)
    assert killer.killed == 1
    _assert_503(first)
    assert MODELS[kind].objects.count() == 1  # it did commit
    started = time.monotonic()
    retry = _post_in_thread(kind, investor, open_loan)
    waited = time.monotonic() - started
    assert retry.status_code == 201, retry.content[:500]
    assert "Idempotent-Replayed" not in retry
    _assert_one_effect(kind, investor, investment_id=retry.json()["id"])
    assert waited < 5, waited
    replay = _post_in_thread(kind, investor, open_loan)
    assert replay.content == retry.content and replay["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("kind", ["investment", "deposit", "withdrawal"])
def test_terminated_after_the_commit_the_caller_still_gets_its_outcome(
    monkeypatch, investor, open_loan, kind, _no_withdrawal_cap
):
    # The commit was acknowledged; the connection died before the key's record was
    # written. That record is written on a fresh connection: the caller gets 201 and a
    # retry is a replay.
    killer = BackendKiller(monkeypatch, kind, "after")
    first = _post_in_thread(kind, investor, open_loan)
    assert killer.killed == 1
    assert first.status_code == 201, first.content[:500]
    _assert_one_effect(kind, investor, investment_id=first.json()["id"])
    replay = _post_in_thread(kind, investor, open_loan)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content


@pytest.mark.parametrize("kind", ["investment", "deposit", "withdrawal"])
def test_terminated_before_the_commit_the_retry_places_it_once(
    monkeypatch, investor, open_loan, kind, _no_withdrawal_cap
):
    # Every attempt of the first request loses its backend before committing (an
    # investment's batch is run again alone after a failed batch: that one dies too).
    attempts = 2 if kind == "investment" else 1
    killer = BackendKiller(monkeypatch, kind, "before", times=attempts)
    first = _post_in_thread(kind, investor, open_loan)
    assert killer.killed == attempts
    _assert_503(first)
    assert not MODELS[kind].objects.exists()
    assert not IdempotencyRecord.objects.exists()  # released on a fresh connection
    retry = _post_in_thread(kind, investor, open_loan)
    assert retry.status_code == 201, retry.content[:500]
    _assert_one_effect(kind, investor, investment_id=retry.json()["id"])


def test_when_even_the_release_fails_the_next_retry_takes_the_key_over_at_once(
    monkeypatch, investor, open_loan
):
    # The release on a fresh connection fails too (the database is still unreachable for
    # this process): the record stays in progress, but its owner's session is gone, so
    # the retry takes it over instead of waiting IN_PROGRESS_STALE_AFTER (10 minutes).
    from django.db import OperationalError
    from django.db.models import QuerySet

    BackendKiller(monkeypatch, "investment", "after", touch=True)
    real_delete = QuerySet.delete

    def unreachable(queryset):
        if queryset.model is IdempotencyRecord:
            raise OperationalError("server closed the connection unexpectedly")
        return real_delete(queryset)

    monkeypatch.setattr(QuerySet, "delete", unreachable)
    first = _post_in_thread("investment", investor, open_loan)
    _assert_503(first)
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.IN_PROGRESS
    monkeypatch.setattr(QuerySet, "delete", real_delete)
    started = time.monotonic()
    retry = _post_in_thread("investment", investor, open_loan)
    waited = time.monotonic() - started
    assert retry.status_code == 201, retry.content[:500]
    _assert_one_effect("investment", investor, investment_id=retry.json()["id"])
    assert waited < 2, waited


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_burst_of_investments_losing_a_backend_answers_each_caller_and_doubles_nothing(
    monkeypatch, make_user, onboarding, open_loan, when
):
    # Five investors at once: their orders may be combined in one batch, settled on the
    # connection of whichever request leads it, and that backend is terminated around the
    # batch's commit. No caller gets a 500; each retry with the same key right after gets
    # that investor's one investment.
    investors = [fund(onboarding.investor(make_user("investor")), "5000.00") for _ in range(5)]
    killer = BackendKiller(monkeypatch, "investment", when, touch=True)
    responses = race(
        *(_posting("investment", user, open_loan, f"burst-{user.pk}") for user in investors)
    ).results()
    firsts = {user.pk: response for user, response in zip(investors, responses, strict=True)}
    assert killer.killed == 1
    assert {r.status_code for r in firsts.values()} <= {201, 503}, [
        (r.status_code, r.content[:200]) for r in firsts.values()
    ]
    for user in investors:
        retry = _post_in_thread("investment", user, open_loan, key=f"burst-{user.pk}")
        assert retry.status_code == 201, retry.content[:500]
        mine = Investment.objects.get(investor=user)
        assert retry.json()["id"] == mine.pk and mine.status == Investment.Status.RESERVED
        if firsts[user.pk].status_code == 201:
            assert firsts[user.pk].json()["id"] == mine.pk
        assert str(reserved(user)) == "500.00"
    assert Investment.objects.count() == len(investors)
    assert set(IdempotencyRecord.objects.values_list("state", flat=True)) == {"done"}
    open_loan.refresh_from_db()
    assert str(open_loan.funded_amount) == "2500.00"
    assert_ledger_holds()
