"""The lock guarantee as a pure check over per-node logs: EX is held by one holder at a time.

Input: every node's log of inputs and effects (`actors.ais.sync.harness.LogEntry`: global step,
node, item, output flag), as the test harness or the simulator records them.

A client holds a lock from the step its node tells it "granted" (a `LockResult` reply or a
`LockGrant` callback) until the first of: it asks to unlock it, closes its handle, goes away, is
told `LockLost`, or a majority configuration forms without its node (from then on the node
counts as fenced). Only grants made while the granting node is in a majority configuration
count: a minority partition can always grant what the majority granted, which is what quorum
and fencing exist to stop. A grant told to a connection already gone is no hold (its node drops
it: there is nobody to tell). Two overlapping holds of one resource where either is EX are a
violation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from actors.ais.effects import Callback, ClientGone, ClientRequest, Reply
from actors.ais.evs import ConfigurationChange, NodeId
from actors.ais.lck.messages import (
    Lock,
    LockGrant,
    LockId,
    LockLost,
    LockMode,
    LockQueued,
    LockResult,
    LockStatus,
    ResourceClose,
    Unlock,
)
from actors.ais.sync.harness import LogEntry


@dataclass
class Hold:
    lock_id: LockId
    resource: str
    mode: LockMode
    node: NodeId
    conn: object
    handle: int
    start: int
    end: int | None = None


def lock_holds(logs: Mapping[NodeId, Sequence[LogEntry]], nodes: Collection[NodeId]) -> list[Hold]:
    """Every counted hold, with its start and end steps (end None: still held)."""
    entries = sorted((e for log in logs.values() for e in log), key=lambda e: e.step)
    majority = len(nodes) // 2 + 1
    members: dict[NodeId, tuple[NodeId, ...]] = {}
    asked: dict[tuple[NodeId, object, int], Lock] = {}
    pending: dict[LockId, Lock] = {}
    holds: dict[LockId, Hold] = {}
    gone: set[tuple[NodeId, object]] = set()

    def end(pred: Callable[[Hold], bool], step: int) -> None:
        for hold in holds.values():
            if hold.end is None and pred(hold):
                hold.end = step

    for e in entries:
        item = e.item
        if isinstance(item, ConfigurationChange) and item.kind == "regular":
            members[e.node] = item.members
            if len(item.members) >= majority:
                end(lambda h, m=item.members: h.node not in m, e.step)
        elif isinstance(item, ClientRequest) and not e.output:
            if isinstance(item.op, Lock):
                asked[(e.node, item.conn, item.request_id)] = item.op
            elif isinstance(item.op, Unlock):
                end(
                    lambda h, i=item, n=e.node: (
                        (n, i.conn, i.op.lock_id) == (h.node, h.conn, h.lock_id)
                    ),
                    e.step,
                )
            elif isinstance(item.op, ResourceClose):
                end(
                    lambda h, i=item, n=e.node: (
                        (n, i.conn, i.op.handle) == (h.node, h.conn, h.handle)
                    ),
                    e.step,
                )
        elif isinstance(item, ClientGone):
            gone.add((e.node, item.conn))
            end(lambda h, i=item, n=e.node: (h.node, h.conn) == (n, i.conn), e.step)
        elif (e.node, getattr(item, "conn", None)) in gone:
            continue
        elif isinstance(item, Reply) and e.output:
            request = asked.get((e.node, item.conn, item.request_id))
            if request is None:
                continue
            if isinstance(item.result, LockQueued):
                pending[item.result.lock_id] = request
            elif isinstance(item.result, LockResult) and item.result.status is LockStatus.GRANTED:
                if len(members.get(e.node, ())) >= majority:
                    r = item.result
                    holds[r.lock_id] = Hold(
                        r.lock_id,
                        r.resource,
                        request.mode,
                        e.node,
                        item.conn,
                        request.handle,
                        e.step,
                    )
        elif isinstance(item, Callback) and e.output:
            p = item.payload
            if isinstance(p, LockGrant) and p.status is LockStatus.GRANTED and p.lock_id in pending:
                if len(members.get(e.node, ())) >= majority:
                    request = pending[p.lock_id]
                    holds[p.lock_id] = Hold(
                        p.lock_id,
                        p.resource,
                        request.mode,
                        e.node,
                        item.conn,
                        request.handle,
                        e.step,
                    )
            elif isinstance(p, LockLost):
                end(lambda h, p=p: h.lock_id == p.lock_id, e.step)
    return list(holds.values())


def check_lock_exclusion(
    logs: Mapping[NodeId, Sequence[LogEntry]], nodes: Collection[NodeId]
) -> list[str]:
    """Violations of mutual exclusion (empty when the guarantee held)."""
    holds = lock_holds(logs, nodes)
    problems = []
    for i, a in enumerate(holds):
        for b in holds[i + 1 :]:
            if a.resource != b.resource or LockMode.EX not in (a.mode, b.mode):
                continue
            a_end = a.end if a.end is not None else float("inf")
            b_end = b.end if b.end is not None else float("inf")
            if a.start < b_end and b.start < a_end:
                problems.append(f"{a.resource}: {a} overlaps {b}")
    return problems
