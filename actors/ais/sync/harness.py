"""A tiny deterministic cluster for testing the replicated service cores without totem.

It stands in for the ordering layer: every node in a partition receives what the members of that
partition multicast in one total order, configuration changes are scripted (`partition`, `merge`,
`crash`), and a virtual clock fires the cores' timers. Every payload is pickled on its way to each
receiver, as on the wire, so a core can never share live state with another node.

Each node's inputs and effects are logged with a global step number; the service invariant
checkers (`actors.ais.*.checker`) are pure functions over those logs, so the totem simulator can
feed them its own logs the same way.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from actors.ais.effects import (
    Callback,
    CancelTimer,
    ClientGone,
    ClientRequest,
    ConnId,
    Effect,
    Input,
    Multicast,
    Reply,
    SetTimer,
    TimerFired,
)
from actors.ais.evs import ConfigurationChange, Delivery, NodeId, RingId


class TimedCore(Protocol):
    def handle(self, event: Input, now: float = 0.0) -> list[Effect]: ...


@dataclass(frozen=True)
class LogEntry:
    """One input a node took, or one effect it produced, at global `step` and clock `time`."""

    step: int
    time: float
    node: NodeId
    item: object
    output: bool


@dataclass
class _Ring:
    ring_id: RingId
    members: tuple[NodeId, ...]
    pending: list[tuple[NodeId, object]] = field(default_factory=list)
    seq: int = 0


class Cluster:
    """Nodes running one kind of core each, partitioned into rings; see the module docstring."""

    def __init__(self, factory: Callable[[NodeId], TimedCore], nodes: Iterable[NodeId]) -> None:
        self.factory = factory
        self.cores: dict[NodeId, TimedCore] = {}
        self.rings: list[_Ring] = []
        self.now = 0.0
        self.step = 0
        self.ring_seq = 0
        self.timers: dict[tuple[NodeId, Hashable], float] = {}
        self.log: dict[NodeId, list[LogEntry]] = {}
        self.replies: dict[tuple[NodeId, ConnId, int], object] = {}
        self.callbacks: dict[tuple[NodeId, ConnId], list[object]] = {}
        self._request_ids = 0
        nodes = tuple(sorted(nodes))
        for node in nodes:
            self._boot(node)
        self._form([nodes], previous={})

    # -- scripting ---------------------------------------------------------------------------

    def request(self, node: NodeId, conn: ConnId, body: object, flush: bool = True) -> int:
        """A client call on `node`; returns its request id (see `reply`)."""
        self._request_ids += 1
        self._feed(node, ClientRequest(conn, self._request_ids, body))
        if flush:
            self.flush()
        return self._request_ids

    def call(self, node: NodeId, conn: ConnId, body: object) -> object:
        """A request whose reply must come before the cluster is quiet; returns that reply."""
        rid = self.request(node, conn, body)
        return self.replies[(node, conn, rid)]

    def reply(self, node: NodeId, conn: ConnId, request_id: int) -> object:
        """The reply to a request, or KeyError while it has none."""
        return self.replies[(node, conn, request_id)]

    def has_reply(self, node: NodeId, conn: ConnId, request_id: int) -> bool:
        return (node, conn, request_id) in self.replies

    def take_callbacks(self, node: NodeId, conn: ConnId) -> list[object]:
        """The callbacks a connection received since the last call."""
        return self.callbacks.pop((node, conn), [])

    def close(self, node: NodeId, conn: ConnId) -> None:
        """The client process behind `conn` died or finalized."""
        self._feed(node, ClientGone(conn))
        self.flush()

    def flush(self) -> None:
        """Deliver every pending multicast, in each ring's total order, until all is quiet."""
        progress = True
        while progress:
            progress = False
            for ring in self.rings:
                while ring.pending:
                    sender, payload = ring.pending.pop(0)
                    ring.seq += 1
                    for member in ring.members:
                        self._feed(member, Delivery(ring.ring_id, sender, ring.seq, _wire(payload)))
                    progress = True

    def partition(
        self, *groups: Iterable[NodeId], deliver_pending: bool = True, flush: bool = True
    ) -> None:
        """Re-form the rings as `groups` (every live node in exactly one). Messages not yet
        delivered in an old ring are delivered to its survivors in the transitional
        configuration (or lost with `deliver_pending=False`, as if never sent). With
        `flush=False` what the new configuration causes stays pending (to interrupt a sync)."""
        new = [tuple(sorted(g)) for g in groups]
        live = sorted(n for g in new for n in g)
        if live != sorted(self.cores):
            raise ValueError(f"partition must cover the live nodes {sorted(self.cores)}: {new}")
        previous = {n: ring for ring in self.rings for n in ring.members}
        carried = [] if deliver_pending else [m for ring in self.rings for m in ring.pending]
        for ring in self.rings:
            for group in new:
                survivors = tuple(n for n in ring.members if n in group)
                if not survivors:
                    continue
                left = tuple(n for n in ring.members if n not in group)
                change = ConfigurationChange("transitional", ring.ring_id, survivors, (), left)
                for node in survivors:
                    self._feed(node, change)
                if deliver_pending:
                    seq = ring.seq
                    for sender, payload in ring.pending:
                        seq += 1
                        for node in survivors:
                            delivery = Delivery(ring.ring_id, sender, seq, _wire(payload))
                            self._feed(node, delivery)
        self._form(new, previous, flush, carried)

    def merge(self, flush: bool = True) -> None:
        """Heal every partition into one ring."""
        self.partition(sorted(self.cores), flush=flush)

    def crash(self, node: NodeId) -> None:
        """Stop `node` (its state is gone) and re-form its ring without it."""
        groups = [[n for n in ring.members if n != node] for ring in self.rings]
        del self.cores[node]
        self.timers = {k: v for k, v in self.timers.items() if k[0] != node}
        for ring in self.rings:
            if node in ring.members:
                ring.members = tuple(n for n in ring.members if n != node)
                ring.pending = [(s, p) for s, p in ring.pending if s != node]
        self.partition(*[g for g in groups if g])

    def restart(self, node: NodeId) -> None:
        """Start `node` again with empty state, alone in its own ring (merge it in afterwards)."""
        self._boot(node)
        groups = [list(ring.members) for ring in self.rings] + [[node]]
        self.rings.append(_Ring(RingId(self.ring_seq, node), ()))
        self.partition(*groups)

    def advance(self, seconds: float) -> None:
        """Move the clock on, firing due timers in time order and delivering what they cause."""
        target = self.now + seconds
        while True:
            due = [(t, n, k) for (n, k), t in self.timers.items() if t <= target]
            if not due:
                break
            t, node, name = min(due, key=lambda d: (d[0], d[1], repr(d[2])))
            del self.timers[(node, name)]
            self.now = max(self.now, t)
            self._feed(node, TimerFired(name))
            self.flush()
        self.now = target

    # -- internals ---------------------------------------------------------------------------

    def _boot(self, node: NodeId) -> None:
        self.cores[node] = self.factory(node)
        self.log.setdefault(node, [])

    def _form(
        self,
        groups: list[tuple[NodeId, ...]],
        previous: dict[NodeId, _Ring],
        flush: bool = True,
        carried: list[tuple[NodeId, object]] | None = None,
    ) -> None:
        self.ring_seq += 1
        self.rings = []
        for group in groups:
            ring = _Ring(RingId(self.ring_seq, min(group)), group)
            ring.pending = [(s, p) for s, p in carried or () if s in group]
            self.rings.append(ring)
            for node in group:
                before = previous[node].members if node in previous else ()
                joined = tuple(n for n in group if n not in before)
                left = tuple(n for n in before if n not in group)
                self._feed(node, ConfigurationChange("regular", ring.ring_id, group, joined, left))
        if flush:
            self.flush()

    def _feed(self, node: NodeId, event: Input) -> None:
        core = self.cores[node]
        self.step += 1
        self.log[node].append(LogEntry(self.step, self.now, node, event, False))
        for effect in core.handle(event, self.now):
            self.step += 1
            self.log[node].append(LogEntry(self.step, self.now, node, effect, True))
            self._perform(node, effect)

    def _perform(self, node: NodeId, effect: Effect) -> None:
        if isinstance(effect, Multicast):
            ring = next(r for r in self.rings if node in r.members)
            ring.pending.append((node, effect.payload))
        elif isinstance(effect, Reply):
            self.replies[(node, effect.conn, effect.request_id)] = effect.result
        elif isinstance(effect, Callback):
            self.callbacks.setdefault((node, effect.conn), []).append(effect.payload)
        elif isinstance(effect, SetTimer):
            self.timers[(node, effect.key)] = self.now + effect.delay
        elif isinstance(effect, CancelTimer):
            self.timers.pop((node, effect.key), None)


def _wire(payload: object) -> object:
    """What a receiver gets: its own copy, as if unpickled from the network."""
    return pickle.loads(pickle.dumps(payload))
