"""The EVS checker catches each kind of violation, planted in the logs of a good run."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.sim.checker import check
from actors.ais.sim.simulator import Simulator


@pytest.fixture(scope="module")
def good_run():
    """3 nodes, messages, then node 3 partitioned away and back: two configuration changes."""
    sim = Simulator(3, seed=4)
    for k in range(60):
        sim.at(0.3 + k * 0.01, lambda k=k: sim.submit(1 + k % 3, safe=k % 4 == 0))
    sim.at(0.6, lambda: sim.partition([[1, 2], [3]]))
    sim.at(2.0, sim.heal)
    sim.run_until(4.0)
    for node in (1, 2, 3):
        sim.submit(node)
    sim.run_until(5.0)
    return sim.logs


def test_the_good_run_passes(good_run):
    assert check(good_run, (1, 2, 3)) == []
    kinds = [e.kind for e in good_run[0].events if type(e) is ConfigurationChange]
    assert kinds.count("transitional") >= 2


def planted(logs, node, mutate):
    logs = copy.deepcopy(logs)
    mutate(logs[node - 1].events)
    return check(logs, (1, 2, 3))


def index_of(events, pred, nth=0):
    return [i for i, e in enumerate(events) if pred(e)][nth]


def is_delivery(e):
    return type(e) is Delivery


def test_duplication_is_caught(good_run):
    def dup(ev):
        i = index_of(ev, is_delivery, 5)
        ev.insert(i + 1, ev[i])

    assert any("twice" in v for v in planted(good_run, 2, dup))


def test_reordering_is_caught(good_run):
    def swap(ev):
        i = index_of(ev, is_delivery, 5)
        ev[i], ev[i + 1] = ev[i + 1], ev[i]

    assert planted(good_run, 2, swap)


def test_loss_among_survivors_is_caught(good_run):
    def drop(ev):
        del ev[index_of(ev, is_delivery, 3)]

    assert any("gap" in v or "differently" in v for v in planted(good_run, 1, drop))


def test_a_different_message_under_the_same_number_is_caught(good_run):
    def forge(ev):
        i = index_of(ev, is_delivery, 2)
        ev[i] = replace(ev[i], payload="forged")

    assert any("seq" in v for v in planted(good_run, 3, forge))


def test_disagreeing_membership_is_caught(good_run):
    def other_view(ev):
        i = index_of(ev, lambda e: type(e) is ConfigurationChange and e.kind == "regular", 1)
        ev[i] = replace(ev[i], members=(1, 2, 3))

    assert any("members" in v for v in planted(good_run, 1, other_view))


def test_a_missing_transitional_configuration_is_caught(good_run):
    def no_trans(ev):
        del ev[index_of(ev, lambda e: type(e) is ConfigurationChange and e.kind != "regular")]

    assert any("without a transitional" in v for v in planted(good_run, 2, no_trans))


def test_an_own_message_never_delivered_is_caught(good_run):
    def forget_last(ev):
        del ev[index_of(ev, lambda e: is_delivery(e) and e.payload.node == 3, -1)]

    assert any("own messages" in v for v in planted(good_run, 3, forget_last))


def test_a_safe_message_some_member_lacks_is_caught(good_run):
    logs = copy.deepcopy(good_run)
    ev = logs[1].events
    i = index_of(ev, lambda e: is_delivery(e) and e.safe)
    target = ev[i]
    logs[2].events = [e for e in logs[2].events if e != target]
    assert any("safe" in v or "gap" in v for v in check(logs, (1, 2, 3)))


def test_a_wrong_final_membership_is_caught(good_run):
    assert any("final configuration" in v for v in check(good_run, (1, 2)))
