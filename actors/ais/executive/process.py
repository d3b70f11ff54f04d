"""The `executive` process of every node: its `main` actor starts the totem actor and stops it.

The node supervisor runs it before the configured processes (`actors.node`); the actor gets the
path of the node configuration and reads what totem and the services need from it.
"""

from __future__ import annotations

from actors.ais.executive.links import TOTEM_ACTOR
from actors.ais.executive.services import ExecutiveSettings
from actors.ais.executive.totem_actor import TotemActor
from actors.config import NodeConfig, load_config
from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.ref import spawn


def settings_from(config: NodeConfig) -> ExecutiveSettings:
    me = config.me
    return ExecutiveSettings(
        node_id=me.id,
        node_name=config.node,
        address=me.host,
        names={n.id: n.name for n in config.nodes},
        state_dir=str(config.run_dir),
        totem=config.totem_config(),
        quorum=config.quorum_config(),
    )


class Executive(Actor):
    """The process's main actor; if the totem actor dies, so does this one (and the process,
    which the node supervisor then restarts: the node rejoins as a new incarnation)."""

    def __init__(self, config_path: str) -> None:
        super().__init__()
        self._settings = settings_from(load_config(config_path))

    def on_start(self) -> None:
        self._totem = spawn(TotemActor, self._settings, name=TOTEM_ACTOR)
        self._totem.watch(self.ref)

    def on_receive(self, message):
        if isinstance(message, DeathNotice):
            raise RuntimeError(f"totem actor ended: {message.reason}")
        return super().on_receive(message)

    def on_stop(self) -> None:
        self._totem.unwatch(self.ref)
        self._totem.stop(timeout=5.0)
