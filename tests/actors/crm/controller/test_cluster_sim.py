"""The controllers, attribute managers and LRMs of a whole cluster in one process (real cores,
real scheduler; simulated groups, agents, fencer and clock): after every step at most one DC per
partition and no resource active on two nodes (a lost node's resources wait for its fencing);
after the faults stop, the cluster converges to what the scheduler plans."""

from __future__ import annotations

import random

import pytest
from support_crm_sim import Sim

RESOURCES = ["r1", "r2", "r3", "r4", "r5"]


def started(n: int = 3, seed: int = 0, **kw) -> Sim:
    sim = Sim(n, RESOURCES, seed=seed, **kw)
    sim.run(30)
    sim.converged()
    return sim


def where(sim: Sim, rsc: str) -> list[str]:
    return [n for n in sim.names if rsc in sim.truth[n]]


def test_start_places_every_resource_once():
    sim = started()
    assert all(len(where(sim, r)) == 1 for r in RESOURCES)
    assert sim.nodes["node1"].ctl.is_dc


def test_monitor_failure_is_counted_and_recovered_in_place():
    sim = started()
    [node] = where(sim, "r2")
    sim.fail_resource(node, "r2")
    sim.run(60)
    sim.converged()
    assert where(sim, "r2") == [node]  # default migration-threshold: recover where it was
    dc = sim.nodes["node1"]
    assert dc.attrd.value(node, "fail-count-r2#monitor_10000") == "1"
    assert dc.attrd.value(node, "last-failure-r2#monitor_10000") is not None


def test_lost_node_is_fenced_before_its_resources_start_elsewhere():
    sim = started()
    victims = [r for r in RESOURCES if where(sim, r) == ["node3"]]
    assert victims
    sim.crash("node3")
    sim.run(60)
    sim.converged()
    assert [t for t, _ in sim.fence_log] == ["node3"]
    assert all(where(sim, r) and where(sim, r) != ["node3"] for r in victims)


def test_dc_loss_new_dc_learns_and_fences_the_old_one():
    sim = started()
    sim.crash("node1")
    sim.run(60)
    sim.converged()
    assert sim.nodes["node2"].ctl.is_dc
    assert [t for t, _ in sim.fence_log] == ["node1"]


def test_restarted_dc_node_relearns_lost_nodes_from_join_replies():
    sim = started()
    sim.crash("node3")  # quorum lost with node2 gone too: nobody fences node3 yet
    sim.crash("node2")
    sim.run(5)
    assert sim.fence_log == []
    sim.crash("node1")
    sim.restart("node1")  # knows nothing of node3
    sim.restart("node2")
    sim.run(60)
    assert "node3" in [t for t, _ in sim.fence_log]
    sim.restart("node3")
    sim.run(60)
    sim.converged()


def test_minority_partition_stops_and_majority_fences_it():
    sim = started()
    sim.partition({"node1", "node2"}, {"node3"})
    sim.run(60)
    assert [t for t, _ in sim.fence_log] == ["node3"]
    sim.heal()
    sim.restart("node3")
    sim.run(60)
    sim.converged()


@pytest.mark.parametrize("noticed", [True, False])
def test_lrm_restart_reprobes_and_keeps_resources(noticed):
    sim = started()
    before = {r: where(sim, r) for r in RESOURCES}
    sim.restart_lrm("node2", noticed)
    sim.run(60)
    sim.converged()
    assert {r: where(sim, r) for r in RESOURCES} == before
    assert sim.fence_log == []
    [rsc] = [r for r in RESOURCES if where(sim, r) == ["node2"]][:1]
    sim.fail_resource("node2", rsc)  # its monitor runs again: the failure is found
    sim.run(60)
    sim.converged()
    assert where(sim, rsc) == ["node2"]


@pytest.mark.parametrize("noticed", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_lrm_restart_with_monitors_in_flight_counts_no_failure(noticed, seed):
    """Killed while first monitors are still running: their outcome is unknown, not failed."""
    sim = Sim(3, RESOURCES, seed=seed)
    ctl = sim.nodes["node2"].ctl

    def monitoring_there() -> bool:
        pending = [k for k in ctl.local_pending if k[1] == "monitor" and k[2] > 0]
        return bool(pending) and all(len(where(sim, r)) == 1 for r in RESOURCES)

    while not monitoring_there():
        assert sim._step(), "node2 never had a monitor in flight"
    before = {r: where(sim, r) for r in RESOURCES}
    sim.restart_lrm("node2", noticed)
    sim.run(60)
    sim.converged()
    assert {r: where(sim, r) for r in RESOURCES} == before
    failures = [k for k in sim.nodes["node1"].attrd.table().get("node2", {}) if "fail" in k]
    assert failures == []


@pytest.mark.parametrize("victim", ["node1", "node2"])
def test_crm_process_restart_keeps_resources_without_fencing(victim):
    sim = started()
    before = {r: where(sim, r) for r in RESOURCES}
    sim.crash_controller(victim)
    sim.run(3)
    sim.restart_controller(victim)
    sim.run(60)
    sim.converged()
    assert sim.fence_log == []
    assert {r: where(sim, r) for r in RESOURCES} == before


def test_crm_process_that_stays_away_gets_its_node_fenced():
    sim = started()
    sim.crash_controller("node2")
    sim.run(60)
    assert [t for t, _ in sim.fence_log] == ["node2"]
    sim.restart("node2")
    sim.run(60)
    sim.converged()


def test_without_fencing_a_lost_node_is_simply_down():
    sim = started(stonith=False)
    victims = [r for r in RESOURCES if where(sim, r) == ["node2"]]
    sim.crash("node2")
    sim.truth["node2"].clear()  # without fencing only the operator can promise this
    sim.run(60)
    sim.converged()
    assert sim.fence_log == []
    assert all(where(sim, r) for r in victims)


def test_clean_shutdown_moves_resources_before_the_node_goes():
    from actors.crm.controller import messages as m

    sim = started()
    hosted = [r for r in RESOURCES if where(sim, r) == ["node2"]]
    node = sim.nodes["node2"]
    sim._push(node, "ctl", m.ShutdownRequested())
    sim.run(60)
    assert not node.alive, sim.tail()
    assert sim.truth["node2"] == set()
    assert all(where(sim, r) for r in hosted)
    assert sim.fence_log == []
    sim.converged()


def test_cleanup_clears_fail_counts_and_reprobes():
    from actors.crm.controller import messages as m

    sim = started()
    [node] = where(sim, "r1")
    sim.fail_resource(node, "r1")
    sim.run(30)
    dc = sim.nodes["node1"]
    assert dc.attrd.value(node, "fail-count-r1#monitor_10000") == "1"
    sim._mcast(dc, "ctl", m.CleanupRequest("r1"))
    sim.run(30)
    sim.converged()
    assert dc.attrd.value(node, "fail-count-r1#monitor_10000") is None
    assert where(sim, "r1") == [node]


def _faults(sim: Sim, rng: random.Random, steps: int) -> None:
    for _ in range(steps):
        alive = [n for n in sim.names if sim.nodes[n].alive]
        dead = [n for n in sim.names if not sim.nodes[n].alive]
        kind = rng.choice(
            ["fail", "fail", "crash", "dc", "restart", "lrm", "crm", "partition", "heal"]
        )
        if kind == "fail":
            active = [(n, r) for n in alive for r in sim.truth[n]]
            if active:
                sim.fail_resource(*rng.choice(active))
        elif kind == "crash" and len(alive) > 1:
            sim.crash(rng.choice(alive))
        elif kind == "dc":
            dcs = [n for n in alive if sim.nodes[n].ctl.is_dc]
            if dcs and len(alive) > 1:
                sim.crash(dcs[0])
        elif kind == "restart" and dead:
            sim.restart(rng.choice(dead))
        elif kind == "crm" and alive:
            victim = rng.choice(alive)
            sim.crash_controller(victim)
            sim.run(rng.choice([0.5, 3.0, 30.0]))
            if sim.nodes[victim].up:
                sim.restart_controller(victim)
        elif kind == "lrm" and alive:
            sim.restart_lrm(rng.choice(alive), noticed=rng.random() < 0.5)
        elif kind == "partition" and len(alive) > 2:
            cut = set(rng.sample(sim.names, rng.randint(1, len(sim.names) // 2)))
            sim.partition(cut, set(sim.names) - cut)
        elif kind == "heal":
            sim.heal()
        sim.run(rng.choice([0.05, 0.2, 1.0, 5.0, 20.0]))


@pytest.mark.parametrize("seed", range(40))
def test_seeded_faults_keep_guarantees_and_converge(seed):
    rng = random.Random(seed)
    sim = started(n=rng.choice([3, 3, 4, 5]), seed=seed)
    _faults(sim, rng, steps=8)
    sim.heal()
    for n in sim.names:
        if not sim.nodes[n].alive:
            sim.restart(n)
    sim.run(180)
    sim.converged()
