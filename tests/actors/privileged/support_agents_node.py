"""A real one-node cluster whose privileged child finds test agents, and a client for its LRM.

`agents_node(directory)` builds a test OCF root (the Debian agents the tests drive, copied so
they resolve inside it, plus our own `ocf:test:*` agents) configured through the node's
[agents] table, and starts the node (the `node` fixture: import it with `client` and `work`
into a test module). `LrmClient` is a process of the test's own, reachable by
the LRM (it says where with `Introduce`), whose `inbox` actor collects `OpReport`s.
(Imported by tests in other directories through sys.path: a uniquely named module.)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from actors.cli import main as cli_main
from actors.commands.cluster import cluster_down, cluster_up
from actors.config import NodeConfig, load_config
from actors.crm.lrm import lrm_address
from actors.crm.lrm.actor import Introduce, OpReport, RunOnce
from actors.crm.lrm.messages import OpRequest
from actors.runtime.actor import Actor
from actors.runtime.host import ProcessHost
from actors.runtime.ref import resolve, spawn
from transport.authkey import ClusterKeys

_clients = itertools.count(1)
SYSTEM_OCF = Path("/usr/lib/ocf")
DEBIAN_AGENTS = ("heartbeat/Dummy", "heartbeat/anything", "pacemaker/Dummy", "pacemaker/Stateful")
AGENT_SCRIPTS = Path(__file__).parent.parent / "agents" / "scripts"  # hang, forker, badrc, ...
OWN_AGENTS = {
    # writes the uid it runs as (real and effective) to $OCF_RESKEY_out
    "whoami": '#!/bin/sh\necho "$(id -ru) $(id -u)" > "$OCF_RESKEY_out"\nexit 0\n',
    # sleeps `seconds` then succeeds; its pid goes to $OCF_RESKEY_pidfile
    "sleeper": '#!/bin/sh\necho $$ > "$OCF_RESKEY_pidfile"\nsleep "$OCF_RESKEY_seconds"\nexit 0\n',
}


def make_ocf_root(root: Path) -> Path:
    """An OCF root with the agent library, the Debian agents and the test agents (ocf:test)."""
    shutil.copytree(SYSTEM_OCF / "lib", root / "lib", symlinks=True)
    for agent in DEBIAN_AGENTS:
        target = root / "resource.d" / agent
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SYSTEM_OCF / "resource.d" / agent, target)
    for helper in (SYSTEM_OCF / "resource.d" / "heartbeat").glob(".ocf-*"):  # sourced
        shutil.copy2(helper, root / "resource.d" / "heartbeat" / helper.name)
    test = root / "resource.d" / "test"
    test.mkdir(parents=True)
    for script in AGENT_SCRIPTS.iterdir():
        shutil.copy2(script, test / script.name)
    for name, text in OWN_AGENTS.items():
        (test / name).write_text(text)
        (test / name).chmod(0o755)
    return root


def debian_agents_installed() -> bool:
    return all((SYSTEM_OCF / "resource.d" / a).exists() for a in DEBIAN_AGENTS)


@contextlib.contextmanager
def agents_node(directory: Path) -> Iterator[NodeConfig]:
    """Node 1 of a one-node ipc cluster in `directory`, agents from a test OCF root there."""
    root = make_ocf_root(directory / "ocf")
    os.chmod(directory, 0o755)
    extra = f'\n[agents]\nocf_root = "{root}"\n'
    paths = cluster_up(directory, 1, "ipc", timeout=60.0, extra=extra)
    try:
        config = load_config(paths[0])
        wait_for(lambda: all_running(config), 120.0, "every process of the node")
        # The node's controller would stop what the tests run through the LRM directly, as
        # Pacemaker stops resources its CIB does not configure: tell it to leave them alone.
        orphans = ["property", "set", "stop-orphan-resources=false", "--config", str(paths[0])]
        assert cli_main(orphans) == 0
        yield config
    finally:
        cluster_down(directory)


def all_running(config: NodeConfig) -> dict | None:
    """The node's children once every built-in process runs (the ring forms as soon as the
    executive does; the supervisor starts the others after it, one by one)."""
    from actors.config import BUILTIN_PROCESSES
    from actors.node import node_status
    from actors.runtime.errors import ActorUnreachable

    try:
        children = node_status(config, timeout=30.0)
    except ActorUnreachable:
        return None
    wanted = {p.name for p in BUILTIN_PROCESSES}
    alive = {name for name, status in children.items() if status.alive}
    return children if wanted <= alive else None


@pytest.fixture(scope="module")
def node():
    """A running node with the test agents (one per test module that imports this)."""
    directory = Path(tempfile.mkdtemp(prefix="rl-agents-node-"))
    try:
        with agents_node(directory) as config:
            yield config
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def client(node):
    c = LrmClient(node)
    yield c
    c.close()


@pytest.fixture
def work():
    """A scratch dir the agents (root) and the test can both use."""
    path = Path(tempfile.mkdtemp(prefix="rl-agents-work-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Inbox(Actor):
    def __init__(self, client: LrmClient) -> None:
        super().__init__()
        self._client = client

    def on_receive(self, message):
        with self._client.lock:
            self._client.received.append(message)
        return None


class LrmClient:
    """A process of the test's own that the node's LRM can reach (ipc, handed to its user)."""

    def __init__(self, config: NodeConfig, process: str = "lrm-test") -> None:
        self.config = config
        self._dir = tempfile.mkdtemp(prefix="rl-lrm-client-")
        self.host = ProcessHost(
            node=config.node,
            process=f"{process}-{os.getpid()}-{next(_clients)}",
            endpoint=f"ipc://{self._dir}/h",
            keys=ClusterKeys.from_file(config.authkey),
            peers=config.peers(),
            make_current=False,
        )
        self.lock = threading.Lock()
        self.received: list = []
        self.inbox = spawn(Inbox, self, name="inbox", on_host=self.host)
        owner = os.stat(config.run_dir)
        if os.geteuid() == 0 and owner.st_uid != 0:
            for path in (Path(self._dir), *Path(self._dir).iterdir()):
                os.chown(path, owner.st_uid, owner.st_gid)
        self.lrm = resolve(lrm_address(config.node), host=self.host)
        self.lrm.tell(Introduce(self.inbox, self.host.endpoint.url))

    def reports(self, rsc_id: str | None = None) -> list:
        with self.lock:
            return [
                m.record
                for m in self.received
                if isinstance(m, OpReport) and rsc_id in (None, m.record.rsc_id)
            ]

    def request(self, req: OpRequest) -> None:
        self.lrm.tell(req if req.requester else _with_requester(req, self.inbox))

    def run(self, req: OpRequest, timeout: float = 60.0):
        """Request a one-shot op and wait for its report (the next one for this resource)."""
        before = len(self.reports(req.rsc_id))
        self.request(req)
        reports = wait_for(
            lambda: (r := self.reports(req.rsc_id))[before:] and r,
            timeout,
            f"{req.rsc_id} {req.action}",
        )
        return reports[before]

    def run_once(self, req: OpRequest, timeout: float = 60.0):
        """The same through `RunOnce` (an ask; nothing stays in the LRM's history)."""
        return self.lrm.ask(RunOnce(req), timeout=timeout).get().record

    def close(self) -> None:
        self.host.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def _with_requester(req: OpRequest, ref) -> OpRequest:
    from dataclasses import replace

    return replace(req, requester=ref)
