"""The agents running now, on disk: so a privileged child that replaces one that died can end
the agents its predecessor left running.

Agents run in sessions of their own, so when the child that started them is SIGKILLed nothing
stops them, while the LRM has already reported their operations failed (NOT_CONNECTED) and the
cluster may recover the resource elsewhere. `AgentService.stop` kills running groups on a clean
stop; this ledger gives a restarted child the same reach over a crashed one's agents.

One empty file per running agent, named `<pgid>-<start time>`, in a directory that only the
child's own user may write: it is checked before it is believed, because it lies in the node's
run dir, which belongs to the unprivileged node user, who could otherwise plant names for root
to kill. A recorded group is killed only while its leader is gone (a pid still in use as a group
id is never handed out again) or is the very process recorded (same start time).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import stat
from pathlib import Path

from actors.runtime.procfs import start_time

log = logging.getLogger("ringleader.privileged")


class RunLedger:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._names: dict[int, str] = {}

    def prepare(self) -> list[int]:
        """Make the directory trustworthy, kill the groups a previous child left running, and
        forget them; returns the group ids killed."""
        trusted = self._trusted()
        if trusted is None:
            self.directory.mkdir(mode=0o700)
            return []
        if not trusted:
            log.warning(
                "%s: not this user's private directory; ignored and replaced", self.directory
            )
            _remove(self.directory)
            self.directory.mkdir(mode=0o700)
            return []
        killed = []
        for entry in os.listdir(self.directory):
            pgid, started = _parse(entry)
            if pgid is not None and _same_group(pgid, started) and _kill_group(pgid):
                killed.append(pgid)
                log.warning("killed agent group %d, left running by a previous child", pgid)
            try:
                os.unlink(self.directory / entry)
            except OSError:
                pass
        return killed

    def add(self, pgid: int) -> None:
        """Record a running agent's group (from the thread that waits for it)."""
        name = f"{pgid}-{start_time(pgid) or 0}"
        try:
            os.close(
                os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            )
        except OSError as exc:
            log.warning("%s: cannot record agent group %d: %s", self.directory, pgid, exc)
            return
        self._names[pgid] = name

    def remove(self, pgid: int) -> None:
        """The agent ended (its group, if anything of it is left, is no longer ours to kill)."""
        name = self._names.pop(pgid, None)
        if name is not None:
            try:
                os.unlink(self.directory / name)
            except OSError:
                pass

    def _trusted(self) -> bool | None:
        """None: no directory yet; True: a directory of ours nobody else may write."""
        try:
            st = os.lstat(self.directory)
        except FileNotFoundError:
            return None
        return (
            stat.S_ISDIR(st.st_mode)
            and st.st_uid == os.geteuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        )


def _parse(entry: str) -> tuple[int | None, int]:
    pgid, _, started = entry.partition("-")
    if not (pgid.isdigit() and started.isdigit()) or int(pgid) <= 1:
        return None, 0
    return int(pgid), int(started)


def _same_group(pgid: int, started: int) -> bool:
    """The group recorded, not another that reuses its id: its leader is gone, or unchanged."""
    now = start_time(pgid)
    return now is None or now == started


def _kill_group(pgid: int) -> bool:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _remove(path: Path) -> None:
    """Take away what stands where the ledger must be (never following a symlink)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)
