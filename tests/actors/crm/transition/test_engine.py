"""The transition engine: order, pseudo actions, unrunnable actions, aborts, fencing first."""

from __future__ import annotations

from actors.crm.scheduler.model import Action, Transition
from actors.crm.transition.engine import TransitionEngine, starts_after_fencing


def graph(actions, edges=()):
    return Transition(tuple(actions), tuple(edges), (), {}, {}, {})


STOP = Action(0, "stop", "web", "n1")
START = Action(1, "start", "web", "n2")
MON = Action(2, "monitor", "web", "n2", 10000)


def ids(actions):
    return [a.id for a in actions]


def test_actions_wait_for_their_inputs():
    engine = TransitionEngine(graph([STOP, START, MON], [(0, 1), (1, 2)]))
    assert ids(engine.start()) == [0]
    assert ids(engine.completed(0, True)) == [1]
    assert ids(engine.completed(1, True)) == [2]
    assert not engine.complete
    assert engine.completed(2, True) == []
    assert engine.complete and not engine.aborted


def test_pseudo_actions_complete_at_once():
    pseudo = Action(3, "start", "grp", None, pseudo=True)
    engine = TransitionEngine(graph([pseudo, START], [(3, 1)]))
    assert ids(engine.start()) == [1]
    assert 3 in engine.done


def test_unrunnable_inputs_block_what_follows():
    blocked = Action(0, "stop", "web", "n1", runnable=False)
    engine = TransitionEngine(graph([blocked, START, MON], [(0, 1), (1, 2)]))
    assert engine.start() == []
    assert engine.complete


def test_failure_aborts_but_in_flight_actions_are_awaited():
    other = Action(3, "start", "db", "n3")
    later = Action(4, "start", "app", "n3")
    engine = TransitionEngine(graph([STOP, other, START, later], [(0, 1), (3, 4)]))
    assert ids(engine.start()) == [0, 3]
    assert engine.completed(0, False, "stop failed") == []
    assert engine.aborted and engine.abort_reason == "stop failed"
    assert not engine.complete  # db's start is still running
    assert engine.completed(3, True) == []  # app's start does not begin after an abort
    assert engine.complete


def test_after_an_abort_only_recurring_monitors_still_begin():
    engine = TransitionEngine(graph([START, MON], [(1, 2)]))
    engine.start()
    engine.abort("configuration changed")
    assert ids(engine.completed(1, True)) == [2]


def test_a_failed_action_is_not_run_again():
    engine = TransitionEngine(graph([MON]))
    assert ids(engine.start()) == [2]
    assert engine.completed(2, False) == []
    assert engine.start() == [] and engine.complete


def test_starts_wait_for_fencing():
    fence = Action(5, "stonith", None, "n1")
    device = Action(6, "start", "fence-dev", "n2")
    t = graph([fence, START, device])
    edges = starts_after_fencing(t, exempt=["fence-dev"])
    assert edges == [(5, 1)]
    engine = TransitionEngine(t, extra_edges=edges)
    assert ids(engine.start()) == [5, 6]
    assert ids(engine.completed(5, True)) == [1]
