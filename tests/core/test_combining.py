"""The combiner hands concurrent requests under one key to one leader as a batch: real
threads, no database."""

import threading
import time
from functools import partial

import pytest

from core.combining import Combiner
from tests.concurrency import race


class Recorder:
    """A run_batch that records its batches and answers each request doubled; requests
    that are exceptions are answered with themselves (a refusal)."""

    def __init__(self, delay=0.0, fail_batches_over=None):
        self.batches = []
        self.threads = set()
        self.delay = delay
        self.fail_batches_over = fail_batches_over
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()

    def __call__(self, requests):
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            self.batches.append(list(requests))
            self.threads.add(threading.get_ident())
        try:
            time.sleep(self.delay)
            if self.fail_batches_over is not None and len(requests) > self.fail_batches_over:
                raise RuntimeError("the batch failed")
            return [r if isinstance(r, Exception) else r * 2 for r in requests]
        finally:
            with self._lock:
                self.running -= 1


def _rush(combiner, requests, *, key=lambda r: "loan", clients=16):
    """Submit the requests from `clients` threads released together; each request's
    answer, or the exception it met."""

    def client(chunk):
        out = []
        for request in chunk:
            try:
                out.append(combiner.submit(key(request), request))
            except Exception as exc:  # noqa: BLE001 - the outcome is the exception
                out.append(exc)
        return out

    chunks = [requests[i::clients] for i in range(clients)]
    answers = race(*(partial(client, chunk) for chunk in chunks)).results()
    return {
        r: out
        for chunk, outs in zip(chunks, answers, strict=True)
        for r, out in zip(chunk, outs, strict=True)
    }


def test_a_lone_request_runs_at_once_in_a_batch_of_one():
    run = Recorder()
    assert Combiner(run, max_batch=8).submit("loan", 21) == 42
    assert run.batches == [[21]]


def test_concurrent_requests_are_combined_and_each_gets_its_own_answer():
    run = Recorder(delay=0.005)
    results = _rush(Combiner(run, max_batch=64), list(range(400)))
    assert results == {r: r * 2 for r in range(400)}
    assert sorted(r for batch in run.batches for r in batch) == list(range(400))
    assert len(run.batches) < 400 / 4, len(run.batches)  # combined, not one by one
    assert run.most_running == 1  # one batch at a time per key


def test_a_batch_never_exceeds_max_batch():
    run = Recorder(delay=0.002)
    _rush(Combiner(run, max_batch=5), list(range(200)))
    assert max(len(b) for b in run.batches) <= 5


def test_different_keys_run_their_batches_side_by_side():
    run = Recorder(delay=0.01)
    results = _rush(Combiner(run, max_batch=64), list(range(64)), key=lambda r: r % 2)
    assert results == {r: r * 2 for r in range(64)}
    assert all(len({r % 2 for r in batch}) == 1 for batch in run.batches)
    assert run.most_running == 2


def test_an_exception_answer_is_raised_in_its_own_caller_only():
    run = Recorder(delay=0.002)
    refusal = ValueError("refused")
    requests = [*range(50), refusal]
    results = _rush(Combiner(run, max_batch=64), requests)
    assert results[refusal] is refusal
    assert all(results[r] == r * 2 for r in range(50))


def test_a_failing_batch_is_retried_one_request_at_a_time_by_each_caller():
    """A batch that raises loses nothing: every caller runs its own request alone, in its
    own thread, and meets its own outcome."""
    run = Recorder(delay=0.002, fail_batches_over=1)
    results = _rush(Combiner(run, max_batch=64), list(range(100)))
    assert results == {r: r * 2 for r in range(100)}
    assert any(len(b) > 1 for b in run.batches)  # there were failed batches to recover
    assert len(run.threads) > 1  # the retries ran in the callers' own threads


def test_a_request_failing_alone_raises_its_error_in_its_caller():
    def run(requests):
        if len(requests) > 1 or requests[0] == 13:
            raise RuntimeError(f"cannot run {requests}")
        return [r * 2 for r in requests]

    results = _rush(Combiner(run, max_batch=64), list(range(40)), clients=8)
    assert isinstance(results[13], RuntimeError)
    assert all(results[r] == r * 2 for r in range(40) if r != 13)


def test_a_wrong_number_of_answers_fails_the_batch_instead_of_hanging_callers():
    sizes = []

    def run(requests):
        sizes.append(len(requests))
        time.sleep(0.002)
        return [r * 2 for r in requests][:1]

    results = _rush(Combiner(run, max_batch=64), list(range(40)), clients=8)
    assert results == {r: r * 2 for r in range(40)}
    assert max(sizes) > 1


def test_the_key_is_forgotten_once_idle():
    combiner = Combiner(Recorder(delay=0.001), max_batch=8)
    _rush(combiner, list(range(50)))
    assert combiner._queues == {}


@pytest.mark.parametrize("clients", [2, 32])
def test_batches_after_a_crowd_are_full_not_alternating(clients):
    """The crowd a batch releases is let queue up again before the next batch starts, so
    a steady crowd of N callers runs in batches of about N."""
    run = Recorder(delay=0.003)
    _rush(Combiner(run, max_batch=64), list(range(clients * 20)), clients=clients)
    sizes = [len(b) for b in run.batches]
    assert sum(sizes) / len(sizes) > clients * 0.5, sizes


def test_a_leader_interrupted_before_its_batch_hands_the_lead_on(monkeypatch):
    """A caller that leaves while waiting to lead (an interrupt, a killed thread) passes
    the lead on, so the requests queued behind it still run."""
    run = Recorder(delay=0.003)
    combiner = Combiner(run, max_batch=64)
    real_gather = combiner._gather_crowd
    interrupted = []

    def gather_interrupted_once(key):
        if not interrupted:
            interrupted.append(threading.get_ident())
            raise KeyboardInterrupt
        return real_gather(key)

    monkeypatch.setattr(combiner, "_gather_crowd", gather_interrupted_once)
    results = {}

    def client(chunk):
        for request in chunk:
            try:
                results[request] = combiner.submit("loan", request)
            except KeyboardInterrupt:
                results[request] = "interrupted"

    # A caller left waiting fails the race once its 10 seconds are up.
    race(*(partial(client, range(t, 160, 16)) for t in range(16)), timeout=10).results()
    assert list(results.values()).count("interrupted") == 1
    assert all(v == r * 2 for r, v in results.items() if v != "interrupted")
    assert len(results) == 160 and combiner._queues == {}
