"""The LRM actor with its privileged child's actor in this process (over ipc): reports to a
remote requester, the history, missing agents, stonith resources without a fencer, and a child
that stops answering — its op failed (NOT_CONNECTED), later ops held until a child is back."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentDirs, AgentSpec
from actors.crm.lrm import lrm_address
from actors.crm.lrm.actor import GetHistory, LrmActor, OpReport, RunOnce
from actors.crm.lrm.messages import OpRequest
from actors.privileged.agents import AgentsActor
from actors.runtime.actor import Actor
from actors.runtime.host import ProcessHost
from actors.runtime.ref import resolve, spawn
from transport.authkey import ClusterKeys

SCRIPTS = Path(__file__).parents[2] / "agents" / "scripts"
KEYS = ClusterKeys.from_authkey(b"l" * 64)


class Inbox(Actor):
    def __init__(self, seen: list, lock: threading.Lock) -> None:
        super().__init__()
        self.seen, self.lock = seen, lock

    def on_receive(self, message):
        with self.lock:
            self.seen.append(message)


def wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


@pytest.fixture
def node(tmp_path):
    provider = tmp_path / "ocf" / "resource.d" / "test"
    provider.mkdir(parents=True)
    for name in ("badrc", "hang"):
        shutil.copy2(SCRIPTS / name, provider / name)
    sockets = Path(tempfile.mkdtemp(prefix="rl-lrm-"))  # ipc: a restarted child is reconnected
    names = ("privileged", "lrm", "ctl")
    peers = {f"n1/{p}": f"ipc://{sockets}/{p}" for p in names}
    # Refs inside messages resolve through the process's current host: the child's, so that
    # its answers say they come from it, as they do when it is a process of its own.
    hosts = {
        p: ProcessHost(
            node="n1",
            process=p,
            endpoint=peers[f"n1/{p}"],
            keys=KEYS,
            peers=peers,
            make_current=p == "privileged",
        )
        for p in names
    }
    dirs = AgentDirs(ocf_root=tmp_path / "ocf")
    child = spawn(AgentsActor, "n1", dirs, name="agents", on_host=hosts["privileged"])
    spawn(LrmActor, "n1", grace=0.5, name="lrm", on_host=hosts["lrm"])
    seen: list = []
    lock = threading.Lock()
    inbox = spawn(Inbox, seen, lock, name="inbox", on_host=hosts["ctl"])

    class Node:
        lrm = resolve(lrm_address("n1"), host=hosts["ctl"])

        def __init__(self):
            self.child = child

        def reports(self, rsc):
            with lock:
                return [m.record for m in seen if isinstance(m, OpReport) and m.node == "n1"
                        and m.record.rsc_id == rsc]  # fmt: skip

        def request(self, rsc, agent, action, **kw):
            req = OpRequest(rsc, AgentSpec.parse(agent), action, requester=inbox, **kw)
            self.lrm.tell(req)

        def restart_child(self):
            self.child = spawn(AgentsActor, "n1", dirs, name="agents", on_host=hosts["privileged"])

    yield Node()
    for host in reversed(hosts.values()):
        host.close()
    shutil.rmtree(sockets, ignore_errors=True)


def test_reports_reach_a_remote_requester_and_the_history_keeps_them(node):
    node.request("bad", "ocf:test:badrc", "start")
    (record,) = wait_for(lambda: node.reports("bad"))
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.DONE)
    assert record.exit_reason == "configured badly on purpose"
    (history,) = node.lrm.ask(GetHistory(), timeout=10).get()
    assert history.rsc_id == "bad"
    assert [op_id for op_id, _ in history.ops] == ["bad_last_0", "bad_last_failure_0"]


def test_missing_agents_and_stonith_without_a_fencer_fail_cleanly(node):
    missing = OpRequest("x", AgentSpec.parse("ocf:test:nope"), "start")
    record = node.lrm.ask(RunOnce(missing), timeout=30).get().record
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED)
    fence = OpRequest("f", AgentSpec.parse("stonith:fence_dummy"), "start")
    record = node.lrm.ask(RunOnce(fence), timeout=30).get().record
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR)
    assert node.lrm.ask(GetHistory(), timeout=10).get() == ()  # RunOnce leaves nothing behind


def test_a_child_that_stops_answering_fails_the_op_and_holds_the_next_until_it_is_back(
    node, tmp_path
):
    pidfile = tmp_path / "hang.pid"
    node.request("h", "ocf:test:hang", "start", params={"pidfile": str(pidfile)}, timeout_ms=60000)
    wait_for(lambda: pidfile.exists() and len(pidfile.read_text().split()) == 2)  # in flight
    node.child.stop(timeout=10)  # kills the agent; its answer never comes
    (lost,) = wait_for(lambda: node.reports("h"))
    assert (lost.rc, lost.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.NOT_CONNECTED)
    node.request("b", "ocf:test:badrc", "start")
    time.sleep(0.5)  # no child: the op waits (not a timing assertion: nothing may arrive)
    assert node.reports("b") == []
    node.restart_child()
    (record,) = wait_for(lambda: node.reports("b"))
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.DONE)
