"""Timers for actors: after a delay, a message is told to an actor (one thread per process).

Sans-IO cores ask for timers as effects (`SetTimer(key, delay)`); the actor around the core turns
them into `schedule(...)` calls here and gets the message back in its inbox, so time enters the
core only as an input, like everything else.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Any

_COMPACT_MIN = 64  # cancelled entries tolerated in the heap before it is rebuilt


class TimerHandle:
    __slots__ = ("_owner", "cancelled", "due")

    def __init__(self, due: float, owner: Timers | None = None) -> None:
        self.due = due
        self.cancelled = False
        self._owner = owner  # while the timer is in its owner's heap

    def cancel(self) -> None:
        owner = self._owner
        if owner is not None:
            owner._cancelled(self)  # noqa: SLF001
        else:
            self.cancelled = True


class Timers:
    """A heap of pending tells served by one daemon thread, started on first use."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, TimerHandle, Any, Any]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dead = 0  # cancelled entries still in the heap

    def schedule(self, delay: float, target: Any, message: Any) -> TimerHandle:
        """Tell `message` to `target` (a Ref or pykka ActorRef) after `delay` seconds."""
        handle = TimerHandle(self._clock() + max(delay, 0.0), self)
        with self._cond:
            if self._closed:
                handle.cancelled, handle._owner = True, None  # noqa: SLF001
                return handle
            heapq.heappush(self._heap, (handle.due, next(self._order), handle, target, message))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="timers", daemon=True)
                self._thread.start()
            if self._heap[0][2] is handle:
                # Only a new earliest timer changes when the thread must wake: waking it for
                # the others (an op's overdue timer, each op) costs a thread switch per call.
                self._cond.notify()
        return handle

    def _cancelled(self, handle: TimerHandle) -> None:
        """A cancelled timer stays in the heap until due (an LRM op's overdue timer lies 20 s
        out and is cancelled within milliseconds, hundreds a second): the heap is rebuilt
        without them once they are more than half of it."""
        with self._cond:
            if handle.cancelled or handle._owner is not self:  # noqa: SLF001
                handle.cancelled = True
                return
            handle.cancelled = True
            self._dead += 1
            if self._dead > _COMPACT_MIN and 2 * self._dead > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._dead = 0

    def pending(self) -> int:
        """Entries in the heap, cancelled ones not yet dropped included."""
        with self._cond:
            return len(self._heap)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._dead = 0
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - self._clock()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._closed:
                    return
                _, _, handle, target, message = heapq.heappop(self._heap)
                handle._owner = None  # noqa: SLF001
                if handle.cancelled:
                    self._dead -= 1
                    continue
            if not handle.cancelled:
                try:
                    target.tell(message)
                except Exception:  # noqa: BLE001 - a dead actor's timer just lapses
                    pass
