"""The message service core: queues and queue groups replicated on every node (sans-IO).

Entry point: `MsgCore(node).handle(event, now) -> list[Effect]` (inputs and the frame's rules
are in `actors.ais.sync.replica`; bodies and results in `actors.ais.msg.messages`).

Every queue, its stored messages, the waiting gets and send-receives are replicated: sends,
gets, replies, opens and closes are agreed operations, so a stored message survives the loss of
any node and is taken by exactly one get. A queue is open by at most one client at a time
(BUSY otherwise). A closed queue keeps its messages: a persistent one until unlinked, another
one for its retention time (a replicated deadline). A queue whose opener's node leaves is
closed.

Sending: to a queue, QUEUE_FULL when the message does not fit its priority area or the area's
capacity threshold was reached (until usage falls back to the `available` threshold; group
trackers are told with STATE_CHANGED). To a group: ROUND_ROBIN takes the next open member in
insertion order after the last one used; LOCAL_ROUND_ROBIN does the same among open members
opened on the sender's node, if any; BROADCAST stores in every open member with room (QUEUE_FULL
if none had room). QUEUE_NOT_AVAILABLE when no member is open. A get that finds the queue empty
waits (a timer on the getter's node multicasts its timeout); a send to a queue with a waiting
get hands the message to it directly.

Merge after a membership change: queues are identified by creation stamp; their messages are the
union of the sides' minus those consumed on any side (consumed ids are remembered); same-named
queues created on two sides become one (the older creation keeps its identity). If two sides
each gave a queue to an opener, the opener of the better side (larger, then lowest node id)
keeps it. Waiting gets come from the getter's node, waiting send-receives from the sender's;
groups come from the best side that has them; trackers from the tracker's node.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from dataclasses import dataclass, field

from actors.ais.effects import Callback, Effect
from actors.ais.errors import (
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_BUSY,
    SA_AIS_ERR_EXIST,
    SA_AIS_ERR_INTERRUPT,
    SA_AIS_ERR_INVALID_PARAM,
    SA_AIS_ERR_NOT_EXIST,
    SA_AIS_ERR_QUEUE_FULL,
    SA_AIS_ERR_QUEUE_NOT_AVAILABLE,
    SA_AIS_ERR_TIMEOUT,
    AisError,
)
from actors.ais.evs import NodeId
from actors.ais.msg.messages import (
    PRIORITIES,
    CapacityThresholdSet,
    GroupChange,
    GroupChanged,
    GroupCreate,
    GroupDelete,
    GroupInsert,
    GroupMember,
    GroupMembers,
    GroupPolicy,
    GroupRemove,
    GroupTrack,
    GroupTrackStop,
    Message,
    MessageCancel,
    MessageGet,
    MessageId,
    MessageReceived,
    MessageReply,
    MessageSend,
    MessageSendReceive,
    QueueAttributes,
    QueueClose,
    QueueOpen,
    QueueOpened,
    QueueStatus,
    QueueStatusGet,
    QueueUnlink,
    ReceivedMessage,
    SenderId,
    TrackFlags,
)
from actors.ais.sync.replica import (
    Client,
    Operation,
    ReplicatedService,
    Snapshot,
    Stamp,
    merge_time,
)

Handle = tuple[Client, int]


@dataclass(frozen=True)
class _Open:
    handle: int
    body: QueueOpen


@dataclass(frozen=True)
class _SendReceive:
    sender_id: SenderId
    body: MessageSendReceive
    deadline: float | None


@dataclass(frozen=True)
class _Get:
    body: MessageGet
    deadline: float | None


@dataclass(frozen=True)
class _Timeout:
    """Operation: a get (`key` = request id) or a send-receive (`key` = sender id) timed out."""

    kind: str
    key: Hashable


@dataclass
class Stored:
    message: Message
    message_id: MessageId
    send_time: float
    sender_id: SenderId | None


@dataclass
class Queue:
    uid: Stamp
    name: str
    attributes: QueueAttributes
    owner: Handle | None = None
    receive_callback: bool = False
    unlinked: bool = False
    close_deadline: float | None = None
    messages: list[Stored] = field(default_factory=list)
    consumed: set[MessageId] = field(default_factory=set)
    reached: tuple[int, ...] | None = None
    available: tuple[int, ...] | None = None
    full: list[bool] = field(default_factory=lambda: [False] * PRIORITIES)

    def used(self, priority: int) -> int:
        return sum(len(s.message.data) for s in self.messages if s.message.priority == priority)

    def fits(self, message: Message) -> bool:
        p = message.priority
        return not self.full[p] and self.used(p) + len(message.data) <= self.attributes.sizes[p]


@dataclass
class Group:
    name: str
    policy: GroupPolicy
    members: list[str] = field(default_factory=list)
    next_index: int = 0


@dataclass
class Waiter:
    """A get waiting for a message."""

    handle: Handle
    request_id: int
    deadline: float | None


@dataclass
class AwaitingReply:
    """A send-receive waiting for the receiver's reply."""

    client: Client
    request_id: int
    deadline: float | None


@dataclass
class MsgState:
    queues: dict[Stamp, Queue] = field(default_factory=dict)
    names: dict[str, Stamp] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    gets: list[Waiter] = field(default_factory=list)
    replies: dict[SenderId, AwaitingReply] = field(default_factory=dict)
    trackers: dict[tuple[Client, str], TrackFlags] = field(default_factory=dict)
    deleted: set[Stamp] = field(default_factory=set)


class MsgCore(ReplicatedService):
    service = "msg"

    def __init__(self, node: NodeId) -> None:
        super().__init__(node)
        self.state = MsgState()
        self._next_id = 0

    # -- requests ----------------------------------------------------------------------------

    def request(self, client: Client, request_id: int, op: object, now: float) -> list[Effect]:
        if isinstance(op, QueueStatusGet):
            return self.reply(client, request_id, self._status(op.name))
        message = getattr(op, "message", None)
        if isinstance(message, Message) and not 0 <= message.priority < PRIORITIES:
            return self.reply(client, request_id, AisError(SA_AIS_ERR_INVALID_PARAM, "priority"))
        if isinstance(op, QueueOpen):
            if op.create != (op.attributes is not None):
                error = AisError(SA_AIS_ERR_INVALID_PARAM, "attributes go with create")
                return self.reply(client, request_id, error)
            return [self.multicast(_Open(self._new_id(), op), now, client, request_id)]
        if isinstance(op, MessageSendReceive | MessageGet):
            deadline = None if op.timeout is None else now + op.timeout
            if isinstance(op, MessageGet):
                body: object = _Get(op, deadline)
                timer: Hashable = ("get", (client[1], request_id))
            else:
                sender_id = (self.node, self._new_id())
                body = _SendReceive(sender_id, op, deadline)
                timer = ("reply", sender_id)
            effects: list[Effect] = [self.multicast(body, now, client, request_id)]
            if op.timeout is not None:
                effects.append(self.set_local_timer(timer, op.timeout))
            return effects
        return [self.multicast(op, now, client, request_id)]

    def local_timer(self, key: Hashable, now: float) -> list[Effect]:
        assert isinstance(key, tuple)
        return [self.multicast(_Timeout(key[0], key[1]), now)]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _status(self, name: str) -> object:
        q = self._queue(name)
        if q is None:
            return AisError(SA_AIS_ERR_NOT_EXIST, name)
        counts = tuple(
            sum(1 for s in q.messages if s.message.priority == p) for p in range(PRIORITIES)
        )
        used = tuple(q.used(p) for p in range(PRIORITIES))
        return QueueStatus(q.attributes, q.owner is not None, used, counts)

    def _queue(self, name: str) -> Queue | None:
        uid = self.state.names.get(name)
        return None if uid is None else self.state.queues[uid]

    def _by_handle(self, handle: Handle) -> Queue | None:
        return next((q for q in self.state.queues.values() if q.owner == handle), None)

    # -- replicated operations ---------------------------------------------------------------

    def apply(self, op: Operation, stamp: Stamp, now: float) -> list[Effect]:
        client, rid, body = op.client, op.request_id, op.op
        if isinstance(body, _Timeout):
            return self._timeout(op.origin, body)
        assert client is not None and rid is not None
        if isinstance(body, _Open):
            return self.reply(client, rid, self._open(client, body, stamp, op.sent_at))
        if isinstance(body, QueueUnlink):
            uid = self.state.names.pop(body.name, None)
            if uid is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.name))
            self.state.queues[uid].unlinked = True
            return self._collect(self.state.queues[uid]) + self.reply(client, rid, None)
        if isinstance(body, MessageSend):
            effects, error = self._send(body.destination, body.message, None, stamp, op)
            return effects + self.reply(client, rid, error)
        if isinstance(body, _SendReceive):
            send = body.body
            effects, error = self._send(send.destination, send.message, body.sender_id, stamp, op)
            if error is not None:
                return (
                    effects
                    + self._cancel_timer(client, ("reply", body.sender_id))
                    + (self.reply(client, rid, error))
                )
            self.state.replies[body.sender_id] = AwaitingReply(client, rid, body.deadline)
            return effects
        if isinstance(body, MessageReply):
            waiting = self.state.replies.pop(body.sender_id, None)
            if waiting is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, "sender"))
            answer = ReceivedMessage(body.message, _mid(stamp), "", op.sent_at, None)
            effects = self._cancel_timer(waiting.client, ("reply", body.sender_id))
            return (
                effects
                + self.reply(waiting.client, waiting.request_id, answer)
                + self.reply(client, rid, None)
            )
        if isinstance(body, GroupCreate | GroupDelete | GroupInsert | GroupRemove):
            return self._group_op(client, rid, body)
        if isinstance(body, GroupTrack):
            group = self.state.groups.get(body.group)
            if group is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.group))
            if body.flags is not TrackFlags.CURRENT:
                self.state.trackers[(client, body.group)] = body.flags
                return self.reply(client, rid, None)
            members = tuple(self._member(n, GroupChange.NO_CHANGE) for n in group.members)
            return self.reply(client, rid, GroupMembers(group.name, group.policy, members))
        if isinstance(body, GroupTrackStop):
            if self.state.trackers.pop((client, body.group), None) is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.group))
            return self.reply(client, rid, None)
        request = body.body if isinstance(body, _Get) else body
        handle = (client, request.handle)  # type: ignore[attr-defined]
        q = self._by_handle(handle)
        if q is None:
            return self.reply(client, rid, AisError(SA_AIS_ERR_BAD_HANDLE, "queue handle"))
        if isinstance(body, _Get):
            if q.messages:
                return self._hand_over(q, Waiter(handle, rid, body.deadline))
            if body.deadline is not None and body.deadline <= op.sent_at:
                return self.reply(client, rid, AisError(SA_AIS_ERR_TIMEOUT, "no message"))
            self.state.gets.append(Waiter(handle, rid, body.deadline))
            return []
        if isinstance(body, MessageCancel):
            effects = []
            for waiter in [w for w in self.state.gets if w.handle == handle]:
                self.state.gets.remove(waiter)
                effects += self.reply(client, waiter.request_id, AisError(SA_AIS_ERR_INTERRUPT))
            return effects + self.reply(client, rid, None)
        if isinstance(body, QueueClose):
            self.state.gets = [w for w in self.state.gets if w.handle != handle]
            return self._close(q, op.sent_at) + self.reply(client, rid, None)
        if isinstance(body, CapacityThresholdSet):
            if any(a > r for a, r in zip(body.available, body.reached, strict=True)):
                return self.reply(client, rid, AisError(SA_AIS_ERR_INVALID_PARAM, "thresholds"))
            q.reached, q.available = body.reached, body.available
            return self._capacity(q) + self.reply(client, rid, None)
        return self.reply(client, rid, AisError(SA_AIS_ERR_INVALID_PARAM, f"{body!r}"))

    def _open(self, client: Client, op: _Open, stamp: Stamp, at: float) -> object:
        body = op.body
        q = self._queue(body.name)
        if q is None:
            if not body.create:
                return AisError(SA_AIS_ERR_NOT_EXIST, body.name)
            assert body.attributes is not None
            q = self.state.queues[stamp] = Queue(stamp, body.name, body.attributes)
            self.state.names[body.name] = stamp
        elif q.owner is not None:
            return AisError(SA_AIS_ERR_BUSY, f"{body.name} is open elsewhere")
        elif body.create and body.attributes != q.attributes:
            return AisError(SA_AIS_ERR_EXIST, f"{body.name} has other creation attributes")
        q.owner = (client, op.handle)
        q.receive_callback = body.receive_callback
        q.close_deadline = None
        if body.empty:
            q.consumed.update(s.message_id for s in q.messages)
            q.messages = []
        return QueueOpened(op.handle)

    def _close(self, q: Queue, at: float) -> list[Effect]:
        q.owner = None
        if not q.attributes.persistent:
            q.close_deadline = at + q.attributes.retention
        return self._collect(q) + self._notify_state(q)

    def _collect(self, q: Queue) -> list[Effect]:
        """An unlinked queue nobody has open is deleted and leaves its groups."""
        if not q.unlinked or q.owner is not None:
            return []
        return self._delete(q)

    def _delete(self, q: Queue) -> list[Effect]:
        del self.state.queues[q.uid]
        self.state.deleted.add(q.uid)
        if self.state.names.get(q.name) == q.uid:
            del self.state.names[q.name]
        effects: list[Effect] = []
        for group in self.state.groups.values():
            if q.name in group.members and self._queue(q.name) is None:
                group.members.remove(q.name)
                effects += self._notify(group, q.name, GroupChange.REMOVED)
        return effects

    def _send(
        self,
        destination: str,
        message: Message,
        sender_id: SenderId | None,
        stamp: Stamp,
        op: Operation,
    ) -> tuple[list[Effect], AisError | None]:
        """Store a message by the queue or group rules; returns the effects and the error."""
        stored = Stored(message, _mid(stamp), op.sent_at, sender_id)
        group = self.state.groups.get(destination)
        if group is None:
            q = self._queue(destination)
            if q is None:
                return [], AisError(SA_AIS_ERR_NOT_EXIST, destination)
            targets = [q]
        else:
            targets = self._choose(group, op.origin)
            if not targets:
                return [], AisError(SA_AIS_ERR_QUEUE_NOT_AVAILABLE, destination)
        room = [q for q in targets if q.fits(message)]
        if not room:
            return [], AisError(SA_AIS_ERR_QUEUE_FULL, destination)
        effects: list[Effect] = []
        for q in room:
            effects += self._store(q, copy.copy(stored))
        return effects, None

    def _choose(self, group: Group, origin: NodeId) -> list[Queue]:
        members = [q for q in map(self._queue, group.members) if q is not None]
        open_members = [q for q in members if q.owner is not None]
        if group.policy is GroupPolicy.BROADCAST or not open_members:
            return open_members
        names = group.members
        order = [names[(group.next_index + i) % len(names)] for i in range(len(names))]
        candidates = [q for n in order if (q := self._queue(n)) is not None and q.owner]
        if group.policy is GroupPolicy.LOCAL_ROUND_ROBIN:
            local = [q for q in candidates if q.owner and q.owner[0][0] == origin]
            candidates = local or candidates
        chosen = candidates[0]
        group.next_index = (names.index(chosen.name) + 1) % len(names)
        return [chosen]

    def _store(self, q: Queue, stored: Stored) -> list[Effect]:
        waiter = next((w for w in self.state.gets if w.handle == q.owner), None)
        q.messages.append(stored)
        if waiter is not None:
            self.state.gets.remove(waiter)
            return self._hand_over(q, waiter)
        effects = self._capacity(q)
        if q.owner is not None and q.receive_callback and self.is_local(q.owner[0]):
            effects.append(Callback(q.owner[0][1], MessageReceived(q.owner[1])))
        return effects

    def _hand_over(self, q: Queue, waiter: Waiter) -> list[Effect]:
        """Give the queue's best message to a get (highest priority, then oldest)."""
        best = min(q.messages, key=lambda s: (s.message.priority, s.message_id))
        q.messages.remove(best)
        q.consumed.add(best.message_id)
        got = ReceivedMessage(best.message, best.message_id, q.name, best.send_time, best.sender_id)
        key = ("get", (waiter.handle[0][1], waiter.request_id))
        effects = self._cancel_timer(waiter.handle[0], key)
        effects += self.reply(waiter.handle[0], waiter.request_id, got)
        return effects + self._capacity(q)

    def _cancel_timer(self, client: Client, key: Hashable) -> list[Effect]:
        return [self.cancel_local_timer(key)] if self.is_local(client) else []

    def _timeout(self, origin: NodeId, body: _Timeout) -> list[Effect]:
        if body.kind == "get":
            conn, request_id = body.key  # type: ignore[misc]
            for waiter in self.state.gets:
                if waiter.handle[0] == (origin, conn) and waiter.request_id == request_id:
                    self.state.gets.remove(waiter)
                    error = AisError(SA_AIS_ERR_TIMEOUT, "no message")
                    return self.reply(waiter.handle[0], waiter.request_id, error)
            return []
        waiting = self.state.replies.pop(body.key, None)  # type: ignore[arg-type]
        if waiting is None:
            return []
        return self.reply(waiting.client, waiting.request_id, AisError(SA_AIS_ERR_TIMEOUT, "reply"))

    def _capacity(self, q: Queue) -> list[Effect]:
        """Flip each priority area's full state at its thresholds; trackers hear of flips."""
        if q.reached is None or q.available is None:
            return []
        flipped = False
        for p in range(PRIORITIES):
            used = q.used(p)
            if not q.full[p] and used >= q.reached[p] > 0:
                q.full[p] = flipped = True
            elif q.full[p] and used <= q.available[p]:
                q.full[p], flipped = False, True
        return self._notify_state(q) if flipped else []

    def _notify_state(self, q: Queue) -> list[Effect]:
        effects: list[Effect] = []
        for group in self.state.groups.values():
            if q.name in group.members:
                effects += self._notify(group, q.name, GroupChange.STATE_CHANGED)
        return effects

    def _member(self, name: str, change: GroupChange) -> GroupMember:
        q = self._queue(name)
        available = q is not None and q.owner is not None and not any(q.full)
        return GroupMember(name, change, available)

    def _notify(self, group: Group, changed: str, change: GroupChange) -> list[Effect]:
        effects: list[Effect] = []
        for (client, name), flags in self.state.trackers.items():
            if name != group.name or not self.is_local(client):
                continue
            if flags is TrackFlags.CHANGES_ONLY:
                members = (self._member(changed, change),)
            else:
                members = tuple(
                    self._member(n, change if n == changed else GroupChange.NO_CHANGE)
                    for n in group.members
                )
                if change is GroupChange.REMOVED:
                    members += (self._member(changed, change),)
            effects.append(Callback(client[1], GroupChanged(group.name, group.policy, members)))
        return effects

    def _group_op(self, client: Client, rid: int, body: object) -> list[Effect]:
        groups = self.state.groups
        if isinstance(body, GroupCreate):
            if body.name in groups:
                return self.reply(client, rid, AisError(SA_AIS_ERR_EXIST, body.name))
            groups[body.name] = Group(body.name, body.policy)
            return self.reply(client, rid, None)
        if isinstance(body, GroupDelete):
            if groups.pop(body.name, None) is None:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.name))
            for key in [k for k in self.state.trackers if k[1] == body.name]:
                del self.state.trackers[key]
            return self.reply(client, rid, None)
        assert isinstance(body, GroupInsert | GroupRemove)
        group = groups.get(body.group)
        if group is None or self._queue(body.queue) is None:
            return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, "group or queue"))
        if isinstance(body, GroupInsert):
            if body.queue in group.members:
                return self.reply(client, rid, AisError(SA_AIS_ERR_EXIST, body.queue))
            group.members.append(body.queue)
            change = GroupChange.ADDED
        else:
            if body.queue not in group.members:
                return self.reply(client, rid, AisError(SA_AIS_ERR_NOT_EXIST, body.queue))
            index = group.members.index(body.queue)
            group.members.remove(body.queue)
            if group.next_index > index:
                group.next_index -= 1
            group.next_index %= max(1, len(group.members))
            change = GroupChange.REMOVED
        return self._notify(group, body.queue, change) + self.reply(client, rid, None)

    def client_lost(self, client: Client, stamp: Stamp, now: float) -> list[Effect]:
        self.state.gets = [w for w in self.state.gets if w.handle[0] != client]
        self.state.replies = {k: v for k, v in self.state.replies.items() if v.client != client}
        for key in [k for k in self.state.trackers if k[0] == client]:
            del self.state.trackers[key]
        effects: list[Effect] = []
        for q in [q for q in self.state.queues.values() if q.owner and q.owner[0] == client]:
            effects += self._close(q, now)
        return effects

    # -- deadlines ---------------------------------------------------------------------------

    def deadlines(self) -> dict[Hashable, float]:
        return {
            ("retention", uid): q.close_deadline
            for uid, q in self.state.queues.items()
            if q.close_deadline is not None and q.owner is None
        }

    def expire(self, key: Hashable, stamp: Stamp, now: float) -> list[Effect]:
        assert isinstance(key, tuple)
        return self._delete(self.state.queues[key[1]])

    # -- sync --------------------------------------------------------------------------------

    def snapshot(self) -> object:
        return copy.deepcopy(self.state)

    def merge(self, snapshots: dict[NodeId, Snapshot], now: float) -> list[Effect]:
        at = merge_time(snapshots)
        ranked = sorted(snapshots.values(), key=lambda s: (s.rank, s.node))
        states = {s.node: copy.deepcopy(s.state) for s in ranked}
        state = MsgState()
        owners: dict[Stamp, tuple[Handle, bool]] = {}
        was_open: set[Stamp] = set()
        retained: dict[Stamp, float] = {}
        for node, st in states.items():  # best side first
            assert isinstance(st, MsgState)
            state.deleted |= st.deleted
            for name, group in st.groups.items():
                state.groups.setdefault(name, group)
            for uid, q in st.queues.items():
                if q.owner is not None:
                    was_open.add(uid)
                    if q.owner[0][0] == node:
                        owners.setdefault(uid, (q.owner, q.receive_callback))
                if q.close_deadline is not None:
                    retained[uid] = max(retained.get(uid, q.close_deadline), q.close_deadline)
                if uid in state.queues:
                    _fold(state.queues[uid], q)
                else:
                    state.queues[uid] = q
            state.gets += [w for w in st.gets if w.handle[0][0] == node]
            state.replies.update({k: v for k, v in st.replies.items() if v.client[0] == node})
            state.trackers.update({k: v for k, v in st.trackers.items() if k[0][0] == node})
        for uid, q in state.queues.items():
            q.owner, q.receive_callback = owners.get(uid, (None, False))
            q.unlinked = q.unlinked or uid in state.deleted
        for uid in sorted(state.queues):
            q = state.queues[uid]
            if q.unlinked:
                continue
            keeper_uid = state.names.setdefault(q.name, uid)
            if keeper_uid != uid:
                keeper = state.queues[keeper_uid]
                _fold(keeper, q)
                if keeper.owner is None:
                    keeper.owner, keeper.receive_callback = q.owner, q.receive_callback
                del state.queues[uid]
                was_open |= {keeper_uid} if uid in was_open else set()
        kept_owners = {q.owner for q in state.queues.values() if q.owner is not None}
        state.gets = [w for w in state.gets if w.handle in kept_owners]
        self.state = state
        effects: list[Effect] = []
        for q in list(state.queues.values()):
            if q.owner is not None:
                q.close_deadline = None
            elif q.unlinked:
                effects += self._delete(q)
            elif not q.attributes.persistent:
                q.close_deadline = (
                    at + q.attributes.retention
                    if q.uid in was_open or q.uid not in retained
                    else retained[q.uid]
                )
        for waiter in list(state.gets):
            q = self._by_handle(waiter.handle)
            if q is not None and q.messages:
                state.gets.remove(waiter)
                effects += self._hand_over(q, waiter)
            elif waiter.deadline is not None and self.is_local(waiter.handle[0]):
                key = ("get", (waiter.handle[0][1], waiter.request_id))
                effects.append(self.set_local_timer(key, waiter.deadline - now))
        for sender_id, waiting in state.replies.items():
            if waiting.deadline is not None and self.is_local(waiting.client):
                effects.append(self.set_local_timer(("reply", sender_id), waiting.deadline - now))
        return effects


def _mid(stamp: Stamp) -> MessageId:
    return (stamp.ring_seq, stamp.ring_rep, stamp.seq)


def _fold(into: Queue, other: Queue) -> None:
    """Union another side's copy of a queue's messages into `into`, minus consumed ones."""
    into.unlinked = into.unlinked or other.unlinked
    into.consumed |= other.consumed
    known = {s.message_id for s in into.messages}
    into.messages += [s for s in other.messages if s.message_id not in known]
    into.messages = sorted(
        (s for s in into.messages if s.message_id not in into.consumed), key=lambda s: s.message_id
    )
