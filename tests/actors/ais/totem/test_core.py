"""The totem core alone and a few nodes of it on the simulator: the scripted basics."""

from __future__ import annotations

import pytest

from actors.ais.effects import CancelTimer, Multicast, SetTimer, TimerFired
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.sim.simulator import Faults, Simulator
from actors.ais.totem.config import TotemConfig
from actors.ais.totem.core import TotemCore
from actors.ais.totem.effects import Send
from actors.ais.totem.messages import Join, Mcast, Token
from actors.errors import UserError


def configs(log):
    return [e for e in log.events if type(e) is ConfigurationChange]


def deliveries(log):
    return [e for e in log.events if type(e) is Delivery]


def run_frames_to_self(core: TotemCore, effects: list, until: float = 1.0) -> list:
    """Drive a one-node core by hand for `until` virtual seconds: loop its frames back at
    once, fire its timers when due, honour cancellations; returns its EVS events."""
    events, timers, now = [], {}, 0.0
    while True:
        frames = []
        for e in effects:
            if type(e) is Send:
                frames.append(e.frame)
            elif type(e) is SetTimer:
                timers[e.key] = now + e.delay
            elif type(e) is CancelTimer:
                timers.pop(e.key, None)
            elif type(e) in (Delivery, ConfigurationChange):
                events.append(e)
        effects = []
        for frame in frames:
            effects += core.handle(frame, now)
        if not effects:
            if not timers or min(timers.values()) > until:
                return events
            key = min(timers, key=timers.get)
            now = timers.pop(key)
            effects = core.handle(TimerFired(key), now)


def test_a_lone_node_forms_its_ring_and_delivers_its_own_messages_in_order():
    core = TotemCore(7)
    effects = core.start()
    assert any(type(e) is Send and type(e.frame) is Join for e in effects)
    events = run_frames_to_self(core, effects)
    assert core.operational
    assert events[0].kind == "regular" and events[0].members == (7,)
    for i in range(5):
        events += run_frames_to_self(core, core.handle(Multicast(("m", i), safe=i == 3)))
    got = [e for e in events if type(e) is Delivery]
    assert [d.payload for d in got] == [("m", i) for i in range(5)]
    assert [d.safe for d in got] == [False, False, False, True, False]
    assert len({d.seq for d in got}) == 5 and all(d.sender == 7 for d in got)


def test_messages_are_packed_many_to_a_frame():
    sim = Simulator(3, seed=1)
    sim.run_until(0.5)
    before = sim.frames_sent
    for _ in range(640):
        sim.submit(1)
    sim.run_until(1.0)
    assert len(deliveries(sim.nodes[2].log)) == 640
    assert sim.frames_sent - before < 640 / 4  # frames (incl. tokens), not messages


def test_frames_of_an_older_incarnation_are_ignored():
    core = TotemCore(1)
    run_frames_to_self(core, core.start())
    core.handle(Join((2, 5), frozenset({(2, 5)}), frozenset(), 0))
    assert core._max_inc[2] == 5
    assert core.handle(Join((2, 4), frozenset({(2, 4)}), frozenset(), 0)) == []


def test_every_node_sees_the_same_configuration_and_order():
    sim = Simulator(4, seed=3)
    sim.run_until(0.5)
    for k in range(200):
        sim.submit(1 + k % 4, safe=k % 5 == 0)
    sim.run_until(2.0)
    logs = [sim.nodes[i].log for i in sim.node_ids]
    assert all(configs(log) == configs(logs[0]) for log in logs)
    assert configs(logs[0])[0].members == (1, 2, 3, 4)
    orders = [[(d.sender, d.seq, d.payload) for d in deliveries(log)] for log in logs]
    assert len(orders[0]) == 200 and all(o == orders[0] for o in orders)


def first_config_without(sim: Simulator, node: int, survivor: int):
    for e in sim.nodes[survivor].log.events:
        if type(e) is ConfigurationChange and e.kind == "regular" and node not in e.members:
            return e
    return None


@pytest.mark.parametrize("nodes", [2, 3, 6])
def test_a_killed_node_is_out_of_the_membership_within_one_second(nodes):
    sim = Simulator(nodes, seed=nodes)
    sim.run_until(1.0)
    for k in range(50):
        sim.at(1.0 + k * 0.01, lambda k=k: sim.submit(1 + k % nodes))
    sim.at(1.2, lambda: sim.crash(nodes))
    seen = []
    for step in range(1, 301):
        sim.run_until(1.2 + step * 0.01)
        if first_config_without(sim, nodes, 1) is not None:
            seen.append(sim.now - 1.2)
            break
    assert seen and seen[0] < 1.0
    assert configs(sim.nodes[1].log)[-1].members == tuple(range(1, nodes))


@pytest.mark.parametrize("load", [False, True])
def test_no_membership_change_on_an_idle_or_loaded_ring(load):
    sim = Simulator(5, seed=11, faults=Faults(delay=(0.0001, 0.002)))
    if load:
        for k in range(5000):
            sim.at(0.5 + k * 0.004, lambda k=k: sim.submit(1 + k % 5, safe=k % 7 == 0))
    sim.run_until(30.0)
    for node in sim.node_ids:
        assert len(configs(sim.nodes[node].log)) == 1
    assert len(deliveries(sim.nodes[3].log)) == (5000 if load else 0)


def test_a_restarted_node_comes_back_as_a_new_incarnation():
    sim = Simulator(3, seed=5)
    sim.run_until(0.5)
    sim.crash(3)
    sim.start(3)  # before anyone noticed
    sim.run_until(3.0)
    last = configs(sim.nodes[1].log)[-1]
    assert last.members == (1, 2, 3) and 3 in last.joined and 3 in last.left
    assert sim.nodes[3].core.me == (3, 1) and sim.nodes[3].core.ring == last.ring_id


def test_partitions_form_separate_rings_and_merge_when_healed():
    sim = Simulator(4, seed=9)
    sim.run_until(0.5)
    sim.partition([[1, 2], [3, 4]])
    sim.run_until(2.0)
    assert configs(sim.nodes[1].log)[-1].members == (1, 2)
    assert configs(sim.nodes[4].log)[-1].members == (3, 4)
    trans = [e for e in configs(sim.nodes[1].log) if e.kind == "transitional"]
    assert trans[-1].members == (1, 2) and trans[-1].left == (3, 4)
    sim.heal()
    sim.run_until(3.5)
    for node in sim.node_ids:
        assert configs(sim.nodes[node].log)[-1].members == (1, 2, 3, 4)


def test_a_token_of_another_ring_or_a_repeated_token_changes_nothing():
    sim = Simulator(2, seed=2)
    sim.run_until(0.5)
    core = sim.nodes[1].core
    stale = Token(core.ring, 0, 0, 0, 0, None, (), 0)
    assert core.handle(stale) == []
    old = Mcast(core.ring, 1, 1, (2, 0), ("x",))
    out = core.handle(old) + core.handle(old)
    assert [e.payload for e in out if type(e) is Delivery] == ["x"]


@pytest.mark.parametrize(
    "field, value", [("token", 0), ("token_retransmit", 0.6), ("hold", 0.2), ("window", 0)]
)
def test_bad_timeouts_are_user_errors_naming_the_field(field, value):
    with pytest.raises(UserError, match=field):
        TotemConfig(**{field: value})
