"""The executive on real processes: 3 node supervisors on ipc form one totem ring; killing a
node, restarting it, partitioning and healing change the ring as they should; CPG clients
multicasting meanwhile see views and messages the CPG checker accepts, and the executives' own
EVS event logs pass the simulator's extended-virtual-synchrony checker."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from actors.ais.cpg.checker import Life, check
from actors.ais.cpg.messages import ConfchgCallback, CpgReason, Join, Mcast
from actors.ais.effects import Callback, ClientRequest, Reply
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.executive.messages import GetEvsLog
from actors.ais.executive.totem_actor import TRACE_ENV
from actors.ais.quorum.messages import GetStatus
from actors.ais.sim import checker as evs_checker
from actors.ais.sim.simulator import IncarnationLog
from actors.commands.cluster import (
    cluster_down,
    cluster_up,
    ring_views,
    start_node,
    wait_for_ring,
)
from actors.config import load_config
from actors.node import read_pid
from actors.runtime.host import ProcessHost, SetFaults
from actors.runtime.ref import resolve
from transport.authkey import ClusterKeys
from transport.faults import FaultPlan

pytestmark = pytest.mark.cluster

CLIENT = Path(__file__).with_name("cpg_log_client.py")
DEADLINE = 60.0


def wait_for(predicate, timeout: float = DEADLINE, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 - not there yet
            last = exc
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture
def cluster(monkeypatch):
    monkeypatch.setenv(TRACE_ENV, "1")  # the executives keep their EVS events for the checker
    directory = Path(tempfile.mkdtemp(prefix="rl-exec-"))
    clients: list[subprocess.Popen] = []
    try:
        configs = cluster_up(directory, 3, "ipc", timeout=DEADLINE)
        yield directory, configs, clients
    finally:
        for proc in clients:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


def start_client(directory: Path, config: Path, name: str, clients: list) -> Path:
    out = directory / f"{name}.trace"
    proc = subprocess.Popen(
        [sys.executable, str(CLIENT), str(config), "g", str(out), str(directory / "stop")],
        stdout=subprocess.DEVNULL,
    )
    clients.append(proc)
    wait_for(lambda: Path(str(out) + ".joined").exists(), what=f"{name} joined")
    return out


def group_pids(config: Path, group: str) -> set[int]:
    """The members of `group` as `config`'s node has delivered them."""
    from actors.ais.client import CpgClient

    with CpgClient(config=str(config), timeout=10.0) as client:
        return {m.pid for m in client.membership_get(group)}


def quorum_status(config: Path):
    from actors.ais.client import QuorumClient

    with QuorumClient(config=str(config), timeout=10.0) as client:
        return client.call(GetStatus())


def set_faults(configs: list[Path], node: str, blocked: set[str]) -> None:
    """Block frames from `blocked` nodes at every process of `node` (one way)."""
    cfg = load_config(configs[0])
    plan = FaultPlan()
    plan.partition(blocked)
    with ProcessHost(
        node="test",
        process=f"faults-{os.getpid()}",
        endpoint=f"inproc://faults-{os.getpid()}-{time.monotonic_ns()}",
        keys=ClusterKeys.from_file(cfg.authkey),
        peers=cfg.peers(),
        make_current=False,
    ) as host:
        for process in ("supervisor", "executive"):
            resolve(f"{node}/{process}/_host", host=host).ask(SetFaults(plan), timeout=10).get()


def evs_logs(configs: list[Path]) -> list[IncarnationLog]:
    """Every running executive's EVS events, as the simulator's checker takes them."""
    cfg = load_config(configs[0])
    logs = []
    with ProcessHost(
        node="test",
        process=f"evs-{os.getpid()}",
        endpoint=f"inproc://evs-{os.getpid()}-{time.monotonic_ns()}",
        keys=ClusterKeys.from_file(cfg.authkey),
        peers=cfg.peers(),
        make_current=False,
    ) as host:
        for c in configs:
            node = load_config(c).node
            ref = resolve(f"{node}/executive/totem", host=host)
            node_id, inc, events = ref.ask(GetEvsLog(), timeout=30).get()
            logs.append(IncarnationLog(node_id, inc, list(events)))
    return logs


def life_of(path: Path) -> Life:
    """A client's trace as the CPG checker wants it: requests, replies, and each callback
    preceded by the EVS event that caused it."""
    data = pickle.loads(path.read_bytes())
    items: list = []
    conn = "c"
    ops = {}
    for entry in data["trace"]:
        if entry[0] == "request":
            ops[entry[1]] = entry[2]
            items.append(ClientRequest(conn, entry[1], entry[2]))
        elif entry[0] == "reply":
            if entry[2]:
                items.append(Reply(conn, entry[1], None))
        else:
            _, payload, cause = entry
            if len(cause) == 2 and isinstance(cause[0], str):
                items.append(ConfigurationChange(cause[0], cause[1], ()))
            elif len(cause) == 2:
                items.append(Delivery(cause[0], 0, cause[1], None))
            items.append(Callback(conn, payload))
    assert any(isinstance(op, Join) for op in ops.values())
    return Life(data["node"], items)


def confchgs(path: Path) -> list[ConfchgCallback]:
    data = pickle.loads(path.read_bytes())
    return [e[1] for e in data["trace"] if e[0] == "callback" and type(e[1]) is ConfchgCallback]


def test_three_nodes_form_one_ring(cluster):
    _, configs, _ = cluster
    views = ring_views(configs)
    assert set(views) == {"node1", "node2", "node3"}
    assert {v.ring_id for v in views.values()} == {views["node1"].ring_id}
    assert all(v.members == (1, 2, 3) and v.operational for v in views.values())
    status = quorum_status(configs[0])
    assert status.quorate and status.total_votes == 3


def test_kill_restart_partition_heal_with_cpg_traffic(cluster):
    directory, configs, clients = cluster
    traces = [
        start_client(directory, configs[0], "c1", clients),
        start_client(directory, configs[1], "c2", clients),
    ]
    doomed = start_client(directory, configs[2], "c3-doomed", clients)
    doomed_proc = clients.pop()
    doomed_pid = doomed_proc.pid
    # Its join is agreed at node3 when it says "joined"; node1 may not have delivered it yet,
    # and a join node3 alone delivered dies with node3 (allowed by EVS): wait for node1's view.
    wait_for(lambda: doomed_pid in group_pids(configs[0], "g"), what="node1 sees c3-doomed")
    # SIGKILL node3's supervisor: its executive dies with it; the survivors form a new ring,
    # and node1's client sees node3's member leave with NODEDOWN.
    node3 = load_config(configs[2])
    os.kill(read_pid(node3), signal.SIGKILL)
    doomed_proc.kill()  # the application on node3 goes down with its machine
    doomed_proc.wait(10)
    wait_for_ring(configs[:2], members=(1, 2), timeout=DEADLINE)
    assert not doomed.exists()
    # restart: node3 comes back as a new incarnation
    wait_for(lambda: read_pid(node3) is None, what="node3 supervisor gone")
    start_node(configs[2])
    wait_for_ring(configs, timeout=DEADLINE)
    traces.append(start_client(directory, configs[2], "c3", clients))
    # partition {1, 2} | {3}, both ways, at every process of the nodes involved
    set_faults(configs, "node3", {"node1", "node2"})
    set_faults(configs, "node1", {"node3"})
    set_faults(configs, "node2", {"node3"})
    wait_for_ring(configs[:2], members=(1, 2), timeout=DEADLINE)
    wait_for_ring(configs[2:], members=(3,), timeout=DEADLINE)
    wait_for(lambda: quorum_status(configs[0]).quorate, what="majority quorate")
    wait_for(lambda: not quorum_status(configs[2]).quorate, what="minority not quorate")
    # heal: one ring again
    for i in (1, 2, 3):
        set_faults(configs, f"node{i}", set())
    wait_for_ring(configs, timeout=DEADLINE)
    wait_for(lambda: quorum_status(configs[2]).quorate, what="node3 quorate again")
    time.sleep(0.5)  # not synchronisation: lets traffic run in the healed ring a while
    (directory / "stop").touch()
    for proc in clients:
        assert proc.wait(60) == 0
    lives = [life_of(p) for p in traces]
    assert check(lives, complete=True) == []
    # extended virtual synchrony over the executives' own event logs (node3's second life)
    logs = evs_logs(configs)
    assert evs_checker.check(logs, final_members=(1, 2, 3)) == []
    regular = [e for e in logs[0].events if type(e) is ConfigurationChange and e.kind == "regular"]
    assert len(regular) >= 5  # formed, node3 killed, back, partitioned, healed
    assert sum(type(e) is Delivery for e in logs[0].events) > 10
    seen = [(a.pid, a.reason) for cb in confchgs(traces[0]) for a in (*cb.left, *cb.joined)]
    assert (doomed_pid, CpgReason.NODEDOWN) in seen  # the SIGKILLed node
    c3_pid = pickle.loads(traces[2].read_bytes())["pid"]
    assert (c3_pid, CpgReason.NODEDOWN) in seen  # the partition
    assert (c3_pid, CpgReason.NODEUP) in seen  # the heal
    sent = [op for op in (e for e in pickle.loads(traces[0].read_bytes())["trace"])]
    assert any(e[0] == "request" and isinstance(e[2], Mcast) for e in sent)


def test_a_killed_executive_is_restarted_and_rejoins(cluster):
    from actors.ais.client import CpgClient
    from actors.ais.errors import AisError, AisErrorCode
    from actors.node import node_status
    from actors.runtime.errors import ActorUnreachable, AskTimeout

    _, configs, _ = cluster
    node2 = load_config(configs[1])
    with CpgClient(config=str(configs[1]), timeout=20.0) as cpg:
        cpg.join("x", pid=1)
        old = node_status(node2, timeout=60.0)["executive"].pid  # after its children started
        os.kill(old, signal.SIGKILL)

        def restarted() -> bool:
            try:  # the supervisor is busy restarting (its other children follow the executive)
                return node_status(node2, timeout=30.0)["executive"].pid not in (None, old)
            except (AskTimeout, ActorUnreachable):
                return False

        wait_for(restarted, what="executive restarted")
        wait_for_ring(configs, timeout=DEADLINE)
        with pytest.raises(AisError) as info:  # the new executive does not know the handle
            cpg.local_get()
        assert info.value.code == AisErrorCode.BAD_HANDLE
    with CpgClient(config=str(configs[1]), timeout=20.0) as cpg:
        assert cpg.local_get() == 2


def test_a_tcp_cluster_forms_a_ring_and_carries_cpg():
    from actors.ais.client import CpgClient

    directory = Path(tempfile.mkdtemp(prefix="rl-exec-tcp-"))
    try:
        configs = cluster_up(directory, 3, "tcp", timeout=DEADLINE)
        got = []
        with CpgClient(deliver=got.append, config=str(configs[2]), timeout=20.0) as cpg:
            cpg.join("tcp")
            cpg.mcast_joined("over tcp", retry=20)
            wait_for(lambda: cpg.dispatch(0.1) >= 0 and got, what="delivery")
            assert got[0].data == "over tcp" and got[0].nodeid == 3
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)
