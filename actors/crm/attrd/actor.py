"""The attribute manager actor (`<node>/crm/attrd`): `AttrdCore` over the CPG group.

Interface: tell `Set(node, name, value)` (value None deletes, "++" increments); tell
`SubscribeAttributes(watcher)`: the watcher is told `Changed(table)` at once and after every
change; ask `GetAttributes()` -> the table (node -> name -> value).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from actors.ais.client.group import GroupLink, GroupMessage, GroupView
from actors.config import load_config
from actors.crm.attrd import ATTRD_GROUP
from actors.crm.attrd.core import AttrdCore, Broadcast, Changed, Delivered, Set, ViewChanged
from actors.runtime.actor import Actor
from transport import serialize

log = logging.getLogger("ringleader.attrd")

CONNECT_RETRY = 0.5


@dataclass(frozen=True)
class SubscribeAttributes:
    watcher: Any  # a Ref


@dataclass(frozen=True)
class GetAttributes:
    pass


class _Connect:
    """Try to join the group (told to itself until the executive serves)."""


def view_change(view: GroupView, names: dict[int, str], before: tuple[str, ...]):
    """A CPG view in node names: (members, joined, left). A node whose member was replaced by a
    new process (a restart) counts as joined, not left."""
    members = tuple(names.get(n, str(n)) for n in view.nodes)
    joined = tuple(sorted({names.get(a.nodeid, str(a.nodeid)) for a in view.joined}))
    left = tuple(n for n in before if n not in members)
    return members, joined, left


class AttrdActor(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self._config_path = config_path
        config = load_config(config_path)
        self._node = config.node
        self._names = {n.id: n.name for n in config.nodes}
        self.core = AttrdCore(self._node)
        self._link: GroupLink | None = None
        self._members: tuple[str, ...] = ()
        self._subscribers: set[Any] = set()
        self._queued: list[Set] = []

    def on_start(self) -> None:
        self.ref.tell(_Connect())

    def on_receive(self, message: Any) -> Any:
        match message:
            case GroupView():
                members, joined, left = view_change(message, self._names, self._members)
                self._members = members
                self._apply(self.core.handle(ViewChanged(members, left, joined)))
            case GroupMessage(_, nodeid, _, data):
                if isinstance(data, bytes):
                    sender = self._names.get(nodeid, str(nodeid))
                    self._apply(self.core.handle(Delivered(sender, serialize.loads(data))))
            case Set():
                if self._link is None:
                    self._queued.append(message)
                else:
                    self._apply(self.core.handle(message))
            case SubscribeAttributes(watcher):
                self._subscribers.add(watcher)
                watcher.tell(Changed(self.core.table()))
            case GetAttributes():
                return self.core.table()
            case _Connect():
                self._connect()
            case _:
                return super().on_receive(message)
        return None

    def _connect(self) -> None:
        if self._link is not None:
            return
        try:
            self._link = GroupLink(ATTRD_GROUP, self.ref, config=self._config_path)
        except Exception as exc:  # noqa: BLE001 - the executive is not serving yet
            log.debug("%s: attrd cannot join %s yet: %s", self._node, ATTRD_GROUP, exc)
            self.host.timers.schedule(CONNECT_RETRY, self.ref, _Connect())
            return
        queued, self._queued = self._queued, []
        for event in queued:
            self._apply(self.core.handle(event))

    def _apply(self, effects: list) -> None:
        for effect in effects:
            match effect:
                case Broadcast(payload):
                    assert self._link is not None
                    self._link.mcast(serialize.dumps(payload))  # opaque to the executive
                case Changed():
                    for watcher in list(self._subscribers):
                        watcher.tell(effect)

    def on_stop(self) -> None:
        if self._link is not None:
            self._link.close()
