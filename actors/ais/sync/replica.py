"""The frame every AIS application service core (CKPT, EVT, MSG, LCK) is built on.

A service core is a replicated state machine on each node. Its one entry point is
`core.handle(event, now) -> list[Effect]`, where `event` is one of the inputs of
`actors.ais.effects` (an `EvsEvent` from totem, a `ClientRequest` from a local client connection,
`ClientGone`, `TimerFired`; a core ignores deliveries that are not its own), and `now` is the
node's clock reading in seconds, passed in (the core never reads a clock). The services need it
because the AIS gives some times as absolute (section expiration) and because replicated
deadlines (retention) must be compared across nodes; the hosting actor passes the clock it runs
the timers on. (`now` defaults to 0.0 only so the cores fit `effects.ServiceCore`.)

What this frame does, so the services do not each do it:

- Client requests are served only while the state is agreed (see `actors.ais.sync.engine`);
  otherwise they are answered TRY_AGAIN at once.
- A request that changes replicated state is multicast as an `Operation` and applied by every
  node when delivered, in total order; the origin node answers its client then. An operation
  dropped because it was delivered during a sync is answered TRY_AGAIN by its origin.
- Effects for clients (replies, callbacks) are emitted only by the node that owns the
  connection: replicated state names clients as `Client = (node, conn)`.
- Replicated deadlines (retention, expiration) are timers on every node; when one fires, the
  node with the lowest id in the configuration multicasts `Expire`, so expiry is an agreed
  operation too. Every node re-arms them after each sync, so a leader change loses none.
- A dead client is announced with a `ConnectionLost` operation; one announced during a sync is
  announced again when the sync completes. A node that leaves takes its clients with it: each
  service drops them in its merge, which is given the new members.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from actors.ais.effects import (
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
from actors.ais.errors import SA_AIS_ERR_TRY_AGAIN, AisError
from actors.ais.evs import ConfigurationChange, Delivery, NodeId
from actors.ais.sync.engine import SyncSession, SyncState

Client = tuple[NodeId, ConnId]
"""A client connection cluster-wide: the node it is attached to and its id there."""


@dataclass(frozen=True, order=True)
class Stamp:
    """Where an operation sits in the cluster's history: its ring, then its place in that ring.

    Later rings compare greater, so merges can prefer the newest write."""

    ring_seq: int
    ring_rep: NodeId
    seq: int

    @classmethod
    def of(cls, delivery: Delivery) -> Stamp:
        return cls(delivery.ring_id.seq, delivery.ring_id.rep, delivery.seq)


@dataclass(frozen=True)
class Operation:
    """A service's agreed message: what `origin` asks every replica to apply."""

    service: str
    origin: NodeId
    conn: ConnId | None
    request_id: int | None
    op: object
    sent_at: float

    @property
    def client(self) -> Client | None:
        return None if self.conn is None else (self.origin, self.conn)


@dataclass(frozen=True)
class ConnectionLost:
    """Operation: the client `(origin, conn)` is gone; drop what it held."""


@dataclass(frozen=True)
class Expire:
    """Operation: the replicated deadline `key` (set to `deadline`) has passed."""

    key: Hashable
    deadline: float


@dataclass(frozen=True)
class Snapshot:
    """What a member contributes to a sync: its service state, the members of the
    configuration that state was last agreed in (`side`), and its clock when it was taken."""

    node: NodeId
    side: tuple[NodeId, ...]
    taken_at: float
    state: object

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key of the side: larger sides first, then the side with the lowest node id.
        Merges use it where two sides conflict, to let the majority win."""
        members = self.side or (self.node,)
        return (-len(members), min(members))


def merge_time(snapshots: dict[NodeId, Snapshot]) -> float:
    """A clock reading every member agrees on for a merge (the latest snapshot's)."""
    return max(s.taken_at for s in snapshots.values())


def try_again(why: str = "membership change in progress") -> AisError:
    return AisError(SA_AIS_ERR_TRY_AGAIN, why)


class ReplicatedService:
    """Base of the service cores; subclasses fill in the hooks below the `handle` method."""

    service: ClassVar[str] = ""

    def __init__(self, node: NodeId) -> None:
        self.node = node
        self.sync = SyncSession(self.service, node)
        self._armed: dict[Hashable, float] = {}
        self._gone: set[ConnId] = set()

    # -- entry point -------------------------------------------------------------------------

    def handle(self, event: Input, now: float = 0.0) -> list[Effect]:
        """Feed one input; returns the effects to carry out, in order."""
        if isinstance(event, ConfigurationChange):
            effects = self._on_configuration(event, now)
        elif isinstance(event, Delivery):
            effects = self._on_delivery(event, now)
        elif isinstance(event, ClientRequest):
            if event.conn in self._gone:
                effects = []
            elif not self.sync.accepting:
                effects = [Reply(event.conn, event.request_id, try_again())]
            else:
                effects = self.request((self.node, event.conn), event.request_id, event.op, now)
        elif isinstance(event, ClientGone):
            self._gone.add(event.conn)
            effects = self._announce_gone([event.conn], now) if self.sync.accepting else []
            effects += self.local_client_gone(event.conn, now)
        elif isinstance(event, TimerFired):
            effects = self._on_timer(event.key, now)
        else:
            raise TypeError(f"{self.service}: not an input: {event!r}")
        return effects + self._rearm(now)

    # -- hooks -------------------------------------------------------------------------------

    def request(self, client: Client, request_id: int, op: object, now: float) -> list[Effect]:
        """A client request while the state is agreed. Default: replicate it unchanged."""
        return [self.multicast(op, now, client, request_id)]

    def apply(self, op: Operation, stamp: Stamp, now: float) -> list[Effect]:
        """Apply one delivered operation (the same on every node)."""
        raise NotImplementedError

    def client_lost(self, client: Client, stamp: Stamp, now: float) -> list[Effect]:
        """Drop everything `client` held (applied on every node)."""
        raise NotImplementedError

    def local_client_gone(self, conn: ConnId, now: float) -> list[Effect]:
        """Node-local clean-up when a local client goes (pending timers and the like)."""
        return []

    def snapshot(self) -> object:
        """This node's replicated state, as sent in its SyncState (must not alias live state)."""
        raise NotImplementedError

    def merge(self, snapshots: dict[NodeId, Snapshot], now: float) -> list[Effect]:
        """Replace the state by the merge of every member's snapshot (by node id); the same
        result on every node. Use `merge_time(snapshots)`, not `now`, for replicated times."""
        raise NotImplementedError

    def deadlines(self) -> dict[Hashable, float]:
        """Replicated deadlines now outstanding, by key."""
        return {}

    def expire(self, key: Hashable, stamp: Stamp, now: float) -> list[Effect]:
        """A replicated deadline passed (delivered `Expire`, checked still current)."""
        return []

    def local_timer(self, key: Hashable, now: float) -> list[Effect]:
        """A node-local timer set with `local_timer_effect` fired."""
        return []

    # -- helpers for subclasses --------------------------------------------------------------

    @property
    def members(self) -> tuple[NodeId, ...]:
        return self.sync.members

    def multicast(
        self, op: object, now: float, client: Client | None = None, request_id: int | None = None
    ) -> Multicast:
        conn = None if client is None else client[1]
        return Multicast(Operation(self.service, self.node, conn, request_id, op, now))

    def reply(self, client: Client | None, request_id: int | None, result: object) -> list[Effect]:
        """A reply, if the client is attached to this node (only its node answers it)."""
        if client is None or request_id is None or client[0] != self.node:
            return []
        return [Reply(client[1], request_id, result)]

    def is_local(self, client: Client) -> bool:
        return client[0] == self.node

    def set_local_timer(self, key: Hashable, delay: float) -> SetTimer:
        return SetTimer((self.service, "local", key), max(0.0, delay))

    def cancel_local_timer(self, key: Hashable) -> CancelTimer:
        return CancelTimer((self.service, "local", key))

    # -- internals ---------------------------------------------------------------------------

    def _on_configuration(self, change: ConfigurationChange, now: float) -> list[Effect]:
        snapshot = None
        if change.kind == "regular":
            snapshot = Snapshot(self.node, self.sync.active_members, now, self.snapshot())
        state = self.sync.on_configuration(change, snapshot)
        return [] if state is None else [Multicast(state)]

    def _on_delivery(self, delivery: Delivery, now: float) -> list[Effect]:
        payload = delivery.payload
        if isinstance(payload, SyncState):
            if payload.service != self.service:
                return []
            snapshots = self.sync.on_sync_state(payload)
            if snapshots is None:
                return []
            self._armed = {}  # re-arm every replicated timer: the leader may have changed
            effects = self.merge(snapshots, now)  # type: ignore[arg-type]
            if self.sync.accepting:
                effects += self._announce_gone(sorted(self._gone), now)
            return effects
        if not isinstance(payload, Operation) or payload.service != self.service:
            return []
        if not self.sync.applies(delivery.ring_id):
            if payload.origin == self.node and payload.request_id is not None:
                return [Reply(payload.conn, payload.request_id, try_again())]
            return []
        stamp = Stamp.of(delivery)
        op = payload.op
        if isinstance(op, ConnectionLost):
            if payload.origin == self.node:
                self._gone.discard(payload.conn)
            return self.client_lost((payload.origin, payload.conn), stamp, now)
        if isinstance(op, Expire):
            if self.deadlines().get(op.key) != op.deadline:
                return []
            return self.expire(op.key, stamp, now)
        return self.apply(payload, stamp, now)

    def _announce_gone(self, conns: Iterable[ConnId], now: float) -> list[Effect]:
        return [
            Multicast(Operation(self.service, self.node, conn, None, ConnectionLost(), now))
            for conn in conns
        ]

    def _on_timer(self, key: Hashable, now: float) -> list[Effect]:
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] == self.service):
            return []
        _, kind, inner = key
        if kind == "local":
            return self.local_timer(inner, now)
        deadline = self.deadlines().get(inner)
        if deadline is None or not self.sync.accepting or self.node != min(self.members):
            return []
        return [self.multicast(Expire(inner, deadline), now)]

    def _rearm(self, now: float) -> list[Effect]:
        wanted = self.deadlines()
        effects: list[Effect] = []
        for key in [k for k in self._armed if k not in wanted]:
            del self._armed[key]
            effects.append(CancelTimer((self.service, "replicated", key)))
        for key, deadline in wanted.items():
            if self._armed.get(key) != deadline:
                self._armed[key] = deadline
                effects.append(
                    SetTimer((self.service, "replicated", key), max(0.0, deadline - now))
                )
        return effects
