"""Helpers for tests that watch real processes (imported by the agent tests)."""

from __future__ import annotations

import os
import time

from actors.runtime.procfs import pid_alive as alive  # noqa: F401 - for the agent tests


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
