"""What goes in and out of the LRM core (`actors.crm.lrm.core.LrmCore.handle(event, now)`).

Inputs: `OpRequest` / `CancelOp` / `DeleteResource` from the controller, `Watch` / `Unwatch`,
`ExecResult` from the executor (the privileged child), `TimerFired`, `ExecutorLost` /
`ExecutorReady`. Effects: `Execute` (ask the executor to run one agent operation), `SetTimer` /
`CancelTimer`, `Report` (an operation result for one recipient). The hosting actor does the IO:
it sends `Execute` as `actors.agents.execute.RunAgent` (or to the fencer for stonith agents), runs
timers on its clock and delivers reports.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from actors.agents.execute import RunAgent
from actors.agents.results import OcfResult, OpResult
from actors.agents.spec import AgentSpec
from actors.crm.lrm.history import OpRecord

# ---- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpRequest:
    """Run `action` on resource `rsc_id`; recurring when `interval_ms` > 0.

    `expected_rc` is what counts as success for the history's last-failure (a probe expects
    OCF_NOT_RUNNING, a promoted monitor OCF_RUNNING_PROMOTED). `requester` gets the result (of
    every run of a recurring op: the first one, then only changes), besides the watchers.
    """

    rsc_id: str
    spec: AgentSpec
    action: str
    params: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    interval_ms: int = 0
    timeout_ms: int = 20000
    expected_rc: OcfResult = OcfResult.OCF_SUCCESS
    requester: Hashable | None = None


@dataclass(frozen=True)
class CancelOp:
    """Stop a recurring operation; its requester and the watchers get it as CANCELLED."""

    rsc_id: str
    action: str
    interval_ms: int


@dataclass(frozen=True)
class DeleteResource:
    """Forget a resource: cancel its recurring ops, drop queued ones, clear its history
    (Pacemaker's resource cleanup / delete). A running op finishes unreported."""

    rsc_id: str


@dataclass(frozen=True)
class Watch:
    """`watcher` gets a Report of every operation result (recurring: changes only)."""

    watcher: Hashable


@dataclass(frozen=True)
class Unwatch:
    watcher: Hashable


@dataclass(frozen=True)
class ExecResult:
    """The executor finished `Execute(call_id, ...)`."""

    call_id: int
    result: OpResult


@dataclass(frozen=True)
class TimerFired:
    key: Hashable


@dataclass(frozen=True)
class ExecutorLost:
    """The privileged child died: what it was running is failed (NOT_CONNECTED), never
    succeeded; nothing more is sent until `ExecutorReady`."""

    reason: str = "executor lost"


@dataclass(frozen=True)
class ExecutorReady:
    """The (restarted) privileged child takes requests again."""


Input = (
    OpRequest
    | CancelOp
    | DeleteResource
    | Watch
    | Unwatch
    | ExecResult
    | TimerFired
    | ExecutorLost
    | ExecutorReady
)

# ---- effects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Execute:
    """Ask the executor to run one operation; its answer comes back as `ExecResult(call_id)`."""

    call_id: int
    rsc_id: str
    spec: AgentSpec
    action: str
    params: Mapping[str, str]
    meta: Mapping[str, str]
    interval_ms: int
    timeout_ms: int

    def to_run_agent(self) -> RunAgent:
        """The privileged child's request for this operation."""
        return RunAgent(
            call_id=self.call_id,
            spec=self.spec,
            action=self.action,
            resource=self.rsc_id,
            params=self.params,
            meta=self.meta,
            interval_ms=self.interval_ms,
            timeout_ms=self.timeout_ms,
        )


@dataclass(frozen=True)
class SetTimer:
    """Fire `TimerFired(key)` after `delay_ms` (replacing a pending timer with the same key)."""

    key: Hashable
    delay_ms: int


@dataclass(frozen=True)
class CancelTimer:
    key: Hashable


@dataclass(frozen=True)
class Report:
    """An operation result for `to` (the requester or a watcher)."""

    to: Hashable
    record: OpRecord


Effect = Execute | SetTimer | CancelTimer | Report
