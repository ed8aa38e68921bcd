"""The concurrency tests' runner: actions run at once, outcomes come back in order, a thread
still running at the deadline fails the test, and each thread's connection is closed."""

import threading

import pytest
from django.db import connection, connections

from core.errors import DomainError
from tests.concurrency import race, started


class Refused(DomainError):
    code = "refused_for_the_test"


def _refuse():
    raise Refused()


def _break():
    raise ValueError("broken")


def test_outcomes_come_back_in_the_order_of_the_actions():
    outcomes = race(lambda: 1, _refuse, lambda: 3, _break)
    assert outcomes.codes() == ["ok", "refused_for_the_test", "ok", "ValueError('broken')"]
    assert [o.result for o in outcomes] == [1, None, 3, None]
    with pytest.raises(Refused):
        outcomes.results()
    assert race(lambda: 1, lambda: 2).results() == [1, 2]


def test_the_actions_run_at_the_same_time():
    # Each action waits for all the others inside it: run one after another, none would
    # get past this second barrier.
    together = threading.Barrier(8)
    assert race(*[lambda: together.wait(timeout=5)] * 8).codes() == ["ok"] * 8


def test_a_thread_still_running_at_the_deadline_fails_the_test():
    release = threading.Event()
    try:
        with pytest.raises(pytest.fail.Exception, match=r"threads \[1\] still running"):
            race(lambda: "done", lambda: release.wait(10), timeout=0.2)
    finally:
        release.set()


def test_staggered_actions_start_in_the_order_of_their_delays():
    order = []
    race(*(lambda i=i: order.append(i) for i in range(3)), stagger=(0.2, 0.0, 0.1)).results()
    assert order == [1, 2, 0]


def test_a_failing_prepare_releases_the_others_at_once():
    def prepare():
        if threading.current_thread().name == "race-0":
            raise RuntimeError("no session setting")

    outcomes = race(lambda: 1, lambda: 2, timeout=30, prepare=prepare)
    assert outcomes.codes()[0] == "RuntimeError('no session setting')"
    assert outcomes.codes()[1].startswith("BrokenBarrierError")


@pytest.mark.postgres  # SQLite's in-memory test database ignores close()
@pytest.mark.django_db(transaction=True)
def test_each_thread_closes_its_database_connection():
    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return connections["default"]  # this thread's own

    with started(query, query) as outcomes:
        pass
    used = outcomes.results()
    assert used[0] is not used[1] and connections["default"] not in used
    assert [c.connection for c in used] == [None, None]
