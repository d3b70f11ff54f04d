"""Operation history per resource, shaped like Pacemaker's `lrm_resource` / `lrm_rsc_op`.

Per resource: the last non-recurring operation (`<rsc>_last_0`), the last failed one
(`<rsc>_last_failure_0`) and the latest run of each recurring operation
(`<rsc>_monitor_10000`). The CIB's status section is rebuilt from this on join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec


@dataclass(frozen=True)
class OpRecord:
    """One finished (or cancelled) operation. Times: `last_run` / `last_rc_change` in epoch
    seconds of the LRM's clock, `exec_ms` / `queue_ms` in ms."""

    rsc_id: str
    spec: AgentSpec
    action: str
    interval_ms: int
    call_id: int
    rc: OcfResult
    status: ExecStatus
    exit_reason: str
    last_run: int
    last_rc_change: int
    exec_ms: int
    queue_ms: int
    op_digest: str
    expected_rc: OcfResult = OcfResult.OCF_SUCCESS

    @property
    def op_key(self) -> str:
        """Pacemaker's operation key: `web_monitor_10000`."""
        return f"{self.rsc_id}_{self.action}_{self.interval_ms}"

    @property
    def failed(self) -> bool:
        return self.status is not ExecStatus.DONE or self.rc is not self.expected_rc

    def lrm_rsc_op_attrs(self, record_id: str | None = None) -> dict[str, str]:
        """The attributes of the `<lrm_rsc_op>` element for this record (the controller adds
        transition-key / transition-magic, which it alone knows)."""
        return {
            "id": record_id or self.op_key,
            "operation_key": self.op_key,
            "operation": self.action,
            "call-id": str(self.call_id),
            "rc-code": str(int(self.rc)),
            "op-status": str(int(self.status)),
            "interval": str(self.interval_ms),
            "last-rc-change": str(self.last_rc_change),
            "last-run": str(self.last_run),
            "exec-time": str(self.exec_ms),
            "queue-time": str(self.queue_ms),
            "op-digest": self.op_digest,
            "exit-reason": self.exit_reason,
        }


def kept(action: str) -> bool:
    """Whether an operation enters the history at all: a notification says nothing of the
    resource, and Pacemaker records none."""
    return action != "notify"


@dataclass
class ResourceHistory:
    """What the LRM remembers of one resource."""

    rsc_id: str
    spec: AgentSpec
    last: OpRecord | None = None
    last_failure: OpRecord | None = None
    recurring: dict[tuple[str, int], OpRecord] = field(default_factory=dict)

    def records(self) -> list[tuple[str, OpRecord]]:
        """(lrm_rsc_op id, record) pairs as Pacemaker names them, for the CIB status."""
        out = []
        if self.last is not None:
            out.append((f"{self.rsc_id}_last_0", self.last))
        if self.last_failure is not None:
            out.append((f"{self.rsc_id}_last_failure_0", self.last_failure))
        out.extend((rec.op_key, rec) for _, rec in sorted(self.recurring.items()))
        return out
