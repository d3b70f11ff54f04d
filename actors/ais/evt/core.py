"""The event service core: channels replicated on every node, delivery to local queues (sans-IO).

Entry point: `EvtCore(node, queue_limit).handle(event, now) -> list[Effect]` (inputs and the
frame's rules are in `actors.ais.sync.replica`; bodies and results in `actors.ais.evt.messages`).

Channels, openings, subscriptions and retained events are replicated: every change is an agreed
operation. A published event is applied by every node in the same order; each node puts it in
the queue of each of its own connections with a matching subscription on that channel (the
publisher's own included). An event's id comes from its place in the total order, so it is the
same everywhere and unique. An event published with a retention time stays in its channel until
that time passes (a replicated deadline) or `RetentionTimeClear`, and a new subscription gets the
retained events that match it. A channel lives until it is unlinked and closed by everyone.

Queues are node-local and bounded (`queue_limit` events per connection). When an event arrives
at a full queue, the lowest-priority event (the newest of those) among the queued and the
arriving one is dropped, and a lost-event notice (id SA_EVT_EVENTID_LOST, highest priority) is
queued once until the client takes it.

Merge after a membership change: openings and subscriptions come from the snapshot of the
client's own node; channels are identified by creation stamp, their retained events are the union
of the sides' minus those cleared or expired on any side; same-named channels created on two
sides become one (the older creation keeps its identity); unlinked anywhere means unlinked.
Events published on one side during a partition are not delivered to the other side's existing
subscribers after the merge (only retained ones reach new subscriptions).
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from dataclasses import dataclass, field

from actors.ais.effects import Callback, ConnId, Effect
from actors.ais.errors import (
    SA_AIS_ERR_ACCESS,
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_EXIST,
    SA_AIS_ERR_INVALID_PARAM,
    SA_AIS_ERR_NOT_EXIST,
    AisError,
)
from actors.ais.evs import NodeId
from actors.ais.evt.messages import (
    EVENT_ID_LOST,
    HIGHEST_PRIORITY,
    LOST_EVENT_PATTERN,
    LOWEST_PRIORITY,
    ChannelClose,
    ChannelOpen,
    ChannelOpened,
    ChannelUnlink,
    Event,
    EventGet,
    EventsAvailable,
    Filter,
    Publish,
    Published,
    RetentionTimeClear,
    Subscribe,
    Unsubscribe,
    event_matches,
)
from actors.ais.sync.replica import Client, Operation, ReplicatedService, Snapshot, Stamp


@dataclass(frozen=True)
class _Open:
    handle: int
    body: ChannelOpen


@dataclass
class Retained:
    publish: Publish
    event_id: int
    publish_time: float
    deadline: float


@dataclass
class Channel:
    uid: Stamp
    name: str
    unlinked: bool = False
    retained: dict[int, Retained] = field(default_factory=dict)
    cleared: set[int] = field(default_factory=set)


@dataclass
class Opening:
    uid: Stamp
    publisher: bool
    subscriber: bool


@dataclass
class EvtState:
    channels: dict[Stamp, Channel] = field(default_factory=dict)
    names: dict[str, Stamp] = field(default_factory=dict)
    opens: dict[tuple[Client, int], Opening] = field(default_factory=dict)
    subscriptions: dict[tuple[Client, int, int], tuple[Filter, ...]] = field(default_factory=dict)
    deleted: set[Stamp] = field(default_factory=set)


@dataclass
class EventQueue:
    """One local connection's undelivered events, and whether a lost-event notice is owed."""

    events: list[tuple[int, Event]] = field(default_factory=list)  # (arrival, event)
    lost: Event | None = None
    arrivals: int = 0

    def empty(self) -> bool:
        return not self.events and self.lost is None


def event_id_of(stamp: Stamp) -> int:
    """A cluster-unique event id from the publish's place in the total order (>= 1000)."""
    return (stamp.ring_seq << 40) | (stamp.ring_rep << 24) | stamp.seq


class EvtCore(ReplicatedService):
    service = "evt"

    def __init__(self, node: NodeId, queue_limit: int = 64) -> None:
        super().__init__(node)
        self.state = EvtState()
        self.queue_limit = queue_limit
        self.queues: dict[ConnId, EventQueue] = {}
        self._next_handle = 0

    # -- requests ----------------------------------------------------------------------------

    def request(self, client: Client, request_id: int, op: object, now: float) -> list[Effect]:
        if isinstance(op, EventGet):
            return self.reply(client, request_id, self._take(client[1]))
        if isinstance(op, ChannelOpen):
            self._next_handle += 1
            return [self.multicast(_Open(self._next_handle, op), now, client, request_id)]
        if isinstance(op, Publish):
            if not HIGHEST_PRIORITY <= op.priority <= LOWEST_PRIORITY or op.retention < 0:
                return self.reply(
                    client, request_id, AisError(SA_AIS_ERR_INVALID_PARAM, "priority")
                )
        return [self.multicast(op, now, client, request_id)]

    def local_client_gone(self, conn: ConnId, now: float) -> list[Effect]:
        self.queues.pop(conn, None)
        return []

    def _take(self, conn: ConnId) -> Event | None:
        queue = self.queues.get(conn)
        if queue is None or queue.empty():
            return None
        if queue.lost is not None:
            lost, queue.lost = queue.lost, None
            return lost
        best = min(queue.events, key=lambda e: (e[1].priority, e[0]))
        queue.events.remove(best)
        return best[1]

    def _enqueue(self, conn: ConnId, event: Event) -> list[Effect]:
        queue = self.queues.setdefault(conn, EventQueue())
        was_empty = queue.empty()
        queue.arrivals += 1
        queue.events.append((queue.arrivals, event))
        if len(queue.events) > self.queue_limit:
            worst = max(queue.events, key=lambda e: (e[1].priority, e[0]))
            queue.events.remove(worst)
            if queue.lost is None:
                queue.lost = Event(
                    worst[1].handle, worst[1].subscription_id, EVENT_ID_LOST,
                    (LOST_EVENT_PATTERN,), HIGHEST_PRIORITY, 0.0, "", 0.0, b"",
                )  # fmt: skip
        return [Callback(conn, EventsAvailable())] if was_empty and not queue.empty() else []

    # -- replicated operations ---------------------------------------------------------------

    def apply(self, op: Operation, stamp: Stamp, now: float) -> list[Effect]:
        client, rid, body = op.client, op.request_id, op.op
        assert client is not None
        if isinstance(body, _Open):
            return self.reply(client, rid, self._open(client, body, stamp))
        if isinstance(body, ChannelUnlink):
            uid = self.state.names.pop(body.name, None)
            if uid is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.name))
            self.state.channels[uid].unlinked = True
            self._collect(uid)
            return self.reply(client, rid, None)
        opening = self.state.opens.get((client, body.handle))  # type: ignore[attr-defined]
        if opening is None:
            return self.reply(client, rid, AisError(SA_AIS_ERR_BAD_HANDLE, "channel handle"))
        channel = self.state.channels[opening.uid]
        handle = body.handle  # type: ignore[attr-defined]
        if isinstance(body, ChannelClose):
            del self.state.opens[(client, handle)]
            for key in [k for k in self.state.subscriptions if k[:2] == (client, handle)]:
                del self.state.subscriptions[key]
            self._collect(channel.uid)
            return self.reply(client, rid, None)
        if isinstance(body, Publish):
            if not opening.publisher:
                return self.reply(client, rid, AisError(SA_AIS_ERR_ACCESS, "not a publisher"))
            event_id = event_id_of(stamp)
            retained = Retained(body, event_id, op.sent_at, op.sent_at + body.retention)
            if body.retention > 0:
                channel.retained[event_id] = retained
            effects = self._deliver(channel.uid, retained, None)
            return effects + self.reply(client, rid, Published(event_id))
        if isinstance(body, Subscribe):
            if not opening.subscriber:
                return self.reply(client, rid, AisError(SA_AIS_ERR_ACCESS, "not a subscriber"))
            key = (client, handle, body.subscription_id)
            if key in self.state.subscriptions:
                return self.reply(client, rid, AisError(SA_AIS_ERR_EXIST, "subscription id"))
            self.state.subscriptions[key] = body.filters
            effects = self.reply(client, rid, None)
            for retained in sorted(channel.retained.values(), key=lambda r: r.event_id):
                effects += self._deliver(channel.uid, retained, key)
            return effects
        if isinstance(body, Unsubscribe):
            key = (client, handle, body.subscription_id)
            if self.state.subscriptions.pop(key, None) is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, "subscription id"))
            return self.reply(client, rid, None)
        if isinstance(body, RetentionTimeClear):
            if body.event_id < 1000:
                return self.reply(client, rid, AisError(SA_AIS_ERR_INVALID_PARAM, "event id"))
            if channel.retained.pop(body.event_id, None) is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, "retained event"))
            channel.cleared.add(body.event_id)
            return self.reply(client, rid, None)
        return self.reply(client, rid, AisError(SA_AIS_ERR_INVALID_PARAM, f"{body!r}"))

    def _open(self, client: Client, op: _Open, stamp: Stamp) -> object:
        body = op.body
        uid = self.state.names.get(body.name)
        if uid is None:
            if not body.create:
                return AisError(SA_AIS_ERR_NOT_EXIST, body.name)
            self.state.channels[stamp] = Channel(stamp, body.name)
            self.state.names[body.name] = uid = stamp
        self.state.opens[(client, op.handle)] = Opening(uid, body.publisher, body.subscriber)
        return ChannelOpened(op.handle)

    def _deliver(
        self, uid: Stamp, ev: Retained, only: tuple[Client, int, int] | None
    ) -> list[Effect]:
        """Queue `ev` for the matching local subscriptions of channel `uid` (or just `only`)."""
        effects: list[Effect] = []
        for key, filters in self.state.subscriptions.items():
            client, handle, sub_id = key
            if only is not None and key != only:
                continue
            if not self.is_local(client) or self.state.opens[(client, handle)].uid != uid:
                continue
            p = ev.publish
            if event_matches(filters, p.patterns):
                event = Event(
                    handle, sub_id, ev.event_id, p.patterns, p.priority, p.retention,
                    p.publisher_name, ev.publish_time, p.data,
                )  # fmt: skip
                effects += self._enqueue(client[1], event)
        return effects

    def _collect(self, uid: Stamp) -> None:
        """An unlinked channel nobody has open is gone, with its retained events."""
        channel = self.state.channels.get(uid)
        if channel is None or not channel.unlinked:
            return
        if any(o.uid == uid for o in self.state.opens.values()):
            return
        del self.state.channels[uid]
        self.state.deleted.add(uid)
        if self.state.names.get(channel.name) == uid:
            del self.state.names[channel.name]

    def client_lost(self, client: Client, stamp: Stamp, now: float) -> list[Effect]:
        for key in [k for k in self.state.subscriptions if k[0] == client]:
            del self.state.subscriptions[key]
        for key in [k for k in self.state.opens if k[0] == client]:
            uid = self.state.opens.pop(key).uid
            self._collect(uid)
        return []

    # -- deadlines ---------------------------------------------------------------------------

    def deadlines(self) -> dict[Hashable, float]:
        return {
            ("event", uid, event_id): retained.deadline
            for uid, channel in self.state.channels.items()
            for event_id, retained in channel.retained.items()
        }

    def expire(self, key: Hashable, stamp: Stamp, now: float) -> list[Effect]:
        assert isinstance(key, tuple)
        channel = self.state.channels[key[1]]
        del channel.retained[key[2]]
        channel.cleared.add(key[2])
        return []

    # -- sync --------------------------------------------------------------------------------

    def snapshot(self) -> object:
        return copy.deepcopy(self.state)

    def merge(self, snapshots: dict[NodeId, Snapshot], now: float) -> list[Effect]:
        state = EvtState()
        for node, envelope in snapshots.items():
            st = copy.deepcopy(envelope.state)
            assert isinstance(st, EvtState)
            state.deleted |= st.deleted
            state.opens.update({k: v for k, v in st.opens.items() if k[0][0] == node})
            state.subscriptions.update(
                {k: v for k, v in st.subscriptions.items() if k[0][0] == node}
            )
            for uid, channel in st.channels.items():
                if uid in state.channels:
                    _fold(state.channels[uid], channel)
                else:
                    state.channels[uid] = channel
        for uid in sorted(state.channels):
            channel = state.channels[uid]
            channel.unlinked = channel.unlinked or uid in state.deleted
            if channel.unlinked:
                continue
            keeper = state.names.setdefault(channel.name, uid)
            if keeper != uid:
                _fold(state.channels[keeper], channel)
                del state.channels[uid]
                for opening in state.opens.values():
                    if opening.uid == uid:
                        opening.uid = keeper
        self.state = state
        for uid in list(state.channels):
            self._collect(uid)
        live = set(state.subscriptions)
        for conn, queue in self.queues.items():
            queue.events = [
                e for e in queue.events
                if ((self.node, conn), e[1].handle, e[1].subscription_id) in live
            ]  # fmt: skip
        return []


def _fold(into: Channel, other: Channel) -> None:
    into.unlinked = into.unlinked or other.unlinked
    into.cleared |= other.cleared
    for event_id, retained in other.retained.items():
        into.retained.setdefault(event_id, retained)
    for event_id in into.cleared:
        into.retained.pop(event_id, None)
