"""Waiting on real clusters: a condition polled until it holds, never a fixed sleep."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 90.0, what: str = "condition", every: float = 0.2):
    """`predicate()`'s first true value; an AssertionError from it fails at once (an audit),
    any other exception means "not yet" (a node restarting: ask again)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a node restarting: ask again
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
