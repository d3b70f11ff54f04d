"""The privileged child's `agents` actor in one process: who is served, who is refused, and how
`run_via_child` and `ChildWatch` turn a lost child into failures (never successes)."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from actors.agents.execute import AgentRan, RunAgent
from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentDirs, AgentSpec
from actors.privileged import agents_address
from actors.privileged.agents import AgentsActor, Submit, refusal
from actors.privileged.client import run_via_child
from actors.privileged.identity import ChildIdentity, Identify
from actors.privileged.watch import ChildWatch
from actors.runtime.actor import Actor
from actors.runtime.host import ProcessHost
from actors.runtime.ref import resolve, spawn
from transport.authkey import ClusterKeys

SCRIPTS = Path(__file__).parent.parent / "agents" / "scripts"
KEYS = ClusterKeys.from_authkey(b"k" * 64)
_ids = itertools.count(1)


@pytest.mark.parametrize(
    ("sender", "served"),
    [
        ("n1/lrm/lrm", True),
        ("n1/fencer/thread-3", True),
        ("n1/executive/totem", False),
        ("n1/cli-42/thread-1", False),
        ("n2/lrm/lrm", False),
        ("n1/lrm", False),
        (None, False),
    ],
)
def test_only_this_nodes_lrm_and_fencer_are_served(sender, served):
    assert (refusal(sender, "n1") is None) is served


@pytest.fixture
def node(tmp_path):
    """The child (n1/privileged) with a test OCF root, and a factory of hosts that ask it."""
    provider = tmp_path / "ocf" / "resource.d" / "test"
    provider.mkdir(parents=True)
    for name in ("badrc", "hang"):
        shutil.copy2(SCRIPTS / name, provider / name)
    tag = next(_ids)
    child_ep = f"inproc://priv-test-{tag}"
    hosts = [ProcessHost(node="n1", process="privileged", endpoint=child_ep, keys=KEYS)]
    dirs = AgentDirs(ocf_root=tmp_path / "ocf")
    spawn(AgentsActor, "n1", dirs, name="agents", on_host=hosts[0])

    def asker(node_name: str, process: str):
        host = ProcessHost(
            node=node_name,
            process=process,
            endpoint=f"inproc://asker-{tag}-{node_name}-{process}",
            keys=KEYS,
            peers={"n1/privileged": child_ep},
            make_current=False,
        )
        hosts.append(host)
        hosts[0].add_peer(host.process_key, host.endpoint)  # so the child can answer tells
        return resolve(agents_address("n1"), host=host)

    yield asker
    for host in reversed(hosts):
        host.close()


def badrc(call_id: int = 7) -> RunAgent:
    return RunAgent(call_id, AgentSpec.parse("ocf:test:badrc"), "start", "r1")


def test_the_lrm_gets_its_agent_run(node):
    ran = run_via_child(node("n1", "lrm"), badrc())
    assert ran.call_id == 7
    assert (ran.result.rc, ran.result.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.DONE)
    assert ran.result.exit_reason == "configured badly on purpose"


@pytest.mark.parametrize(("node_name", "process"), [("n1", "executive"), ("n2", "lrm")])
def test_anyone_else_is_refused_with_a_reason(node, node_name, process):
    child = node(node_name, process)
    ran = run_via_child(child, badrc())
    assert (ran.result.rc, ran.result.status) == (OcfResult.OCF_ERR_PERM, ExecStatus.ERROR)
    assert ran.result.exit_reason.startswith(f"refused: sender {node_name}/{process}/")
    with pytest.raises(PermissionError):
        child.ask(Identify(), timeout=10).get()


def test_an_unreachable_child_is_not_connected_never_success():
    with ProcessHost(
        node="n1", process="lrm", endpoint=f"inproc://lonely-{next(_ids)}", keys=KEYS
    ) as host:
        nowhere = resolve(agents_address("n1"), host=host)
        ran = run_via_child(nowhere, badrc(3), grace=1.0)
    assert ran.call_id == 3
    assert (ran.result.rc, ran.result.status) == (
        OcfResult.OCF_ERR_GENERIC,
        ExecStatus.NOT_CONNECTED,
    )


def test_a_run_ends_as_not_connected_as_soon_as_its_child_is_lost(node, tmp_path):
    child = node("n1", "lrm")
    pidfile = tmp_path / "hang.pid"
    hang = RunAgent(
        9, AgentSpec.parse("ocf:test:hang"), "start", "r", {"pidfile": str(pidfile)}, {}, 0, 60000
    )
    lost = threading.Event()
    started = time.monotonic()
    threading.Timer(0.5, lost.set).start()
    ran = run_via_child(child, hang, connected=lambda: not lost.is_set())
    assert ran.result.status is ExecStatus.NOT_CONNECTED and ran.result.rc is not OcfResult(0)
    assert time.monotonic() - started < 30  # not the agent's 60 s timeout


def test_the_watch_follows_the_child_and_a_suspicion_asks_again(node):
    events: list = []
    watch = ChildWatch(node("n1", "lrm"), events.append, lambda why: events.append(why))
    watch.start()
    try:
        deadline = time.monotonic() + 60
        while not events and time.monotonic() < deadline:
            time.sleep(0.02)
        assert events == [ChildIdentity.of(os.getpid())]
        generation = watch.generation
        assert watch.connected(generation)
        watch.suspect()
        while len(events) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert events[1] == "a run could not reach it" and isinstance(events[2], ChildIdentity)
        assert not watch.connected(generation) and watch.connected(watch.generation)
    finally:
        watch.stop()


def test_a_dead_pid_is_not_running():
    assert ChildIdentity.of(2**22 + 1) is None
    me = ChildIdentity.of(os.getpid())
    assert me.running() and not ChildIdentity(me.pid, me.start_ticks + 1).running()


def test_replies_answer_only_the_call_they_belong_to(node):
    child = node("n1", "fencer")
    futures = [child.ask(badrc(i), timeout=30) for i in (11, 12, 13)]
    assert [f.get().call_id for f in futures] == [11, 12, 13]
    assert all(isinstance(f.get(), AgentRan) for f in futures)


class Inbox(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.got: list = []

    def on_receive(self, message):
        if message == "got":
            return list(self.got)
        self.got.append(message)
        return None


@pytest.mark.parametrize(("process", "served"), [("lrm", True), ("crm", False)])
def test_submitted_runs_are_answered_by_a_tell(node, process, served):
    child = node("n1", process)
    inbox = spawn(Inbox, name="inbox", on_host=child._host)
    child.tell(Submit(badrc(21), inbox))
    deadline = time.monotonic() + 60
    while not inbox.ask("got", timeout=10).get() and time.monotonic() < deadline:
        time.sleep(0.02)
    (ran,) = inbox.ask("got", timeout=10).get()
    assert isinstance(ran, AgentRan) and ran.call_id == 21
    want = OcfResult.OCF_ERR_GENERIC if served else OcfResult.OCF_ERR_PERM
    assert ran.result.rc is want
