"""saLck for Python: cluster-wide locks on named resources, PR (shared) and EX (exclusive).

    with LckClient(config="node1.toml") as lck:
        r = lck.resource_open("leader", create=True)
        got = lck.lock(r, LockMode.EX, timeout=5.0)     # waits; LockResult
        if got.status is LockStatus.GRANTED:
            ...                                          # the one holder cluster-wide
            lck.unlock(got.lock_id)

A lock request that would wait in a cycle of waiters is answered DEADLOCK. A holder whose
process or node dies loses its locks (ORPHAN-flagged ones stay, until `purge`). Asynchronous
requests (`lock_async`) answer at once; the outcome comes to `grant(LockGrant)` in dispatch,
as do `waiter(LockWaiter)` (someone waits for a lock this connection holds), `unlock_done`
and `lost(LockLost)` (a partition healed and the other side's holder kept the lock).
"""

from __future__ import annotations

from collections.abc import Callable

from actors.ais.client.retrying import RetryingConnection
from actors.ais.lck.messages import (
    Lock,
    LockGrant,
    LockId,
    LockLost,
    LockMode,
    LockResult,
    LockWaiter,
    Purge,
    ResourceClose,
    ResourceOpen,
    Unlock,
    UnlockDone,
)


class LckClient(RetryingConnection):
    """saLckInitialize with its four callbacks, called from `dispatch`."""

    def __init__(
        self,
        grant: Callable[[LockGrant], None] | None = None,
        waiter: Callable[[LockWaiter], None] | None = None,
        unlock_done: Callable[[UnlockDone], None] | None = None,
        lost: Callable[[LockLost], None] | None = None,
        **where,
    ) -> None:
        super().__init__("lck", **where)
        self._routes = {
            LockGrant: grant,
            LockWaiter: waiter,
            UnlockDone: unlock_done,
            LockLost: lost,
        }
        self.handler = self._route

    def _route(self, payload: object, cause: tuple) -> None:
        fn = self._routes.get(type(payload))
        if fn is not None:
            fn(payload)

    def resource_open(self, name: str, create: bool = False) -> int:
        """saLckResourceOpen: NOT_EXIST without `create` for an unknown resource."""
        return self.call(ResourceOpen(name, create)).handle

    def resource_close(self, handle: int) -> None:
        """Cancels this handle's waiting requests and gives up its (non-orphan) locks."""
        self.call(ResourceClose(handle))

    def lock(
        self,
        handle: int,
        mode: LockMode = LockMode.EX,
        *,
        timeout: float | None = None,
        no_queue: bool = False,
        orphan: bool = False,
        waiter_signal: int = 0,
    ) -> LockResult:
        """saLckResourceLock: waits for the outcome (status GRANTED, DEADLOCK, NOT_QUEUED or
        ORPHANED); TIMEOUT after `timeout` seconds (None: wait until granted)."""
        op = Lock(handle, mode, no_queue, orphan, waiter_signal, timeout)
        return self.waiting_call(op, timeout)

    def lock_async(
        self,
        handle: int,
        invocation: int,
        mode: LockMode = LockMode.EX,
        *,
        timeout: float | None = None,
        no_queue: bool = False,
        orphan: bool = False,
        waiter_signal: int = 0,
    ) -> LockId:
        """saLckResourceLockAsync: returns the lock id at once; the outcome comes as a
        `LockGrant` with `invocation`."""
        op = Lock(handle, mode, no_queue, orphan, waiter_signal, timeout, invocation)
        return self.call(op).lock_id

    def unlock(self, lock_id: LockId) -> None:
        """Releases a lock, or cancels a waiting request (its caller gets INTERRUPT)."""
        self.call(Unlock(lock_id))

    def unlock_async(self, lock_id: LockId, invocation: int) -> None:
        """The outcome comes as `UnlockDone(invocation, error)`."""
        self.call(Unlock(lock_id, invocation))

    def purge(self, handle: int) -> None:
        """saLckLockPurge: drop the orphan locks of the handle's resource."""
        self.call(Purge(handle))
