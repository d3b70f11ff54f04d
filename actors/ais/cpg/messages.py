"""What CPG says: client requests, the payloads its cores multicast to each other, and the
callbacks a client receives. Names follow corosync's cpg.h and exec/cpg.c."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from actors.ais.evs import NodeId, RingId

MAX_GROUP_NAME = 128
"""CPG_MAX_NAME_LENGTH: longer group names are refused with NAME_TOO_LONG."""


class CpgReason(IntEnum):
    """Why a process appears in a confchg's joined or left list (CPG_REASON_*)."""

    JOIN = 1
    LEAVE = 2
    NODEDOWN = 3
    NODEUP = 4
    PROCDOWN = 5


class FlowControl(IntEnum):
    """cpg_flow_control_state_get: ENABLED means "stop sending, mcast would answer TRY_AGAIN"."""

    DISABLED = 0
    ENABLED = 1


@dataclass(frozen=True, order=True)
class CpgMember:
    """A group member: one process on one node (corosync's (nodeid, pid) pair)."""

    nodeid: NodeId
    pid: int


@dataclass(frozen=True)
class CpgAddress:
    """A member as a confchg reports it (struct cpg_address)."""

    nodeid: NodeId
    pid: int
    reason: CpgReason


# ---- requests (ClientRequest.op) --------------------------------------------------------------


@dataclass(frozen=True)
class Join:
    """cpg_join: this connection joins `group` as process `pid` (one group per connection)."""

    group: str
    pid: int


@dataclass(frozen=True)
class Leave:
    """cpg_leave: this connection leaves `group`."""

    group: str


@dataclass(frozen=True)
class Mcast:
    """cpg_mcast_joined: send `data` to the group this connection joined."""

    data: object
    guarantee: Literal["agreed", "safe"] = "agreed"


@dataclass(frozen=True)
class MembershipGet:
    """cpg_membership_get: the current members of `group` (a sorted tuple of CpgMember)."""

    group: str


@dataclass(frozen=True)
class LocalGet:
    """cpg_local_get: this node's id."""


@dataclass(frozen=True)
class FlowControlGet:
    """cpg_flow_control_state_get: a FlowControl value."""


# ---- multicast payloads (between the cores of all nodes) --------------------------------------


@dataclass(frozen=True)
class ProcJoin:
    """MESSAGE_REQ_EXEC_CPG_PROCJOIN: `member` joins `group`."""

    group: str
    member: CpgMember


@dataclass(frozen=True)
class ProcLeave:
    """MESSAGE_REQ_EXEC_CPG_PROCLEAVE: `member` leaves `group` (LEAVE, or PROCDOWN if it died)."""

    group: str
    member: CpgMember
    reason: CpgReason


@dataclass(frozen=True)
class GroupMcast:
    """MESSAGE_REQ_EXEC_CPG_MCAST: `data` from `member` to `group`."""

    group: str
    member: CpgMember
    data: object


CpgOperation = ProcJoin | ProcLeave | GroupMcast


# ---- callbacks (Callback.payload) --------------------------------------------------------------


@dataclass(frozen=True)
class DeliverCallback:
    """cpg_deliver_fn: a message `data` sent to `group` by process `pid` on node `nodeid`."""

    group: str
    nodeid: NodeId
    pid: int
    data: object


@dataclass(frozen=True)
class ConfchgCallback:
    """cpg_confchg_fn: `group`'s members after the change, and who left and joined, with why."""

    group: str
    members: tuple[CpgMember, ...]
    left: tuple[CpgAddress, ...]
    joined: tuple[CpgAddress, ...]


@dataclass(frozen=True)
class TotemConfchgCallback:
    """cpg_totem_confchg_fn: the ring changed (sent to every joined connection)."""

    ring_id: RingId
    members: tuple[NodeId, ...]
