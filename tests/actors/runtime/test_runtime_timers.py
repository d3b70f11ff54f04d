"""Actor timers: messages arrive in due order, cancelled ones never."""

from __future__ import annotations

import threading

from actors.runtime.timers import Timers


class Recorder:
    def __init__(self, expected: int) -> None:
        self.got: list[object] = []
        self.done = threading.Event()
        self.expected = expected

    def tell(self, message: object) -> None:
        self.got.append(message)
        if len(self.got) >= self.expected:
            self.done.set()


def test_timers_fire_in_due_order_and_cancelled_ones_do_not():
    timers = Timers()
    rec = Recorder(expected=3)
    timers.schedule(0.05, rec, "second")
    cancelled = timers.schedule(0.01, rec, "never")
    timers.schedule(0.0, rec, "first")
    timers.schedule(0.1, rec, "third")
    cancelled.cancel()
    assert rec.done.wait(30)
    assert rec.got == ["first", "second", "third"]
    timers.close()


def test_closed_timers_schedule_nothing():
    timers = Timers()
    timers.close()
    rec = Recorder(expected=1)
    assert timers.schedule(0.0, rec, "x").cancelled
    assert not rec.done.wait(0.2)


def test_an_earlier_timer_wakes_the_thread_waiting_for_a_later_one():
    timers = Timers()
    rec = Recorder(expected=1)
    timers.schedule(3600, rec, "an hour later")  # the thread now sleeps for an hour
    timers.schedule(3000, rec, "not earliest")  # needs no wake-up
    timers.schedule(0.01, rec, "soon")
    assert rec.done.wait(30)
    assert rec.got == ["soon"]
    timers.close()


def test_cancelled_timers_do_not_pile_up():
    """An LRM schedules an overdue timer per operation and cancels it moments later: at hundreds
    of operations a second the heap must not keep them all until they fall due."""
    timers = Timers()
    rec = Recorder(expected=2)
    keep = [timers.schedule(0.2, rec, "kept"), timers.schedule(0.3, rec, "kept too")]
    for _ in range(10000):
        timers.schedule(60.0, rec, "never").cancel()
    assert timers.pending() < 200
    assert not any(h.cancelled for h in keep)
    assert rec.done.wait(30)
    assert rec.got == ["kept", "kept too"]
    late = timers.schedule(0.0, rec, "fired")
    rec.expected = 3
    rec.done.clear()
    assert rec.done.wait(30)
    late.cancel()  # after it fired: harmless
    assert late.cancelled and timers.pending() < 200
    timers.close()
