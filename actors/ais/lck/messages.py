"""What LCK clients ask (request bodies), what they get back, and the callbacks they receive.

Handles and lock ids are chosen by the client's node when the request is made, so that every
replica can record them when the request is applied; a lock id is `(node, number)`, unique
cluster-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from actors.ais.errors import AisError
from actors.ais.evs import NodeId

LockId = tuple[NodeId, int]


class LockMode(IntEnum):
    """SaLckLockModeT: protected read (shared) and exclusive."""

    PR = 1
    EX = 2


class LockStatus(IntEnum):
    """SaLckLockStatusT, the outcome of a lock request that did not fail."""

    GRANTED = 1
    DEADLOCK = 2
    NOT_QUEUED = 3
    ORPHANED = 4


# ---- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceOpen:
    """saLckResourceOpen: reply `ResourceOpened(handle)`; NOT_EXIST unless `create`."""

    name: str
    create: bool = False


@dataclass(frozen=True)
class ResourceClose:
    """saLckResourceClose: cancels this handle's pending requests and gives up its locks
    (orphan-flagged ones stay as orphans)."""

    handle: int


@dataclass(frozen=True)
class Lock:
    """saLckResourceLock (`invocation` None: the reply waits for the outcome) or
    saLckResourceLockAsync (reply at once, outcome in a `LockGrant` callback).

    `timeout` bounds the wait in seconds (None: wait forever); `waiter_signal` is passed to the
    holders' waiter callbacks while this request waits."""

    handle: int
    mode: LockMode
    no_queue: bool = False
    orphan: bool = False
    waiter_signal: int = 0
    timeout: float | None = None
    invocation: int | None = None


@dataclass(frozen=True)
class Unlock:
    """saLckResourceUnlock / saLckResourceUnlockAsync (`invocation` set: `UnlockDone` callback).
    Unlocking a request that still waits cancels it (its caller gets INTERRUPT)."""

    lock_id: LockId
    invocation: int | None = None


@dataclass(frozen=True)
class Purge:
    """saLckLockPurge: drop the orphan locks of the handle's resource."""

    handle: int


# ---- results and callbacks -------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceOpened:
    handle: int


@dataclass(frozen=True)
class LockResult:
    """Reply of a synchronous lock request (the lock id is valid only when GRANTED)."""

    lock_id: LockId
    resource: str
    status: LockStatus


@dataclass(frozen=True)
class LockQueued:
    """Reply of an asynchronous lock request: accepted; the outcome follows as `LockGrant`."""

    lock_id: LockId


@dataclass(frozen=True)
class LockGrant:
    """SaLckLockGrantCallbackT: the outcome of an asynchronous lock request."""

    invocation: int
    lock_id: LockId
    resource: str
    status: LockStatus | None
    error: AisError | None = None


@dataclass(frozen=True)
class LockWaiter:
    """SaLckLockWaiterCallbackT, to a holder whose lock `lock_id` blocks another request."""

    waiter_signal: int
    lock_id: LockId
    mode_held: LockMode
    mode_requested: LockMode


@dataclass(frozen=True)
class UnlockDone:
    """SaLckResourceUnlockCallbackT: outcome of an asynchronous unlock."""

    invocation: int
    error: AisError | None = None


@dataclass(frozen=True)
class LockLost:
    """Not in the AIS: after a partition heals, two sides may each have granted conflicting
    locks; the merge keeps one and this tells the other holder its lock is gone."""

    lock_id: LockId
    resource: str
