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
