"""What MSG clients ask (request bodies), what they get back, and the callbacks they receive.

Priorities are 0 (highest) to 3 (lowest); queue sizes and thresholds are per priority, in bytes
of message data. Timeouts are seconds; None waits forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from actors.ais.evs import NodeId

MessageId = tuple[int, int, int]
"""A stored message's id: the (ring seq, ring rep, seq) of the send that stored it."""
SenderId = tuple[NodeId, int]
"""Identifies a waiting saMsgMessageSendReceive, for the receiver's reply."""
PRIORITIES = 4


class GroupPolicy(Enum):
    ROUND_ROBIN = "round-robin"
    LOCAL_ROUND_ROBIN = "local-round-robin"
    BROADCAST = "broadcast"


class TrackFlags(Enum):
    CURRENT = "current"
    CHANGES = "changes"
    CHANGES_ONLY = "changes-only"


class GroupChange(Enum):
    NO_CHANGE = "no-change"
    ADDED = "added"
    REMOVED = "removed"
    STATE_CHANGED = "state-changed"


@dataclass(frozen=True)
class QueueAttributes:
    """SaMsgQueueCreationAttributesT."""

    sizes: tuple[int, int, int, int]
    persistent: bool = False
    retention: float = 0.0


@dataclass(frozen=True)
class Message:
    """SaMsgMessageT."""

    data: bytes
    priority: int = 3
    type: int = 0
    version: int = 0
    sender_name: str = ""


# ---- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueOpen:
    """saMsgQueueOpen: reply `QueueOpened(handle)`. BUSY when another process has it open."""

    name: str
    attributes: QueueAttributes | None = None
    create: bool = False
    receive_callback: bool = False
    empty: bool = False


@dataclass(frozen=True)
class QueueClose:
    handle: int


@dataclass(frozen=True)
class QueueUnlink:
    name: str


@dataclass(frozen=True)
class QueueStatusGet:
    name: str


@dataclass(frozen=True)
class CapacityThresholdSet:
    """Per priority: at `reached` bytes the priority area counts as full (QUEUE_FULL, trackers
    told) until usage falls to `available`."""

    handle: int
    reached: tuple[int, int, int, int]
    available: tuple[int, int, int, int]


@dataclass(frozen=True)
class GroupCreate:
    name: str
    policy: GroupPolicy


@dataclass(frozen=True)
class GroupDelete:
    name: str


@dataclass(frozen=True)
class GroupInsert:
    group: str
    queue: str


@dataclass(frozen=True)
class GroupRemove:
    group: str
    queue: str


@dataclass(frozen=True)
class GroupTrack:
    """CURRENT: the reply carries the members; CHANGES / CHANGES_ONLY: `GroupChanged`
    callbacks follow (with all members, or only the changed ones)."""

    group: str
    flags: TrackFlags


@dataclass(frozen=True)
class GroupTrackStop:
    group: str


@dataclass(frozen=True)
class MessageSend:
    """saMsgMessageSend to a queue or a queue group (by name)."""

    destination: str
    message: Message


@dataclass(frozen=True)
class MessageSendReceive:
    """Send, then wait for the receiver's `MessageReply` (the reply to this request)."""

    destination: str
    message: Message
    timeout: float | None = None


@dataclass(frozen=True)
class MessageGet:
    """Take the next message (highest priority, then oldest), waiting up to `timeout`."""

    handle: int
    timeout: float | None = None


@dataclass(frozen=True)
class MessageCancel:
    """Interrupt this handle's waiting gets (they get INTERRUPT)."""

    handle: int


@dataclass(frozen=True)
class MessageReply:
    sender_id: SenderId
    message: Message


# ---- results and callbacks -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueOpened:
    handle: int


@dataclass(frozen=True)
class QueueStatus:
    attributes: QueueAttributes
    is_open: bool
    used: tuple[int, ...]
    messages: tuple[int, ...]


@dataclass(frozen=True)
class ReceivedMessage:
    """The reply to MessageGet; `sender_id` is set when the sender waits for a reply."""

    message: Message
    message_id: MessageId
    queue: str
    send_time: float
    sender_id: SenderId | None


@dataclass(frozen=True)
class GroupMember:
    queue: str
    change: GroupChange
    available: bool


@dataclass(frozen=True)
class GroupMembers:
    """Reply to GroupTrack with CURRENT."""

    group: str
    policy: GroupPolicy
    members: tuple[GroupMember, ...]


@dataclass(frozen=True)
class GroupChanged:
    """Callback to group trackers (SaMsgQueueGroupTrackCallbackT)."""

    group: str
    policy: GroupPolicy
    members: tuple[GroupMember, ...]


@dataclass(frozen=True)
class MessageReceived:
    """Callback for queues opened with `receive_callback`: a message is waiting on `handle`."""

    handle: int
