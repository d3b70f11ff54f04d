"""The lock service core: a replicated lock table, one copy per node (sans-IO).

Entry point: `LckCore(node).handle(event, now) -> list[Effect]` (see
`actors.ais.sync.replica` for the inputs and what the frame does). Request bodies, results and
callbacks are in `actors.ais.lck.messages`.

Rules, applied by every node in the same total order:

- A request is granted at once when it is compatible with every granted lock (PR with PR) and
  nobody waits before it; otherwise it waits in FIFO order, and the holders of the locks that
  block it get a waiter callback. With NO_QUEUE it is not queued: ORPHANED when an orphan lock
  blocks it, NOT_QUEUED otherwise.
- DEADLOCK (OpenAIS had no detection): a request that would wait is refused when its owner is
  reachable from the owners of the locks and earlier requests that block it in the waits-for
  graph (client A waits for client B when a request of A waits behind a conflicting lock or
  earlier conflicting request of B). Requesting a lock that one's own lock blocks is a deadlock.
- A timed-out request is cancelled (TIMEOUT); the timer runs on the requester's node, which
  multicasts the cancellation.
- A client that goes (process death, finalize, close of the handle, or its node leaving the
  configuration) loses its waiting requests and its granted locks, except the ORPHAN-flagged
  granted ones, which stay held with no owner until `Purge`.

Merge after a membership change (deterministic, computed identically by every member):

1. Handles and locks of a client are taken from the snapshot of the client's own node, which is
   the authority on what its clients hold; clients of nodes that are no longer members are gone
   (as above). Orphan locks are taken from any snapshot (a purge made in one partition only is
   undone: safe, the lock stays held).
2. Per resource, granted locks are ranked by the side they come from (the configuration their
   snapshot's node was last synced in: the larger side first, then the one with the lowest node
   id), then by grant stamp (ring, then position in its order; then lock id), and kept greedily
   while compatible with those kept. So the majority side's view of who holds what wins, as if
   the minority had been fenced. A lock that loses is revoked and its holder told `LockLost`.
3. Waiting requests are ordered by request stamp, then the usual grant pass runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from actors.ais.effects import Callback, Effect
from actors.ais.errors import (
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_INTERRUPT,
    SA_AIS_ERR_INVALID_PARAM,
    SA_AIS_ERR_NOT_EXIST,
    SA_AIS_ERR_TIMEOUT,
    AisError,
)
from actors.ais.evs import NodeId
from actors.ais.lck.messages import (
    Lock,
    LockGrant,
    LockId,
    LockLost,
    LockMode,
    LockQueued,
    LockResult,
    LockStatus,
    LockWaiter,
    Purge,
    ResourceClose,
    ResourceOpen,
    ResourceOpened,
    Unlock,
    UnlockDone,
)
from actors.ais.sync.replica import Client, Operation, ReplicatedService, Snapshot, Stamp


@dataclass(frozen=True)
class _Open:
    """Operation: ResourceOpen with the handle the client's node chose."""

    handle: int
    name: str
    create: bool


@dataclass(frozen=True)
class _Lock:
    """Operation: Lock with the lock id and deadline the client's node chose."""

    lock_id: LockId
    body: Lock
    deadline: float | None


@dataclass(frozen=True)
class _Cancel:
    """Operation: the wait of `lock_id` timed out on its node."""

    lock_id: LockId


@dataclass
class LockRecord:
    """A granted lock or a waiting request; `owner` None means an orphan lock."""

    lock_id: LockId
    resource: str
    owner: Client | None
    handle: int
    mode: LockMode
    orphan: bool
    waiter_signal: int
    invocation: int | None
    request_id: int | None
    stamp: Stamp
    deadline: float | None = None


@dataclass
class Resource:
    name: str
    granted: list[LockRecord] = field(default_factory=list)
    waiting: list[LockRecord] = field(default_factory=list)


@dataclass
class LckState:
    resources: dict[str, Resource] = field(default_factory=dict)
    handles: dict[tuple[Client, int], str] = field(default_factory=dict)


def compatible(a: LockMode, b: LockMode) -> bool:
    return a is LockMode.PR and b is LockMode.PR


class LckCore(ReplicatedService):
    service = "lck"

    def __init__(self, node: NodeId) -> None:
        super().__init__(node)
        self.state = LckState()
        self._next_id = 0

    # -- requests ----------------------------------------------------------------------------

    def request(self, client: Client, request_id: int, op: object, now: float) -> list[Effect]:
        if isinstance(op, ResourceOpen):
            return [
                self.multicast(_Open(self._new_id(), op.name, op.create), now, client, request_id)
            ]
        if isinstance(op, Lock):
            if not isinstance(op.mode, LockMode) or (op.timeout is not None and op.timeout < 0):
                return self.reply(client, request_id, AisError(SA_AIS_ERR_INVALID_PARAM, "mode"))
            lock_id = (self.node, self._new_id())
            deadline = None if op.timeout is None else now + op.timeout
            effects: list[Effect] = [
                self.multicast(_Lock(lock_id, op, deadline), now, client, request_id)
            ]
            if op.timeout is not None:
                effects.append(self.set_local_timer(lock_id, op.timeout))
            return effects
        if isinstance(op, ResourceClose | Unlock | Purge):
            return [self.multicast(op, now, client, request_id)]
        return self.reply(client, request_id, AisError(SA_AIS_ERR_INVALID_PARAM, f"{op!r}"))

    def local_timer(self, key: Hashable, now: float) -> list[Effect]:
        assert isinstance(key, tuple)
        return [self.multicast(_Cancel(key), now)]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- replicated operations ---------------------------------------------------------------

    def apply(self, op: Operation, stamp: Stamp, now: float) -> list[Effect]:
        client, rid, body = op.client, op.request_id, op.op
        if isinstance(body, _Open):
            return self._open(client, rid, body)
        if isinstance(body, _Lock):
            return self._lock(client, rid, body, stamp)
        if isinstance(body, _Cancel):
            return self._cancel_wait(body.lock_id, AisError(SA_AIS_ERR_TIMEOUT, "lock wait"), stamp)
        if isinstance(body, Unlock):
            return self._unlock(client, rid, body, stamp)
        if isinstance(body, ResourceClose):
            name = self.state.handles.pop((client, body.handle), None)
            if name is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_BAD_HANDLE, "resource handle"))
            effects = self._drop(lambda r: r.owner == client and r.handle == body.handle, stamp)
            return effects + self.reply(client, rid, None)
        if isinstance(body, Purge):
            name = self.state.handles.get((client, body.handle))
            if name is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_BAD_HANDLE, "resource handle"))
            res = self.state.resources[name]
            res.granted = [r for r in res.granted if r.owner is not None]
            return self._grant_waiters(res, stamp) + self.reply(client, rid, None)
        return []

    def client_lost(self, client: Client, stamp: Stamp, now: float) -> list[Effect]:
        for key in [k for k in self.state.handles if k[0] == client]:
            del self.state.handles[key]
        return self._drop(lambda r: r.owner == client, stamp)

    def _open(self, client: Client | None, rid: int | None, body: _Open) -> list[Effect]:
        assert client is not None
        if body.name not in self.state.resources:
            if not body.create:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.name))
            self.state.resources[body.name] = Resource(body.name)
        self.state.handles[(client, body.handle)] = body.name
        return self.reply(client, rid, ResourceOpened(body.handle))

    def _lock(
        self, client: Client | None, rid: int | None, body: _Lock, stamp: Stamp
    ) -> list[Effect]:
        assert client is not None
        req = body.body
        name = self.state.handles.get((client, req.handle))
        if name is None:
            return self.reply(client, rid, AisError(SA_AIS_ERR_BAD_HANDLE, "resource handle"))
        res = self.state.resources[name]
        rec = LockRecord(
            body.lock_id, name, client, req.handle, req.mode, req.orphan, req.waiter_signal,
            req.invocation, rid, stamp, body.deadline,
        )  # fmt: skip
        effects: list[Effect] = []
        if req.invocation is not None:
            effects += self.reply(client, rid, LockQueued(body.lock_id))
        blockers = [h for h in res.granted if not compatible(h.mode, req.mode)]
        if not blockers and not res.waiting:
            res.granted.append(rec)
            return effects + self._outcome(rec, LockStatus.GRANTED)
        if req.no_queue:
            orphaned = any(h.owner is None for h in blockers)
            return effects + self._outcome(
                rec, LockStatus.ORPHANED if orphaned else LockStatus.NOT_QUEUED
            )
        if client in self._waits_reach(self._blocking_owners(res, rec)):
            return effects + self._outcome(rec, LockStatus.DEADLOCK)
        res.waiting.append(rec)
        for holder in blockers:
            if holder.owner is not None and self.is_local(holder.owner):
                waiter = LockWaiter(req.waiter_signal, holder.lock_id, holder.mode, req.mode)
                effects.append(Callback(holder.owner[1], waiter))
        return effects

    def _unlock(
        self, client: Client | None, rid: int | None, body: Unlock, stamp: Stamp
    ) -> list[Effect]:
        for res in self.state.resources.values():
            for queue in (res.granted, res.waiting):
                for rec in queue:
                    if rec.lock_id == body.lock_id and rec.owner == client:
                        queue.remove(rec)
                        effects = self._finished(client, rid, body.invocation, None)
                        if queue is res.waiting:
                            effects += self._outcome(
                                rec, None, AisError(SA_AIS_ERR_INTERRUPT, "unlocked")
                            )
                        effects += self._grant_waiters(res, stamp)
                        self._collect(res)
                        return effects
        error = AisError(SA_AIS_ERR_NOT_EXIST, f"lock {body.lock_id}")
        return self._finished(client, rid, body.invocation, error)

    def _finished(
        self, client: Client | None, rid: int | None, invocation: int | None, error: AisError | None
    ) -> list[Effect]:
        """Answer an unlock: synchronously, or OK now and the outcome as a callback."""
        if invocation is None:
            return self.reply(client, rid, error)
        effects = self.reply(client, rid, None)
        if client is not None and self.is_local(client):
            effects.append(Callback(client[1], UnlockDone(invocation, error)))
        return effects

    def _cancel_wait(self, lock_id: LockId, error: AisError, stamp: Stamp) -> list[Effect]:
        for res in self.state.resources.values():
            for rec in res.waiting:
                if rec.lock_id == lock_id:
                    res.waiting.remove(rec)
                    return self._outcome(rec, None, error) + self._grant_waiters(res, stamp)
        return []

    def _drop(self, doomed: Callable[[LockRecord], bool], stamp: Stamp) -> list[Effect]:
        """Remove the locks and requests `doomed` selects; ORPHAN-flagged granted ones stay."""
        effects: list[Effect] = []
        for res in list(self.state.resources.values()):
            res.waiting = [r for r in res.waiting if not doomed(r)]
            kept = []
            for rec in res.granted:
                if doomed(rec):
                    if not rec.orphan:
                        continue
                    rec.owner = None
                kept.append(rec)
            res.granted = kept
            effects += self._grant_waiters(res, stamp)
            self._collect(res)
        return effects

    def _collect(self, res: Resource) -> None:
        """A resource nobody has open and nobody holds is gone."""
        if res.granted or res.waiting or res.name in self.state.handles.values():
            return
        del self.state.resources[res.name]

    def _grant_waiters(self, res: Resource, stamp: Stamp) -> list[Effect]:
        effects: list[Effect] = []
        while res.waiting and all(compatible(h.mode, res.waiting[0].mode) for h in res.granted):
            rec = res.waiting.pop(0)
            rec.stamp = stamp
            res.granted.append(rec)
            effects += self._outcome(rec, LockStatus.GRANTED)
        return effects

    def _outcome(
        self, rec: LockRecord, status: LockStatus | None, error: AisError | None = None
    ) -> list[Effect]:
        """Tell a request's client how it ended (only the client's node does)."""
        if rec.owner is None or not self.is_local(rec.owner):
            return []
        effects: list[Effect] = []
        if rec.deadline is not None:
            effects.append(self.cancel_local_timer(rec.lock_id))
        if rec.invocation is None:
            result = error if error is not None else LockResult(rec.lock_id, rec.resource, status)
            return effects + self.reply(rec.owner, rec.request_id, result)
        grant = LockGrant(rec.invocation, rec.lock_id, rec.resource, status, error)
        return effects + [Callback(rec.owner[1], grant)]

    # -- deadlock detection ------------------------------------------------------------------

    def _blocking_owners(self, res: Resource, rec: LockRecord) -> set[Client | None]:
        """Owners of the granted locks and earlier requests that `rec` must wait for."""
        earlier = res.waiting[: res.waiting.index(rec)] if rec in res.waiting else res.waiting
        return {
            other.owner
            for other in res.granted + earlier
            if other is not rec and not compatible(other.mode, rec.mode)
        }

    def _waits_reach(self, start: set[Client | None]) -> set[Client | None]:
        """Every client reachable from `start` in the waits-for graph (start included)."""
        waits: dict[Client, set[Client | None]] = {}
        for res in self.state.resources.values():
            for rec in res.waiting:
                if rec.owner is not None:
                    waits.setdefault(rec.owner, set()).update(self._blocking_owners(res, rec))
        seen, todo = set(start), list(start)
        while todo:
            current = todo.pop()
            if current is None:
                continue  # an orphan lock waits for nobody
            for nxt in waits.get(current, set()) - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    # -- sync --------------------------------------------------------------------------------

    def snapshot(self) -> object:
        return copy.deepcopy(self.state)

    def merge(self, snapshots: dict[NodeId, Snapshot], now: float) -> list[Effect]:
        members = set(self.members)
        state = LckState()
        records: dict[LockId, tuple[LockRecord, bool]] = {}  # lock id -> (record, granted)
        rank: dict[LockId, tuple[int, int]] = {}
        for node, envelope in snapshots.items():
            snap = copy.deepcopy(envelope.state)
            assert isinstance(snap, LckState)
            for (client, handle), name in snap.handles.items():
                if client[0] == node:
                    state.handles[(client, handle)] = name
            for res in snap.resources.values():
                found = [(r, True) for r in res.granted] + [(r, False) for r in res.waiting]
                for rec, granted in found:
                    if rec.owner is not None and rec.owner[0] in members:
                        if rec.owner[0] == node:
                            records[rec.lock_id] = (rec, granted)
                            rank[rec.lock_id] = envelope.rank
                    elif rec.lock_id not in records:
                        records[rec.lock_id] = (rec, granted)
                        rank[rec.lock_id] = envelope.rank
        for name in state.handles.values():
            state.resources.setdefault(name, Resource(name))
        for rec, granted in records.values():
            if rec.owner is not None and rec.owner[0] not in members:
                if not (granted and rec.orphan):
                    continue
                rec.owner = None
            res = state.resources.setdefault(rec.resource, Resource(rec.resource))
            (res.granted if granted else res.waiting).append(rec)
        self.state = state
        effects: list[Effect] = []
        ring = self.sync.ring_id
        assert ring is not None
        stamp = Stamp(ring.seq, ring.rep, 0)
        for name in sorted(state.resources):
            res = state.resources[name]
            res.granted.sort(key=lambda r: (rank[r.lock_id], r.stamp, r.lock_id))
            res.waiting.sort(key=lambda r: (r.stamp, r.lock_id))
            kept: list[LockRecord] = []
            for rec in res.granted:
                if all(compatible(k.mode, rec.mode) for k in kept):
                    kept.append(rec)
                elif rec.owner is not None and self.is_local(rec.owner):
                    effects.append(Callback(rec.owner[1], LockLost(rec.lock_id, rec.resource)))
            res.granted = kept
            effects += self._grant_waiters(res, stamp)
            for rec in res.waiting:
                if rec.deadline is not None and rec.owner is not None and self.is_local(rec.owner):
                    effects.append(self.set_local_timer(rec.lock_id, rec.deadline - now))
            self._collect(res)
        return effects
