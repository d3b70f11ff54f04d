"""What goes in and out of the controller core (`core.ControllerCore.handle(event, now)`).

Inputs come from the actor around the core: the crmd group's views and messages, the local CIB,
attribute manager, LRM, fencer and executive (quorum), and timers. Peer messages travel in the
CPG group `ringleader-crmd`, all agreed, so every controller sees them in one order with the
views. Effects are what the actor does: multicast, talk to the local LRM, fencer and attribute
manager, set timers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from actors.agents.spec import AgentSpec
from actors.crm.cib.status import PendingOp
from actors.crm.lrm.history import OpRecord, ResourceHistory

# ---- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewChanged:
    """The crmd group's members (node names), and which of them joined or left in this change."""

    members: tuple[str, ...]
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivered:
    sender: str
    payload: object


@dataclass(frozen=True)
class ConfigUpdated:
    """The CIB's configuration (full XML, empty status) at `version`."""

    xml: str
    version: object = None


@dataclass(frozen=True)
class AttributesUpdated:
    table: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class QuorumUpdated:
    """From the executive: quorate or not, and the nodes in the ring (None: not known)."""

    quorate: bool
    ring: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LrmResult:
    """The local LRM reported an operation result."""

    record: OpRecord


@dataclass(frozen=True)
class LrmHistories:
    """Everything the local LRM remembers, read now (at start, then every poll); `restarted`:
    the LRM did not answer for a while and answers again."""

    histories: tuple[ResourceHistory, ...]
    restarted: bool = False


@dataclass(frozen=True)
class FenceCompleted:
    target: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class TimerFired:
    key: Hashable


@dataclass(frozen=True)
class ShutdownRequested:
    """This node is being stopped cleanly: move its resources away first."""


# ---- between controllers -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpCommand:
    """One operation for a node's LRM, as the DC asks it; `tag` identifies the graph action."""

    rsc_id: str
    spec: AgentSpec
    action: str
    params: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    interval_ms: int = 0
    timeout_ms: int = 20000
    expected_rc: int = 0
    tag: tuple | None = None  # (dc, transition id, action id)


@dataclass(frozen=True)
class JoinRequest:
    dc: str
    join_id: int


@dataclass(frozen=True)
class JoinReply:
    node: str
    dc: str
    join_id: int
    histories: tuple[ResourceHistory, ...]
    pending: tuple[PendingOp, ...]
    lost: tuple[tuple[str, tuple[ResourceHistory, ...], tuple[PendingOp, ...]], ...] = ()
    """Nodes the replier saw leave unfenced, with what it knows ran there."""


@dataclass(frozen=True)
class ExecuteOp:
    """DC -> `node`: run this operation on your LRM."""

    dc: str
    node: str
    command: OpCommand


@dataclass(frozen=True)
class ForgetResource:
    """DC -> `node`: delete the resource's LRM history (resource cleanup: it is re-probed)."""

    dc: str
    node: str
    rsc_id: str


@dataclass(frozen=True)
class OpDone:
    """`node` -> everyone: an operation ended (`tag` None: a recurring op changed by itself)."""

    node: str
    record: OpRecord
    tag: tuple | None = None


@dataclass(frozen=True)
class Forgotten:
    node: str
    rsc_id: str


@dataclass(frozen=True)
class HistoryRefreshed:
    """`node`'s LRM restarted (or was first reached): its history as it is now."""

    node: str
    histories: tuple[ResourceHistory, ...]


@dataclass(frozen=True)
class NodeFenced:
    """DC -> everyone: `node` was fenced; it is cleanly down and runs nothing."""

    node: str


@dataclass(frozen=True)
class ShuttingDown:
    node: str


@dataclass(frozen=True)
class ShutdownGranted:
    """DC -> `node`: nothing runs on you any more; you may stop."""

    node: str


@dataclass(frozen=True)
class CleanupRequest:
    """Anyone -> the DC: clear `rsc_id`'s failures (on `node`, or everywhere) and re-probe."""

    rsc_id: str
    node: str | None = None


# ---- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mcast:
    payload: object


@dataclass(frozen=True)
class RunOp:
    """Hand an operation to the local LRM (the controller is its requester)."""

    command: OpCommand


@dataclass(frozen=True)
class DeleteLocal:
    rsc_id: str


@dataclass(frozen=True)
class CancelLocal:
    """Cancel a recurring operation of the local LRM (a role's monitor, before the role
    changes: the Unpromoted monitor would report a promoted instance as failed)."""

    rsc_id: str
    action: str
    interval_ms: int


@dataclass(frozen=True)
class Fence:
    target: str
    action: str = "reboot"


@dataclass(frozen=True)
class SetAttribute:
    node: str
    name: str
    value: str | None


@dataclass(frozen=True)
class SetTimer:
    key: Hashable
    delay: float  # seconds


@dataclass(frozen=True)
class ShutdownComplete:
    """The DC has moved everything away: this node's controller may stop now."""


@dataclass(frozen=True)
class Note:
    """Something worth a log line."""

    text: str
