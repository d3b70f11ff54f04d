"""The controller on a real 3-node cluster (every node's executive, LRM, fencer, CIB, attribute
manager and controller as processes; real ocf:heartbeat:Dummy agents).

Each Dummy keeps its state file in the state dir of the node it runs on (an instance attribute
set per node, by rule), so the audit reads the agents' own state, not the cluster's belief:
after every step no resource may be active on two nodes, a killed node counting as active until
it is fenced (fence_ringleader; its state files are then wiped, as a reboot clears /run).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from support_cluster_waits import wait_for

from actors.cli import main as cli
from actors.commands.cluster import cluster_down, cluster_up, start_node
from actors.commands.status import fetch, summary
from actors.config import load_config
from actors.crm.cib.client import apply
from actors.crm.cib.edit import ReplaceConfiguration
from actors.node import node_status
from actors.node_client import command_host
from actors.runtime.host import SetFaults
from actors.runtime.procfs import descendants
from actors.runtime.ref import resolve
from transport.faults import FaultPlan

pytestmark = pytest.mark.cluster

RESOURCES = ["r1", "r2", "r3", "r4"]
NODES = ["node1", "node2", "node3"]


def primitive(rsc: str, root: Path) -> str:
    sets = "".join(
        f'<instance_attributes id="{rsc}-on-{n}" score="{10 - i}">'
        f'<rule id="{rsc}-{n}-rule" score="0"><expression id="{rsc}-{n}-is" attribute="#uname"'
        f' operation="eq" value="{n}"/></rule>'
        f'<nvpair id="{rsc}-{n}-state" name="state" value="{root}/{n}/agents/{rsc}.state"/>'
        "</instance_attributes>"
        for i, n in enumerate(NODES)
    )
    return (
        f'<primitive id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">{sets}'
        f'<operations><op id="{rsc}-mon" name="monitor" interval="2s" timeout="20s"/>'
        "</operations></primitive>"
    )


def configuration(root: Path) -> str:
    return (
        '<cib><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">'
        '<nvpair id="opt-stonith" name="stonith-enabled" value="true"/>'
        "</cluster_property_set></crm_config><nodes/><resources>"
        + "".join(primitive(r, root) for r in RESOURCES)
        + "</resources><constraints/></configuration><status/></cib>"
    )


class Cluster:
    def __init__(self, root: Path, configs: list[Path]) -> None:
        self.root = root
        self.configs = configs
        self.dead: set[str] = set()  # killed, not yet fenced: what ran there may still run

    def config(self, node: str) -> Path:
        return self.root / f"{node}.toml"

    def live(self) -> str:
        return next(n for n in NODES if n not in self.dead)

    def where(self, rsc: str) -> list[str]:
        return [n for n in NODES if (self.root / n / "agents" / f"{rsc}.state").exists()]

    def audit(self, ignore: frozenset[str] = frozenset()) -> None:
        """No resource active on two nodes (`ignore`: a node being fenced, whose files are
        judged by their time against the fencing's instead)."""
        for rsc in RESOURCES:
            where = [n for n in self.where(rsc) if n not in ignore]
            assert len(where) <= 1, f"{rsc} active on {where}"

    def status(self) -> dict:
        return summary(fetch(str(self.config(self.live()))))

    def settled(self) -> dict | None:
        """The DC's view once every resource runs where it says, on one node each."""
        self.audit()
        view = self.status()
        placed = {r["id"]: r["nodes"] for r in view.get("resources", [])}
        if not all(len(placed.get(r, [])) == 1 for r in RESOURCES):
            return None
        if any(self.where(r) != placed[r] for r in RESOURCES):
            return None
        return view

    def kill(self, node: str) -> float:
        pid = int((self.root / node / "run" / "supervisor.pid").read_text())
        when = time.time()
        for p in [pid, *descendants(pid)]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.dead.add(node)
        return when


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="rl-controller-test-"))
    try:
        configs = cluster_up(root, 3, "ipc", timeout=90.0)
        for n in NODES:
            (root / n / "agents").mkdir()
            os.chmod(root / n / "agents", 0o777)  # the agents run as the node's user
        c = Cluster(root, configs)
        assert (
            cli(
                [
                    "fence",
                    "register",
                    "local",
                    "--agent",
                    "fence_ringleader",
                    "-o",
                    f"state_root={root}",
                    "--config",
                    str(c.config("node1")),
                ]
            )
            == 0
        )
        apply(load_config(c.config("node1")), ReplaceConfiguration(configuration(root)))
        yield c
    finally:
        cluster_down(root)
        shutil.rmtree(root, ignore_errors=True)


def test_resources_start_where_the_scheduler_says(cluster):
    view = wait_for(cluster.settled, what="every resource started once")
    assert view["dc"] == "node1" and view["quorate"]
    assert all(n["online"] for n in view["nodes"])


def test_monitor_failure_is_recovered(cluster):
    wait_for(cluster.settled, what="a settled cluster")
    [node] = cluster.where("r2")
    (cluster.root / node / "agents" / "r2.state").unlink()  # the agent finds it stopped
    wait_for(
        lambda: any(f["op"] == "r2_monitor_2000" for f in cluster.status()["failed_actions"]),
        what="the failed monitor recorded",
    )
    wait_for(cluster.settled, what="r2 recovered")
    assert cluster.where("r2") == [node]
    assert cli(["resource", "cleanup", "r2", "--config", str(cluster.config("node2"))]) == 0
    wait_for(lambda: not cluster.status()["failed_actions"], what="failures cleaned up")
    wait_for(cluster.settled, what="r2 re-probed and still running")


def kill_process(cluster: Cluster, node: str, process: str) -> None:
    before = node_status(load_config(cluster.config(node)))[process]
    os.kill(before.pid, signal.SIGKILL)
    wait_for(
        lambda: (
            (now := node_status(load_config(cluster.config(node)))[process]).alive
            and now.restarts > before.restarts
        ),
        what=f"{node}'s {process} process restarted",
    )


@pytest.mark.parametrize("process", ["lrm", "crm"])
def test_component_crash_keeps_resources_in_place(cluster, process):
    view = wait_for(cluster.settled, what="a settled cluster")
    node = next(r["nodes"][0] for r in view["resources"] if r["nodes"][0] != view["dc"])
    before = {r: cluster.where(r) for r in RESOURCES}
    fenced_before = len(view.get("fencing") or [])
    kill_process(cluster, node, process)
    for _ in range(20):  # for a while after the restart: nothing moves, nothing doubles
        cluster.audit()
        time.sleep(0.25)
    wait_for(cluster.settled, what="the cluster settled again")
    assert {r: cluster.where(r) for r in RESOURCES} == before
    assert len(cluster.status().get("fencing") or []) == fenced_before
    # the monitors run again there: a resource that vanishes is noticed and recovered
    rsc = next(r for r in RESOURCES if before[r] == [node])
    (cluster.root / node / "agents" / f"{rsc}.state").unlink()
    wait_for(lambda: cluster.where(rsc) == [node], what=f"{rsc} recovered on {node}")
    wait_for(cluster.settled, what="settled after the recovery")


def test_killed_node_is_fenced_before_its_resources_start_elsewhere(cluster):
    view = wait_for(cluster.settled, what="a settled cluster")
    victim = next(r["nodes"][0] for r in view["resources"] if r["nodes"][0] != view["dc"])
    moved = [r for r in RESOURCES if cluster.where(r) == [victim]]
    killed_at = cluster.kill(victim)

    def fenced():
        cluster.audit(ignore=frozenset({victim}))  # its files: by time, below
        events = cluster.status().get("fencing") or []
        done = [e for e in events if e["target"] == victim and e["state"] == "success"]
        return done and done[-1]

    event = wait_for(fenced, what=f"{victim} fenced")
    for f in (cluster.root / victim / "agents").iterdir():
        f.unlink()  # powered off: what it ran is gone (a reboot clears /run)
    survivors = [n for n in NODES if n != victim]
    wait_for(
        lambda: all(cluster.where(r) and cluster.where(r)[0] in survivors for r in moved),
        what="its resources started on survivors",
    )
    for rsc in moved:
        [node] = cluster.where(rsc)
        started = (cluster.root / node / "agents" / f"{rsc}.state").stat().st_mtime
        assert started >= event["completed"] - 0.05, f"{rsc} started before {victim} was fenced"
        print(f"failover of {rsc}: {started - killed_at:.2f} s from SIGKILL to started on {node}")
    cluster.audit()
    start_node(cluster.config(victim))
    cluster.dead.discard(victim)
    view = wait_for(
        lambda: (v := cluster.settled()) and all(n["online"] for n in v["nodes"]) and v,
        what=f"{victim} back online",
    )
    cluster.audit()


def block(cluster: Cluster, node: str, peers: set[str]) -> None:
    """Drop every frame `node`'s executive gets from `peers` (empty: heal)."""
    plan = FaultPlan()
    plan.partition(peers)
    with command_host(load_config(cluster.config(cluster.live()))) as host:
        resolve(f"{node}/executive/_host", host=host).ask(SetFaults(plan), timeout=10).get()


def test_partition_minority_stops_and_majority_fences_it(cluster):
    view = wait_for(cluster.settled, what="a settled cluster")
    minority = next(r["nodes"][0] for r in view["resources"] if r["nodes"][0] != view["dc"])
    majority = [n for n in NODES if n != minority]
    hosted = [r for r in RESOURCES if cluster.where(r) == [minority]]
    cluster.dead.add(minority)  # for status: ask the majority
    block(cluster, minority, set(majority))
    for n in majority:
        block(cluster, n, {minority})

    def fenced():
        cluster.audit(ignore=frozenset({minority}))  # its files: by time, below
        events = cluster.status().get("fencing") or []
        done = [e for e in events if e["target"] == minority and e["state"] == "success"]
        return done and done[-1]

    event = wait_for(fenced, what=f"{minority} fenced by the majority")
    for f in (cluster.root / minority / "agents").iterdir():
        f.unlink()  # powered off
    wait_for(
        lambda: all(cluster.where(r) and cluster.where(r)[0] in majority for r in hosted),
        what="the minority's resources started on the majority",
    )
    for rsc in hosted:
        [node] = cluster.where(rsc)
        started = (cluster.root / node / "agents" / f"{rsc}.state").stat().st_mtime
        assert started >= event["completed"] - 0.05, f"{rsc} started before the fencing"
    cluster.audit()
    for n in majority:
        block(cluster, n, set())
    start_node(cluster.config(minority))
    cluster.dead.discard(minority)
    wait_for(
        lambda: (v := cluster.settled()) and all(n["online"] for n in v["nodes"]) and v,
        what=f"{minority} back online",
    )


def test_clean_stop_moves_resources_away_first(cluster):
    view = wait_for(cluster.settled, what="a settled cluster")
    node = next(r["nodes"][0] for r in view["resources"] if r["nodes"][0] != view["dc"])
    hosted = [r for r in RESOURCES if cluster.where(r) == [node]]
    fenced_before = len(cluster.status().get("fencing") or [])
    assert cli(["node", "stop", "--config", str(cluster.config(node))]) == 0
    cluster.dead.add(node)
    assert all(cluster.where(r) and cluster.where(r) != [node] for r in hosted)
    cluster.audit()
    assert len(cluster.status().get("fencing") or []) == fenced_before  # a clean stop
    start_node(cluster.config(node))
    cluster.dead.discard(node)
    wait_for(
        lambda: (v := cluster.settled()) and all(n["online"] for n in v["nodes"]) and v,
        what=f"{node} back online",
    )
