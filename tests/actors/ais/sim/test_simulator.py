"""The simulator hosts applications (service cores) on top of totem and replays exactly."""

from __future__ import annotations

from actors.ais.effects import Multicast, SetTimer
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.sim.checker import check
from actors.ais.sim.simulator import Faults, Simulator


class Greeter:
    """Multicasts a greeting on every regular configuration, a tick once its timer fires."""

    def __init__(self, node: int) -> None:
        self.node = node
        self.seen: list = []

    def handle(self, event, now=0.0):
        self.seen.append(event)
        if type(event) is ConfigurationChange and event.kind == "regular":
            return [Multicast(("hello", self.node, event.ring_id)), SetTimer("tick", 0.1)]
        if getattr(event, "key", None) == "tick":
            return [Multicast(("tick", self.node), safe=True)]
        return []


def test_applications_get_every_evs_event_and_their_multicasts_are_ordered():
    apps = {}
    sim = Simulator(3, seed=8, apps=lambda node, inc: [apps.setdefault(node, Greeter(node))])
    sim.run_until(2.0)
    ring = sim.nodes[1].core.ring
    for node in (1, 2, 3):
        evs = [e for e in apps[node].seen if type(e) in (ConfigurationChange, Delivery)]
        assert evs == sim.nodes[node].log.events
        payloads = [e.payload for e in apps[node].seen if type(e) is Delivery]
        assert {("hello", n, ring) for n in (1, 2, 3)} <= set(payloads)
        assert {("tick", n) for n in (1, 2, 3)} <= set(payloads)
    assert check(sim.logs, (1, 2, 3)) == []


def test_service_cores_plug_in_as_they_are():
    from actors.ais.cpg.core import CpgCore

    sim = Simulator(3, seed=2, faults=Faults(loss=0.02), apps=lambda n, inc: [CpgCore(n)])
    sim.at(0.5, lambda: sim.partition([[1], [2, 3]]))
    sim.at(1.5, sim.heal)
    sim.run_until(4.0)
    assert check(sim.logs, (1, 2, 3)) == []
    # CPG's sync messages went through totem and arrived everywhere
    assert all(
        any(type(e) is Delivery and e.sender != n for e in sim.nodes[n].log.events)
        for n in (1, 2, 3)
    )


def test_a_run_is_a_function_of_its_seed():
    def run():
        sim = Simulator(4, seed=77, faults=Faults(loss=0.05, dup=0.05, delay=(0.0001, 0.01)))
        for k in range(100):
            sim.at(0.2 + k * 0.01, lambda k=k: sim.submit(1 + k % 4))
        sim.at(0.5, lambda: sim.crash(2))
        sim.run_until(3.0)
        return [log.events for log in sim.logs], sim.frames_sent

    assert run() == run()
