"""Helpers shared by the runtime tests (a uniquely named module: no package, no clashes)."""

from __future__ import annotations

import itertools
import os
import socket
import time
import uuid

AUTHKEY = os.urandom(64)
_names = itertools.count(1)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.02):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout:g} s: {predicate}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}x{uuid.uuid4().hex[:6]}"
