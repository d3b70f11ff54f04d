"""Which privileged child is running: its pid plus the pid's start time, checked in /proc.

The LRM watches its child this way (not by asking it): a SIGKILLed child sends no death notice,
and an ask to a busy child could time out while it is fine. A pid reused by another process has
another start time, and a zombie the supervisor has not reaped yet counts as gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.runtime.procfs import pid_alive, start_time


@dataclass(frozen=True)
class Identify:
    """Ask the child who it is; answered with `ChildIdentity`."""


@dataclass(frozen=True)
class ChildIdentity:
    pid: int
    start_ticks: int  # field 22 of /proc/PID/stat: when the kernel started that pid

    @classmethod
    def of(cls, pid: int) -> ChildIdentity | None:
        """The identity of the live process `pid`, or None (gone or a zombie)."""
        started = start_time(pid)
        if started is None or not pid_alive(pid):
            return None
        return cls(pid, started)

    def running(self) -> bool:
        """This very process is still there."""
        return ChildIdentity.of(self.pid) == self
