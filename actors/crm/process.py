"""The `crm` process of every node: its `main` actor starts the resource manager's actors.

`CRM_ACTORS` lists them in start order, as (name, class); each is built as `Class(config_path)`
and named `name` (reachable as `<node>/crm/<name>`). Add an actor with one line at the end, and
its import at the top: the classes are imported before the process drops root (a dropped process
may not be able to read the Python installation to import them later). They are stopped in
reverse order. If any of them dies, so does this process, and the node supervisor restarts it
(the CIB reloads its disk copy and resynchronises with the group).
"""

from __future__ import annotations

from actors.crm.attrd import ATTRD_ACTOR
from actors.crm.attrd.actor import AttrdActor
from actors.crm.cib.actor import CibActor
from actors.crm.cib.messages import CIB_ACTOR
from actors.crm.controller import CONTROLLER_ACTOR
from actors.crm.controller.actor import Controller
from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.ref import spawn

CRM_ACTORS: tuple[tuple[str, type[Actor]], ...] = (
    (CIB_ACTOR, CibActor),
    (ATTRD_ACTOR, AttrdActor),
    (CONTROLLER_ACTOR, Controller),
)


class CrmProcess(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self._config_path = config_path
        self._children: list = []

    def on_start(self) -> None:
        for name, actor_class in CRM_ACTORS:
            child = spawn(actor_class, self._config_path, name=name)
            child.watch(self.ref)
            self._children.append(child)

    def on_receive(self, message):
        if isinstance(message, DeathNotice):
            raise RuntimeError(f"crm actor {message.address} ended: {message.reason}")
        return super().on_receive(message)

    def on_stop(self) -> None:
        for child in reversed(self._children):
            child.unwatch(self.ref)
            child.stop(timeout=10.0)
