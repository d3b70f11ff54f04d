"""What an operation answered: OCF return codes, execution status, and the LSB mapping.

Two numbers describe an operation, as in Pacemaker's lrm_rsc_op: `rc` (what the agent said, an
`OcfResult`) and `op_status` (whether it ran to completion at all, an `ExecStatus` with
PCMK_EXEC_* values). A timeout is OCF_ERR_GENERIC with TIMEOUT, never a bare exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class OcfResult(IntEnum):
    """OCF resource agent exit codes (Pacemaker's `enum ocf_exitcode`)."""

    OCF_SUCCESS = 0
    OCF_ERR_GENERIC = 1
    OCF_ERR_ARGS = 2
    OCF_ERR_UNIMPLEMENTED = 3
    OCF_ERR_PERM = 4
    OCF_ERR_INSTALLED = 5
    OCF_ERR_CONFIGURED = 6
    OCF_NOT_RUNNING = 7
    OCF_RUNNING_PROMOTED = 8
    OCF_FAILED_PROMOTED = 9
    OCF_DEGRADED = 190
    OCF_DEGRADED_PROMOTED = 191

    @classmethod
    def from_exit(cls, code: int) -> OcfResult:
        """An OCF agent's exit code; anything outside the OCF set is OCF_ERR_GENERIC, as
        Pacemaker's executor does."""
        try:
            return cls(code)
        except ValueError:
            return cls.OCF_ERR_GENERIC


class ExecStatus(IntEnum):
    """Whether the operation completed (Pacemaker's `enum pcmk_exec_status`, PCMK_EXEC_*)."""

    PENDING = 0
    DONE = 1
    CANCELLED = 2
    TIMEOUT = 3
    NOT_SUPPORTED = 4
    ERROR = 5
    ERROR_HARD = 6
    ERROR_FATAL = 7
    NOT_INSTALLED = 8
    NOT_CONNECTED = 9
    INVALID = 10
    NO_FENCE_DEVICE = 11
    NO_SECRETS = 12


# LSB `status` exit codes (LSB 4.1 plus Pacemaker's 150/151).
LSB_STATUS_OK = 0
LSB_STATUS_VAR_PID = 1
LSB_STATUS_VAR_LOCK = 2
LSB_STATUS_NOT_RUNNING = 3
LSB_STATUS_NOT_INSTALLED = 150
LSB_STATUS_INSUFFICIENT_PRIV = 151
LSB_NOT_RUNNING = 7  # highest non-status LSB code that means the same as in OCF


def lsb_to_ocf(action: str, code: int) -> OcfResult:
    """Map an LSB init script's exit code to OCF as Pacemaker's services__lsb2ocf does: status
    (and monitor) have their own codes; other actions share OCF's codes up to 7."""
    if action not in ("status", "monitor"):
        if code < 0 or code > LSB_NOT_RUNNING:
            return OcfResult.OCF_ERR_GENERIC
        return OcfResult(code)
    if code == LSB_STATUS_OK:
        return OcfResult.OCF_SUCCESS
    if code == LSB_STATUS_NOT_INSTALLED:
        return OcfResult.OCF_ERR_INSTALLED
    if code == LSB_STATUS_INSUFFICIENT_PRIV:
        return OcfResult.OCF_ERR_PERM
    if code in (LSB_STATUS_VAR_PID, LSB_STATUS_VAR_LOCK, LSB_STATUS_NOT_RUNNING):
        return OcfResult.OCF_NOT_RUNNING
    return OcfResult.OCF_ERR_GENERIC


@dataclass(frozen=True)
class OpResult:
    """One finished agent invocation, as the LRM and the fencer see it.

    `exit_code` / `signal` are the raw process outcome (None when it never ran or was
    killed); `stdout` / `stderr` keep the head of the output, `*_dropped` counts what was cut.
    """

    rc: OcfResult
    status: ExecStatus
    exit_reason: str = ""
    exit_code: int | None = None
    signal: int | None = None
    exec_ms: int = 0
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_dropped: int = 0
    stderr_dropped: int = 0

    @property
    def ok(self) -> bool:
        """Completed with OCF_SUCCESS."""
        return self.status is ExecStatus.DONE and self.rc is OcfResult.OCF_SUCCESS

    def describe(self) -> str:
        """`OCF_NOT_RUNNING (done)`, `OCF_ERR_GENERIC (timeout: ...)` — for logs and the CLI."""
        text = f"{self.rc.name} ({self.status.name.lower()}"
        return text + (f": {self.exit_reason})" if self.exit_reason else ")")
