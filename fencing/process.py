"""The `fencer` process of every node: its `main` actor starts the node's fencer and watches it.

The fencer is the actor `<node>/fencer/fencer` (`fencer_address`): its registry and history in
the node's state dir (`STATE_DIR/fencing/`, which the supervisor hands to the node's user), its
peers the other nodes' fencers over CPG (`fencing.cpg_peers`), its fence agents run by the node's
privileged child (root) when there is one, else in this process. If the fencer dies, so does
this process, and the node supervisor restarts it (it joins the group again and gets the
registry and history from the others).
"""

from __future__ import annotations

import logging
import os

from actors.agents.execute import RunAgent
from actors.agents.results import ExecStatus, OpResult
from actors.config import NodeConfig, load_config
from actors.errors import UserError
from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.ref import resolve, spawn
from fencing.agents import AgentLocator
from fencing.cpg_peers import CpgPeers
from fencing.device_action import RunAgentFn
from fencing.fencer import Fencer
from fencing.store import FencingStore

try:  # imported here, as root: after the drop to the node's user some paths may be closed
    from actors.privileged import agents_address
    from actors.privileged.client import run_via_child
    from actors.privileged.watch import ChildWatch
except ImportError:  # a ringleader without the privileged child
    run_via_child = None

log = logging.getLogger("ringleader.fencer")

PROCESS = "fencer"
FENCER_ACTOR = "fencer"


def fencer_address(node: str) -> str:
    return f"{node}/{PROCESS}/{FENCER_ACTOR}"


class ChildRunner:
    """Runs fence agents through this node's privileged child (root: the only process allowed
    to kill or power off anything). A `ChildWatch` follows the child: a run whose child died
    meanwhile fails at once (NOT_CONNECTED) instead of at its timeout, so the fence moves on to
    another node or level."""

    def __init__(self, node: str) -> None:
        self.child = resolve(agents_address(node))
        self.watch = ChildWatch(self.child, on_ready=lambda _: None, on_lost=lambda _: None)
        self.watch.start()

    def __call__(self, req: RunAgent) -> OpResult:
        generation = self.watch.generation
        connected = None  # child not known yet (starting): wait for the answer
        if self.watch.identity is not None:
            connected = lambda: self.watch.connected(generation)  # noqa: E731
        ran = run_via_child(self.child, req, connected=connected)
        if ran.result.status is ExecStatus.NOT_CONNECTED:
            self.watch.suspect()
        return ran.result

    def stop(self) -> None:
        self.watch.stop()


def agent_runner(node: str, locator: AgentLocator) -> RunAgentFn:
    """The privileged child's runner; in this process when ringleader has no privileged child."""
    if run_via_child is None:
        log.warning("fencer %s: no privileged child; fence agents run in the fencer", node)
        return locator.run
    return ChildRunner(node)


def checked_store(config: NodeConfig) -> FencingStore:
    """The node's fencing store, which this process (the node's user) must be able to write."""
    store = FencingStore(config.state_dir)
    where = store.dir if store.dir.exists() else config.state_dir
    if not os.access(where, os.W_OK | os.X_OK):
        raise UserError(
            f"{config.path}: the fencer (uid {os.geteuid()}) cannot write {where}: the node "
            "supervisor hands STATE_DIR/fencing to the node's user when started as root; "
            "chown it to that user"
        )
    return store


class FencerProcess(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self.config_path = config_path
        self.config = load_config(config_path)

    def on_start(self) -> None:
        cfg = self.config
        names = {n.id: n.name for n in cfg.nodes}
        locator = AgentLocator(cfg.fence_dirs())

        def link(me):
            return CpgPeers(cfg.node, me, names, config=self.config_path)

        self._runner = agent_runner(cfg.node, locator)
        self._fencer = spawn(
            Fencer, cfg.node, checked_store(cfg), locator, self._runner, link, name=FENCER_ACTOR
        )
        self._fencer.watch(self.ref)

    def on_receive(self, message):
        if isinstance(message, DeathNotice):
            raise RuntimeError(f"fencer actor ended: {message.reason}")
        return super().on_receive(message)

    def on_stop(self) -> None:
        self._fencer.unwatch(self.ref)
        self._fencer.stop(timeout=10.0)
        if isinstance(self._runner, ChildRunner):
            self._runner.stop()
