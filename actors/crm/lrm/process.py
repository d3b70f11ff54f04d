"""The `lrm` process of every node: its `main` actor starts the LRM actor (`lrm_address`).

Started by the node supervisor after the privileged child, as the node's unprivileged user. If
the LRM actor dies, so does this process, and the supervisor restarts it (with an empty
history: the controller then re-probes, as after a Pacemaker executor restart).
"""

from __future__ import annotations

from actors.config import load_config
from actors.crm.lrm import LRM_ACTOR
from actors.crm.lrm.actor import LrmActor
from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.ref import spawn


class LrmProcess(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self._node = load_config(config_path).node

    def on_start(self) -> None:
        self._lrm = spawn(LrmActor, self._node, name=LRM_ACTOR)
        self._lrm.watch(self.ref)

    def on_receive(self, message):
        if isinstance(message, DeathNotice):
            raise RuntimeError(f"lrm actor ended: {message.reason}")
        return super().on_receive(message)

    def on_stop(self) -> None:
        self._lrm.unwatch(self.ref)
        self._lrm.stop(timeout=10.0)
