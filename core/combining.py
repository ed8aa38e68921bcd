"""Combining: concurrent callers in one process hand their requests to one of them, which
runs them together as one batch (flat combining, the in-process half of group commit).

A caller submits its request under a key (say, a loan). If nobody is running a batch for
that key, it leads: it takes every request queued under the key, its own included, runs
them through `run_batch` and hands each caller its result. Requests that arrive meanwhile
queue up; when the batch ends the first of them is woken to lead the next batch. So a
burst of N callers costs about N / (callers per batch) batches, not N transactions, while
a lone caller runs at once, in a batch of one. After a batch of many, the next leader first
lets the crowd that batch released queue up again (for at most `gather` seconds, while the
queue still grows), or batches would alternate full and nearly empty.

`run_batch(requests)` returns one result per request, in order; a result that is an
exception is raised in its caller's thread. When `run_batch` itself raises, every caller
of that batch runs its own request again alone, in its own thread, so one request's failure
stays its own.

Each batch runs in the leader's thread, on its database connection: `run_batch` must not
depend on whose request it is running (no thread-locals of the callers).
"""

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

_ALONE = object()  # the batch failed: run your request yourself


class _Slot:
    __slots__ = ("done", "leads", "request", "result")

    def __init__(self, request):
        self.request = request
        self.result: Any = None
        self.done = threading.Event()
        self.leads = False


class Combiner:
    def __init__(
        self,
        run_batch: Callable[[Sequence[Any]], Sequence[Any]],
        *,
        max_batch: int,
        gather: float = 0.002,
    ):
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._gather = gather
        self._mutex = threading.Lock()
        self._queues: dict[Hashable, list[_Slot]] = {}  # a key is here while it has a leader
        self._crowded: set[Hashable] = set()  # keys whose last batch had many requests

    def submit(self, key: Hashable, request):
        """Run `request` in a batch with whatever else is submitted under `key`; return its
        result or raise its exception."""
        slot = _Slot(request)
        with self._mutex:
            queue = self._queues.get(key)
            if queue is None:
                self._queues[key] = []
                slot.leads = True
                crowd = key in self._crowded
                self._crowded.discard(key)
            else:
                queue.append(slot)
        try:
            if not slot.leads:
                slot.done.wait()
                crowd = True  # woken to lead the requests queued behind the last batch
            if slot.leads and crowd:
                self._gather_crowd(key)
        except BaseException:  # interrupted before its batch ran: nobody may be left waiting
            self._abandon(key, slot)
            raise
        if slot.leads:
            self._lead(key, slot)
        if slot.result is _ALONE:
            slot.result = self._run_batch([request])[0]
        if isinstance(slot.result, BaseException):
            raise slot.result
        return slot.result

    def _abandon(self, key: Hashable, slot: _Slot) -> None:
        """A caller leaves before its batch ran: out of the queue, and if it was to lead,
        the lead passes to the next in the queue (or the key is dropped)."""
        successor = None
        with self._mutex:
            queue = self._queues.get(key)
            if not slot.leads:
                if queue is not None and slot in queue:
                    queue.remove(slot)
                return
            slot.leads = False
            if queue:
                successor = queue.pop(0)
                successor.leads = True
            else:
                del self._queues[key]
        if successor is not None:
            successor.done.set()

    def _gather_crowd(self, key: Hashable) -> None:
        deadline = time.monotonic() + self._gather
        queued = -1
        while time.monotonic() < deadline:
            with self._mutex:
                now_queued = len(self._queues[key])
            if now_queued in (queued, self._max_batch - 1):
                return
            queued = now_queued
            time.sleep(self._gather / 8)

    def _lead(self, key: Hashable, own: _Slot) -> None:
        with self._mutex:
            queue = self._queues[key]
            batch = [own, *queue[: self._max_batch - 1]]
            del queue[: self._max_batch - 1]
        try:
            results = list(self._run_batch([slot.request for slot in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch gave {len(results)} results for {len(batch)}")
        except Exception:  # noqa: BLE001 - each caller retries alone and meets its own error
            results = [_ALONE] * len(batch)
        except BaseException as exc:  # noqa: BLE001 - (exit, interrupt) ends every caller
            results = [exc] * len(batch)
        finally:
            with self._mutex:
                queue = self._queues[key]
                if queue:
                    successor = queue.pop(0)
                    successor.leads = True
                else:
                    successor = None
                    del self._queues[key]
                    if len(batch) > 1:
                        if len(self._crowded) > 4096:  # keys nobody came back to
                            self._crowded.clear()
                        self._crowded.add(key)
        for slot, result in zip(batch, results):  # noqa: B905 - lengths checked above
            slot.result = result
            slot.done.set()
        if successor is not None:
            successor.done.set()
