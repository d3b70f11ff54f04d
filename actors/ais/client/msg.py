"""saMsg for Python: replicated message queues, queue groups, send / get / send-receive.

    with MsgClient(config="node1.toml") as msg:
        q = msg.queue_open("jobs-1", QueueAttributes((4096,) * 4), create=True)
        msg.group_create("jobs", GroupPolicy.ROUND_ROBIN)
        msg.group_insert("jobs", "jobs-1")
        msg.send("jobs", b"work item")
        got = msg.get(q, timeout=5.0)           # ReceivedMessage; TIMEOUT when none came

A stored message is on every node and is taken by exactly one get. `send_receive` waits for
the receiver's `reply(got.sender_id, ...)`.
"""

from __future__ import annotations

from collections.abc import Callable

from actors.ais.client.retrying import RetryingConnection
from actors.ais.msg.messages import (
    CapacityThresholdSet,
    GroupChanged,
    GroupCreate,
    GroupDelete,
    GroupInsert,
    GroupMembers,
    GroupPolicy,
    GroupRemove,
    GroupTrack,
    GroupTrackStop,
    Message,
    MessageCancel,
    MessageGet,
    MessageReceived,
    MessageReply,
    MessageSend,
    MessageSendReceive,
    QueueAttributes,
    QueueClose,
    QueueOpen,
    QueueStatus,
    QueueStatusGet,
    QueueUnlink,
    ReceivedMessage,
    SenderId,
    TrackFlags,
)


def as_message(message: Message | bytes) -> Message:
    return message if isinstance(message, Message) else Message(message)


class MsgClient(RetryingConnection):
    """saMsgInitialize: `received(MessageReceived)` (queues opened with `receive_callback`)
    and `group_changed(GroupChanged)` (tracked groups) are called from `dispatch`."""

    def __init__(
        self,
        received: Callable[[MessageReceived], None] | None = None,
        group_changed: Callable[[GroupChanged], None] | None = None,
        **where,
    ) -> None:
        super().__init__("msg", **where)
        self.received_fn, self.group_changed_fn = received, group_changed
        self.handler = self._route

    def _route(self, payload: object, cause: tuple) -> None:
        kind = type(payload)
        if kind is MessageReceived and self.received_fn:
            self.received_fn(payload)
        elif kind is GroupChanged and self.group_changed_fn:
            self.group_changed_fn(payload)

    # ---- queues -------------------------------------------------------------------------------

    def queue_open(
        self,
        name: str,
        attributes: QueueAttributes | None = None,
        *,
        create: bool = False,
        receive_callback: bool = False,
        empty: bool = False,
    ) -> int:
        """saMsgQueueOpen: BUSY while another connection has it open; `attributes` go with
        `create` (EXIST when they differ from the queue's)."""
        return self.call(QueueOpen(name, attributes, create, receive_callback, empty)).handle

    def queue_close(self, handle: int) -> None:
        self.call(QueueClose(handle))

    def queue_unlink(self, name: str) -> None:
        self.call(QueueUnlink(name))

    def queue_status(self, name: str) -> QueueStatus:
        return self.call(QueueStatusGet(name))

    def capacity_threshold_set(
        self, handle: int, reached: tuple[int, int, int, int], available: tuple[int, int, int, int]
    ) -> None:
        self.call(CapacityThresholdSet(handle, reached, available))

    # ---- groups -------------------------------------------------------------------------------

    def group_create(self, name: str, policy: GroupPolicy = GroupPolicy.ROUND_ROBIN) -> None:
        self.call(GroupCreate(name, policy))

    def group_delete(self, name: str) -> None:
        self.call(GroupDelete(name))

    def group_insert(self, group: str, queue: str) -> None:
        self.call(GroupInsert(group, queue))

    def group_remove(self, group: str, queue: str) -> None:
        self.call(GroupRemove(group, queue))

    def group_track(
        self, group: str, flags: TrackFlags = TrackFlags.CHANGES
    ) -> GroupMembers | None:
        """CURRENT: the members now; CHANGES / CHANGES_ONLY: `group_changed` callbacks."""
        return self.call(GroupTrack(group, flags))

    def group_track_stop(self, group: str) -> None:
        self.call(GroupTrackStop(group))

    # ---- messages -----------------------------------------------------------------------------

    def send(self, destination: str, message: Message | bytes) -> None:
        """saMsgMessageSend to a queue or group: QUEUE_FULL, QUEUE_NOT_AVAILABLE, NOT_EXIST."""
        self.call(MessageSend(destination, as_message(message)))

    def send_receive(
        self, destination: str, message: Message | bytes, timeout: float | None = None
    ) -> ReceivedMessage:
        """Send and wait for the receiver's reply (TIMEOUT after `timeout` seconds)."""
        op = MessageSendReceive(destination, as_message(message), timeout)
        return self.waiting_call(op, timeout)

    def get(self, handle: int, timeout: float | None = None) -> ReceivedMessage:
        """The next message (highest priority, then oldest), waiting up to `timeout` seconds
        (None: until one comes); TIMEOUT when none came, INTERRUPT after `cancel`."""
        return self.waiting_call(MessageGet(handle, timeout), timeout)

    def cancel(self, handle: int) -> None:
        """saMsgMessageCancel: this handle's waiting gets end with INTERRUPT."""
        self.call(MessageCancel(handle))

    def reply(self, sender_id: SenderId, message: Message | bytes) -> None:
        """saMsgMessageReply to a message that came from `send_receive`."""
        self.call(MessageReply(sender_id, as_message(message)))
