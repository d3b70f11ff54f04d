"""What CLM says: client requests (saClm* calls), node records, and track notifications.
Enum values follow the SA Forum CLM specification (saClm.h)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from actors.ais.evs import NodeId


class TrackFlags(IntFlag):
    """SA_TRACK_*: CURRENT answers the present view; CHANGES notifies every change with the
    whole view, CHANGES_ONLY with just the nodes that changed."""

    CURRENT = 1
    CHANGES = 2
    CHANGES_ONLY = 4


class ClusterChange(IntEnum):
    """SaClmClusterChangesT: what happened to a node in a notification."""

    NO_CHANGE = 1
    JOINED = 2
    LEFT = 3
    RECONFIGURED = 4


@dataclass(frozen=True)
class ClusterNode:
    """SaClmClusterNodeT. `initial_view_number` is the view in which the node first joined."""

    node_id: NodeId
    name: str
    address: str
    member: bool
    boot_timestamp: float
    initial_view_number: int


@dataclass(frozen=True)
class ClusterNotification:
    """One node in a notification buffer, and what changed for it."""

    node: ClusterNode
    change: ClusterChange


@dataclass(frozen=True)
class NotificationBuffer:
    """SaClmClusterNotificationBufferT: the view number and the nodes it reports."""

    view_number: int
    notifications: tuple[ClusterNotification, ...]


# ---- requests (ClientRequest.op) --------------------------------------------------------------


@dataclass(frozen=True)
class ClusterTrack:
    """saClmClusterTrack. With CURRENT the present view is the reply (a NotificationBuffer),
    or a TrackCallback when `current_via_callback` (the C call with a NULL buffer)."""

    flags: TrackFlags
    current_via_callback: bool = False


@dataclass(frozen=True)
class ClusterTrackStop:
    """saClmClusterTrackStop: NOT_EXIST if this connection is not tracking."""


@dataclass(frozen=True)
class ClusterNodeGet:
    """saClmClusterNodeGet: the ClusterNode of a member (this node when `node_id` is None,
    SA_CLM_LOCAL_NODE_ID); NOT_EXIST for a node that is not a member."""

    node_id: NodeId | None = None


# ---- multicast payload and callbacks -----------------------------------------------------------


@dataclass(frozen=True)
class TrackCallback:
    """saClmClusterTrackCallback: a notification buffer and how many members the view has."""

    buffer: NotificationBuffer
    number_of_members: int
