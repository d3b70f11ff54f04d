"""The fencing registry (devices and topology levels), the same on every node (sans-IO).

Pacemaker keeps devices and levels in the CIB, replicated by it; ours travel over the fencers'
own CPG group and are applied like a replicated state machine:

- A change (`ChangeRegistry` from a local client) is broadcast as a `RegistryUpdate`; every
  member applies it when it is delivered, in agreed order, so all apply the same changes in the
  same order; the node that was asked answers its client only then. Each applied change adds one
  to `version`.
- After a view in which a fencer joined (a node started, or came back after a partition or a
  restart) every member broadcasts its copy (`RegistrySync`, as of that view). Until every
  member's copy is in (members that leave meanwhile are not waited for), a delivered update is
  dropped everywhere (its origin sends it again afterwards), so no copy changes while copies are
  compared. Then all adopt the newest copy: highest version, the digest breaking a tie. A node
  that was down while changes were made thus gets them; changes made in two partitions at once
  are not merged (the side with more changes wins), as with Pacemaker's CIB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from fencing.device import Device
from fencing.messages import (
    Broadcast,
    ChangeRegistry,
    DeviceAdded,
    DeviceRemoved,
    Effect,
    LevelAdded,
    LevelRemoved,
    RegistryChange,
    RegistrySaved,
    RegistrySync,
    RegistryUpdate,
    Reply,
)
from fencing.topology import Level


class Registry:
    def __init__(self, node: str, incarnation: str = "0") -> None:
        self.node = node
        self.incarnation = incarnation
        self.devices: dict[str, Device] = {}
        self.levels: list[Level] = []
        self.version = 0
        self._awaiting: set[str] | None = None  # members whose copy is still to come
        self._copies: list[RegistrySync] = []
        self._pending: dict[str, list] = {}  # id -> [change, reply_to, in flight]
        self._next = 1

    # ---- applied here only (loading from disk, tests) -----------------------------------------

    def load(self, devices: Iterable[Device], levels: Iterable[Level], version: int) -> None:
        self.devices = {d.id: d for d in devices}
        self.levels = sorted(levels, key=lambda lv: (lv.target, lv.index))
        self.version = version

    def apply(self, change: RegistryChange) -> object:
        """Apply one change; the version goes up when something changed."""
        match change:
            case DeviceAdded(device):
                self.devices[device.id] = device
                result: object = device
            case DeviceRemoved(device_id):
                result = self.devices.pop(device_id, None) is not None
            case LevelAdded(level):
                key = (level.target, level.index)
                kept = [lv for lv in self.levels if (lv.target, lv.index) != key]
                self.levels = sorted([*kept, level], key=lambda lv: (lv.target, lv.index))
                result = level
            case LevelRemoved(target, index):
                kept = [lv for lv in self.levels if (lv.target, lv.index) != (target, index)]
                result = len(kept) != len(self.levels)
                self.levels = kept
            case _:
                raise TypeError(f"not a registry change: {change!r}")
        if result is not False:
            self.version += 1
        return result

    def digest(self) -> str:
        """The same for the same devices and levels, whatever order they were added in."""
        devices = [
            (d.id, d.agent, sorted(d.options.items()), sorted(d.agent_actions),
             sorted(d.agent_parameters))
            for d in sorted(self.devices.values(), key=lambda d: d.id)
        ]  # fmt: skip
        levels = [(lv.target, lv.index, lv.devices) for lv in self.levels]
        return hashlib.sha256(repr((devices, levels)).encode()).hexdigest()[:16]

    @property
    def syncing(self) -> bool:
        return self._awaiting is not None

    # ---- replicated ---------------------------------------------------------------------------

    def request(self, msg: ChangeRegistry, effects: list[Effect]) -> None:
        change_id = f"{self.node}.{self.incarnation}.r{self._next}"
        self._next += 1
        self._pending[change_id] = [msg.change, msg.reply_to, False]
        if not self.syncing:
            self._send(change_id, effects)

    def _send(self, change_id: str, effects: list[Effect]) -> None:
        entry = self._pending[change_id]
        entry[2] = True
        effects.append(Broadcast(RegistryUpdate(change_id, self.node, entry[0])))

    def update(self, msg: RegistryUpdate, effects: list[Effect]) -> None:
        mine = self._pending.get(msg.id) if msg.origin == self.node else None
        if self.syncing:  # dropped by every member; the origin sends it again
            if mine is not None:
                mine[2] = False
            return
        result = self.apply(msg.change)
        effects.append(RegistrySaved())
        if mine is not None:
            del self._pending[msg.id]
            effects.append(Reply(mine[1], result))

    def membership(
        self, nodes: tuple[str, ...], joined: Iterable[str], effects: list[Effect]
    ) -> None:
        if set(joined):
            self._awaiting = set(nodes)
            self._copies = []
            effects.append(
                Broadcast(
                    RegistrySync(
                        self.node, self.version, self.digest(),
                        tuple(self.devices.values()), tuple(self.levels),
                    )
                )
            )  # fmt: skip
        elif self._awaiting is not None:
            self._awaiting &= set(nodes)
            self._synced(effects)

    def sync(self, msg: RegistrySync, effects: list[Effect]) -> None:
        if self._awaiting is None:
            return  # a copy sent twice (two views in a row): it was the same copy
        self._copies.append(msg)
        self._awaiting.discard(msg.node)
        self._synced(effects)

    def _synced(self, effects: list[Effect]) -> None:
        if self._awaiting:
            return
        self._awaiting = None
        if self._copies:
            best = max(self._copies, key=lambda c: (c.version, c.digest))
            if (best.version, best.digest) > (self.version, self.digest()):
                self.load(best.devices, best.levels, best.version)
                effects.append(RegistrySaved())
        self._copies = []
        for change_id, (_, _, in_flight) in list(self._pending.items()):
            if not in_flight:
                self._send(change_id, effects)
