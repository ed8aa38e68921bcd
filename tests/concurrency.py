"""The one runner of the concurrency tests: real threads released together by a barrier,
each closing its own database connections, joined before a deadline; a thread still
running by then fails the test instead of hanging it."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import connections

JOIN_SECONDS = 60.0


@dataclass
class Outcome:
    """What one thread's action came to: its return value, or what it raised."""

    result: object = None
    error: BaseException | None = None

    @property
    def code(self) -> str:
        """ "ok", a domain refusal's code, or the repr of any other exception."""
        if self.error is None:
            return "ok"
        return getattr(self.error, "code", None) or repr(self.error)


class Outcomes(list[Outcome]):
    """The outcomes of a race, one per action, in the order the actions were given."""

    def codes(self) -> list[str]:
        return [outcome.code for outcome in self]

    def results(self) -> list:
        """Each action's return value; an action that raised fails the test with its own
        exception (the first one, in the actions' order)."""
        for outcome in self:
            if outcome.error is not None:
                raise outcome.error
        return [outcome.result for outcome in self]


def attempt(action: Callable[[], object]) -> Outcome:
    """Run the action in this thread: its outcome, whether it returned or raised."""
    try:
        return Outcome(result=action())
    except BaseException as exc:  # noqa: BLE001 - the outcome, asserted by the test
        return Outcome(error=exc)


@contextmanager
def started(
    *actions: Callable[[], object],
    timeout: float = JOIN_SECONDS,
    stagger: tuple[float, ...] = (),
    prepare: Callable[[], object] | None = None,
) -> Iterator[Outcomes]:
    """Run each action in a thread of its own while the block runs, and yield their
    outcomes (filled in once the block has ended). Each thread runs `prepare` first (a
    session setting, say), then waits on one barrier with the others, sleeps its `stagger`
    seconds if it has one (so a race can be run in a chosen order), runs its action, and
    closes its database connections. Leaving the block joins every thread within `timeout`
    seconds of their start; one still running fails the test."""
    barrier = threading.Barrier(len(actions))
    outcomes = Outcomes(Outcome() for _ in actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            try:
                if prepare is not None:
                    prepare()
                barrier.wait(timeout)
            except BaseException as exc:  # noqa: BLE001 - the outcome, asserted by the test
                barrier.abort()  # release the others at once instead of at the timeout
                outcomes[index] = Outcome(error=exc)
                return
            if index < len(stagger) and stagger[index]:
                time.sleep(stagger[index])
            outcomes[index] = attempt(action)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, action), daemon=True, name=f"race-{i}")
        for i, action in enumerate(actions)
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    try:
        yield outcomes
    finally:
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [i for i, thread in enumerate(threads) if thread.is_alive()]
        if stuck:
            finished = {i: o.code for i, o in enumerate(outcomes) if i not in stuck}
            pytest.fail(f"threads {stuck} still running after {timeout}s; the others: {finished}")


def race(
    *actions: Callable[[], object],
    timeout: float = JOIN_SECONDS,
    stagger: tuple[float, ...] = (),
    prepare: Callable[[], object] | None = None,
) -> Outcomes:
    """Run the actions at once, each in a thread of its own, and return their outcomes
    once all have finished (see `started`)."""
    with started(*actions, timeout=timeout, stagger=stagger, prepare=prepare) as outcomes:
        pass
    return outcomes
