"""Fencing registrations and history on disk, in the node's state dir (`STATE_DIR/fencing/`).

`devices.json` and `levels.json` hold what `ringleader fence register` / `fence level add` said,
so they survive restarts, and `registry.json` their version (how many changes made them, see
`fencing.registry`: the newest copy wins when nodes meet); `history.json` keeps the last fencing
events (Pacemaker keeps them in memory only; we keep them so `fence history` answers after a
standalone run, and after a restart).
Every file is written whole and atomically (temporary file, fsync, rename), mode 0600 in a 0700
dir because device options hold passwords; read-modify-write runs under an flock, so two
commands at once cannot lose an update.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from actors.errors import UserError
from fencing.device import Device
from fencing.messages import Attempt, FenceEvent, FenceState
from fencing.topology import Level


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` with `text` so a reader sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FencingStore:
    def __init__(self, state_dir: Path | str) -> None:
        self.dir = Path(state_dir) / "fencing"

    def _path(self, name: str) -> Path:
        return self.dir / name

    def _read(self, name: str) -> list:
        path = self._path(name)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: unreadable ({exc})") from None
        if not isinstance(data, list):
            raise UserError(f"{path}: expected a JSON list")
        return data

    def _write(self, name: str, data: list) -> None:
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(self._path(name), json.dumps(data, indent=1, sort_keys=True) + "\n")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock (for a load, change, save)."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._path(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # ---- devices and levels -------------------------------------------------------------------

    def load_devices(self) -> list[Device]:
        where = self._path("devices.json")
        try:
            return [
                Device(
                    d["id"],
                    d["agent"],
                    dict(d["options"]),
                    frozenset(d["agent_actions"]),
                    frozenset(d["agent_parameters"]),
                )
                for d in self._read("devices.json")
            ]
        except (KeyError, TypeError) as exc:
            raise UserError(f"{where}: malformed device entry ({exc})") from None

    def save_devices(self, devices: list[Device]) -> None:
        self._write(
            "devices.json",
            [
                {
                    "id": d.id,
                    "agent": d.agent,
                    "options": dict(d.options),
                    "agent_actions": sorted(d.agent_actions),
                    "agent_parameters": sorted(d.agent_parameters),
                }
                for d in sorted(devices, key=lambda d: d.id)
            ],
        )

    def load_levels(self) -> list[Level]:
        where = self._path("levels.json")
        try:
            return [
                Level(lv["target"], int(lv["index"]), tuple(lv["devices"]))
                for lv in self._read("levels.json")
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{where}: malformed level entry ({exc})") from None

    def save_levels(self, levels: list[Level]) -> None:
        self._write("levels.json", [asdict(lv) for lv in levels])

    def load_version(self) -> int:
        path = self._path("registry.json")
        try:
            return int(json.loads(path.read_text())["version"])
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{path}: unreadable registry version ({exc})") from None

    def save_registry(self, devices: list[Device], levels: list[Level], version: int) -> None:
        """Devices, levels, then the version (a crash in between leaves an older version:
        the copy loses to the others' at the next sync, which is right)."""
        self.save_devices(devices)
        self.save_levels(levels)
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(self._path("registry.json"), json.dumps({"version": version}) + "\n")

    def hand_to(self, user: str) -> None:
        """Make the fencing dir (and what is in it) the node user's: the fencer runs as that
        user, while the supervisor and a standalone command run as root. Root only."""
        import pwd

        if os.geteuid() != 0:
            return
        entry = pwd.getpwnam(user)
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (self.dir, *self.dir.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    # ---- history -------------------------------------------------------------------------------

    def load_history(self) -> list[FenceEvent]:
        events = []
        for raw in self._read("history.json"):
            try:
                raw = dict(raw)
                raw["state"] = FenceState(raw["state"])
                raw["devices"] = tuple(raw.get("devices", ()))
                raw["attempts"] = tuple(Attempt(**a) for a in raw.get("attempts", ()))
                events.append(FenceEvent(**raw))
            except (KeyError, TypeError, ValueError):
                continue  # an entry from another version: history is advisory
        return events

    def save_history(self, events: list[FenceEvent]) -> None:
        self._write("history.json", [asdict(e) for e in events])
