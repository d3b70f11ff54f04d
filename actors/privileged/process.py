"""The `privileged` process of every node: its `main` actor starts the `agents` actor.

The node supervisor starts it right after the executive and lets it keep root (it is the only
`privileged=True` built-in process); its endpoint is always ipc in the node's 0700 run dir (see
`actors.config.LOCAL_ONLY`). Its sockets are handed to the node's user, so the unprivileged LRM
and fencer can connect, and nobody else can reach the directory. If the `agents` actor dies, so
does this process, and the supervisor restarts it.
"""

from __future__ import annotations

import logging
import os

from actors.agents.pacemaker_tools import tools_env
from actors.config import NodeConfig, load_config
from actors.privileged import AGENTS_ACTOR
from actors.privileged.agents import AgentsActor
from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.privileges import default_user
from actors.runtime.ref import spawn

log = logging.getLogger("ringleader.privileged")
LEDGER_DIR = "privileged.agents"  # in the run dir: the agents running now (see RunLedger)


class PrivilegedChild(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self.config = load_config(config_path)
        self.config_path = config_path

    def on_start(self) -> None:
        cfg = self.config
        dirs = cfg.agent_dirs()
        self._agents = spawn(
            AgentsActor,
            cfg.node,
            dirs,
            cfg.fence_dirs(),
            ledger_dir=cfg.run_dir / LEDGER_DIR,
            node_env=tools_env(self.config_path),
            name=AGENTS_ACTOR,
        )
        self._agents.watch(self.ref)
        _hand_sockets_to_node_user(self.host, cfg)
        log.info(
            "privileged child (uid %d): agents from %s, %s, %s",
            os.geteuid(),
            dirs.ocf_root,
            dirs.lsb_dir,
            ", ".join(map(str, cfg.fence_dirs())),
        )

    def on_receive(self, message):
        if isinstance(message, DeathNotice):
            raise RuntimeError(f"agents actor ended: {message.reason}")
        return super().on_receive(message)

    def on_stop(self) -> None:
        self._agents.unwatch(self.ref)
        self._agents.stop(timeout=10.0)


def _hand_sockets_to_node_user(host, cfg: NodeConfig) -> None:
    """Root's ipc socket files, owned by the user the rest of the node runs as (connecting to
    a unix socket takes write permission on it)."""
    if os.geteuid() != 0:
        return
    import pwd

    entry = pwd.getpwnam(cfg.user or default_user())
    endpoints = [host.endpoint] + [host.bound_endpoint(n) for n in host.local_names()]
    for endpoint in endpoints:
        if endpoint is not None and endpoint.scheme == "ipc":
            os.chown(endpoint.address, entry.pw_uid, entry.pw_gid)
