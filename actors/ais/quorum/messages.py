"""What the quorum service says: client requests (quorum.h and votequorum.h calls), the node
information its cores exchange, and the notifications clients get."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

from actors.ais.evs import NodeId, RingId


class TrackFlags(IntFlag):
    """CS_TRACK_*: CURRENT sends the present state at once, CHANGES on every change."""

    CURRENT = 1
    CHANGES = 2
    CHANGES_ONLY = 4


class InfoFlags(IntFlag):
    """VOTEQUORUM_INFO_*: what `ringleader quorum` prints on its Flags line."""

    TWONODE = 1
    QUORATE = 2
    WAIT_FOR_ALL = 4
    LAST_MAN_STANDING = 8
    AUTO_TIE_BREAKER = 16


# ---- requests (ClientRequest.op) --------------------------------------------------------------


@dataclass(frozen=True)
class GetQuorate:
    """quorum_getquorate: a bool."""


@dataclass(frozen=True)
class TrackStart:
    """quorum_trackstart / votequorum_trackstart: QuorumNotification callbacks."""

    flags: TrackFlags


@dataclass(frozen=True)
class TrackStop:
    """quorum_trackstop: NOT_EXIST if this connection is not tracking."""


@dataclass(frozen=True)
class GetInfo:
    """votequorum_getinfo: a NodeQuorumInfo for `nodeid` (this node when None)."""

    nodeid: NodeId | None = None


@dataclass(frozen=True)
class GetStatus:
    """What `ringleader quorum` renders: a QuorumStatus."""


@dataclass(frozen=True)
class SetExpected:
    """votequorum_setexpected: change expected votes cluster-wide (may lower them)."""

    expected_votes: int


@dataclass(frozen=True)
class SetVotes:
    """votequorum_setvotes: change the votes of `nodeid` (this node when None)."""

    votes: int
    nodeid: NodeId | None = None


# ---- multicast payloads ------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeInfo:
    """A node's votequorum state, multicast on every configuration and when it changes."""

    nodeid: NodeId
    votes: int
    expected_votes: int
    quorate: bool
    waiting_for_all: bool


@dataclass(frozen=True)
class ExpectedChange:
    """Every member sets its expected votes to `expected_votes` (setexpected, or last man
    standing when `ring_id` is set: only applied if still in that configuration)."""

    expected_votes: int
    ring_id: RingId | None = None


@dataclass(frozen=True)
class VotesChange:
    """`nodeid` now has `votes` votes."""

    nodeid: NodeId
    votes: int


# ---- results and callbacks ---------------------------------------------------------------------


@dataclass(frozen=True)
class NodeQuorumInfo:
    """votequorum_info for one node."""

    nodeid: NodeId
    member: bool
    votes: int
    expected_votes: int
    highest_expected: int
    total_votes: int
    quorum: int
    flags: InfoFlags


@dataclass(frozen=True)
class QuorumNotification:
    """quorum_notify_fn: whether the partition is quorate, its ring and its members."""

    quorate: bool
    ring_id: RingId
    members: tuple[NodeId, ...]


@dataclass(frozen=True)
class QuorumStatus:
    """Everything `ringleader quorum` prints (see actors.ais.quorum.status)."""

    node: NodeId
    ring_id: RingId | None
    members: tuple[tuple[NodeId, int], ...]
    """(node id, votes) of each member, sorted."""
    expected_votes: int
    highest_expected: int
    total_votes: int
    quorum: int
    flags: InfoFlags

    @property
    def quorate(self) -> bool:
        return InfoFlags.QUORATE in self.flags
