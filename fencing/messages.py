"""What goes in and out of the fencer core (`fencing.core.FencerCore.handle(event, now)`).

Inputs: `FenceRequest` / `ConfirmDown` / `ListCapable` / `ChangeRegistry` from local clients
(the CLI, the controller), `Membership` when the cluster's members change, the peer messages
(`Query`, `QueryReply`, `Execute`, `ExecuteResult`, `FenceDone`, `HistorySync`,
`RegistryUpdate`, `RegistrySync`), `DeviceRan` when the local agent run finished, `TimerFired`.
Effects: `Broadcast` (to every member, this node included, in one order everywhere: CPG agreed
delivery), `Send` (to one member), `RunDevice` (run a device action here), `Reply` (to a local
client), `Recorded` (an event entered the history), `RegistrySaved` (the registry changed: persist
it), `SetTimer` / `CancelTimer`.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum

from fencing.device import Device
from fencing.topology import Level

# ---- the history ---------------------------------------------------------------------------


class FenceState(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    """One device action run for a request: on which node, with what outcome."""

    level: int  # topology index; 0 without topology
    device: str
    executor: str
    action: str
    ok: bool
    reason: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class FenceEvent:
    """One finished fencing request, as every node's history keeps it."""

    id: str
    target: str
    action: str
    origin: str  # the node that asked
    client: str  # who asked there (cli, controller, operator)
    state: FenceState
    executor: str = ""  # the node that fenced (the last one tried when it failed)
    devices: tuple[str, ...] = ()  # the level that succeeded (or the last one tried)
    reason: str = ""
    requested: float = 0.0
    completed: float = 0.0
    attempts: tuple[Attempt, ...] = ()

    @property
    def ok(self) -> bool:
        return self.state is FenceState.SUCCESS


# ---- inputs from local clients -------------------------------------------------------------


@dataclass(frozen=True)
class FenceRequest:
    """Fence `target` with `action` (off, on, reboot); `reply_to` gets the FenceEvent."""

    target: str
    action: str
    reply_to: Hashable
    client: str = "cli"


@dataclass(frozen=True)
class ConfirmDown:
    """The operator says `target` is down (Pacemaker's stonith_admin --confirm): recorded as
    fenced, with no device run."""

    target: str
    reply_to: Hashable
    client: str = "operator"


@dataclass(frozen=True)
class ListCapable:
    """Which local devices can fence `target` (host checks run as needed); the reply is a
    tuple of DeviceOffer."""

    target: str
    reply_to: Hashable


@dataclass(frozen=True)
class Membership:
    """The nodes whose fencers are reachable now (this node included). `joined`: the nodes
    whose fencer (re)joined in this change, as the group view says (the same at every member,
    the joiner included); None: the nodes not there before."""

    nodes: tuple[str, ...]
    joined: tuple[str, ...] | None = None


# ---- the registry: the same devices and levels on every node --------------------------------


@dataclass(frozen=True)
class DeviceAdded:
    """Add or replace a device (checked against its agent's meta-data by the node asked)."""

    device: Device


@dataclass(frozen=True)
class DeviceRemoved:
    device_id: str


@dataclass(frozen=True)
class LevelAdded:
    level: Level


@dataclass(frozen=True)
class LevelRemoved:
    target: str
    index: int


RegistryChange = DeviceAdded | DeviceRemoved | LevelAdded | LevelRemoved


@dataclass(frozen=True)
class ChangeRegistry:
    """From a local client: apply `change` on every node; `reply_to` gets what it came to
    (the Device or Level; True/False for a removal) once this node applied it."""

    change: RegistryChange
    reply_to: Hashable


@dataclass(frozen=True)
class TimerFired:
    key: Hashable


# ---- between fencers (over CPG) ------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """Broadcast by the origin: who can fence `target`?"""

    op_id: str
    origin: str
    target: str
    action: str


@dataclass(frozen=True)
class DeviceOffer:
    """A device a node can run against the target; `timeout_ms` is its whole budget."""

    device: str
    node: str
    priority: int = 0
    self_fence: bool = False
    timeout_ms: int = 60_000


@dataclass(frozen=True)
class QueryReply:
    op_id: str
    node: str
    offers: tuple[DeviceOffer, ...]


@dataclass(frozen=True)
class Execute:
    """Sent by the origin to the chosen node: run `device` `action` against `target`."""

    op_id: str
    attempt: int
    origin: str
    device: str
    action: str
    target: str


@dataclass(frozen=True)
class ExecuteResult:
    op_id: str
    attempt: int
    node: str
    device: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class FenceDone:
    """Broadcast by the origin when a request ends: every node records it in its history."""

    event: FenceEvent


@dataclass(frozen=True)
class HistorySync:
    """Sent to a node that joined: the sender's history, merged by event id on arrival."""

    events: tuple[FenceEvent, ...]


@dataclass(frozen=True)
class RegistryUpdate:
    """Broadcast by the node a client asked: every member applies `change` in agreed order."""

    id: str
    origin: str
    change: RegistryChange


@dataclass(frozen=True)
class RegistrySync:
    """Broadcast by every member after a view in which a fencer joined: its registry as of
    that view. Once every member's copy is in, all adopt the newest (version, then digest)."""

    node: str
    version: int
    digest: str
    devices: tuple[Device, ...]
    levels: tuple[Level, ...]


# ---- the local agent run -------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceOutcome:
    """What one device action came to (after retries and, for off, the status check)."""

    ok: bool
    reason: str = ""
    output: str = ""  # stdout of list
    power: str = ""  # status: "on", "off" or "" (unknown)
    tries: int = 1


@dataclass(frozen=True)
class DeviceRan:
    call_id: int
    outcome: DeviceOutcome


Input = (
    FenceRequest
    | ConfirmDown
    | ListCapable
    | Membership
    | TimerFired
    | Query
    | QueryReply
    | Execute
    | ExecuteResult
    | FenceDone
    | HistorySync
    | DeviceRan
    | ChangeRegistry
    | RegistryUpdate
    | RegistrySync
)

# ---- effects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast:
    payload: object


@dataclass(frozen=True)
class Send:
    node: str
    payload: object


@dataclass(frozen=True)
class RunDevice:
    """Run `action` of `device` against `target` ("" for list/monitor) on this node."""

    call_id: int
    device: Device
    action: str
    target: str


@dataclass(frozen=True)
class Reply:
    reply_to: Hashable
    result: object


@dataclass(frozen=True)
class Recorded:
    event: FenceEvent


@dataclass(frozen=True)
class RegistrySaved:
    """The devices, levels or registry version changed: the hosting actor persists them."""


@dataclass(frozen=True)
class SetTimer:
    key: Hashable
    delay: float


@dataclass(frozen=True)
class CancelTimer:
    key: Hashable


Effect = Broadcast | Send | RunDevice | Reply | Recorded | RegistrySaved | SetTimer | CancelTimer
