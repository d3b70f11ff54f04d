"""What no authenticated Python messaging can skip, for the benchmarks' "floor" figures.

A floor is the reference plus only what the issue itself requires of every message crossing a
process boundary: pickle, and HMAC-SHA256 computed by the sender and checked before unpickling
by the receiver. No envelope, no replay window, no actor, no future. Measured in the same run
as ours and the reference, it shows how much of our gap to the reference is the runtime and how
much any implementation built to those rules would pay on this machine.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import pickle
from multiprocessing.process import BaseProcess

FLOOR_KEY = hashlib.sha256(b"ringleader-benchmark-floor").digest()
_MAC = 32


def sealed(message: object, key: bytes = FLOOR_KEY) -> bytes:
    """`message` pickled and signed: what a sender must do."""
    body = pickle.dumps(message, protocol=5)
    return body + hmac.digest(key, body, hashlib.sha256)


def opened(frame: bytes, key: bytes = FLOOR_KEY) -> object:
    """The MAC checked, then the body unpickled: what a receiver must do."""
    body, mac = frame[:-_MAC], frame[-_MAC:]
    if not hmac.compare_digest(mac, hmac.digest(key, body, hashlib.sha256)):
        raise ValueError("bad MAC")
    return pickle.loads(body)


def start_helper(target, *args) -> tuple[BaseProcess, object]:
    """Run `target(pipe, *args)` in a spawned daemon process; return once it has sent its first
    "ready" on the pipe (the parent's end is returned for later signals)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(child, *args), daemon=True)
    proc.start()
    parent.recv()
    return proc, parent
