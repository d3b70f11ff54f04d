"""The fault plan: per-link drop, duplicate, delay, reorder and partition, deterministic with a
seed, and picklable so tests can ship it to another process (`SetFaults`)."""

from __future__ import annotations

import pickle

import cloudpickle
import pytest

from actors.runtime.host import SetFaults
from transport.faults import DROP, PASS, FaultPlan, LinkFaults, Verdict

MIXED = LinkFaults(drop=0.2, duplicate=0.3, delay=(0.001, 0.01), reorder=0.2)


def _verdicts(plan: FaultPlan, sender: str = "n1/main/a", n: int = 300) -> list[Verdict]:
    return [plan.arrival(sender) for _ in range(n)]


def test_no_rules_means_pass_and_inactive():
    plan = FaultPlan(seed=1)
    assert not plan.active
    assert plan.arrival("n1/main/a") is PASS


@pytest.mark.parametrize(
    "faults",
    [
        LinkFaults(drop=0.5),
        LinkFaults(duplicate=0.5),
        LinkFaults(delay=(0.01, 0.05)),
        LinkFaults(reorder=0.5),
        MIXED,
    ],
)
def test_same_seed_same_verdicts(faults):
    a, b = FaultPlan({"n1": faults}, seed=42), FaultPlan({"n1": faults}, seed=42)
    assert _verdicts(a) == _verdicts(b)
    assert _verdicts(FaultPlan({"n1": faults}, seed=43)) != _verdicts(
        FaultPlan({"n1": faults}, seed=42)
    )


def test_each_fault_does_what_it_says():
    drops = _verdicts(FaultPlan({"n1": LinkFaults(drop=0.5)}, seed=7))
    assert DROP in drops and PASS in drops and set(drops) <= {DROP, PASS}
    dups = _verdicts(FaultPlan({"n1": LinkFaults(duplicate=0.5)}, seed=7))
    assert {v.copies for v in dups} == {1, 2} and all(v.delay == 0 for v in dups)
    delays = _verdicts(FaultPlan({"n1": LinkFaults(delay=(0.01, 0.05))}, seed=7))
    assert all(0.01 <= v.delay <= 0.05 and v.copies == 1 for v in delays)
    reorders = _verdicts(FaultPlan({"n1": LinkFaults(reorder=0.5)}, seed=7))
    assert any(v.delay > 0 for v in reorders) and any(v.delay == 0 for v in reorders)


def test_partition_and_heal():
    plan = FaultPlan(seed=3)
    plan.partition({"n1", "n2/exec"})
    assert plan.active
    assert plan.arrival("n1/main/a") == DROP
    assert plan.arrival("n1/other/thread-1") == DROP
    assert plan.arrival("n2/exec/cpg") == DROP
    assert plan.arrival("n2/main/x") == PASS
    assert plan.arrival("n3/main/x") == PASS
    plan.heal()
    assert not plan.active
    assert plan.arrival("n1/main/a") == PASS


def test_process_rule_wins_over_node_rule_and_clearing_a_link():
    plan = FaultPlan({"n1": LinkFaults(blocked=True)}, seed=1)
    plan.set_link("n1/main", LinkFaults(duplicate=1.0))
    assert plan.arrival("n1/main/a").copies == 2
    assert plan.arrival("n1/exec/a") == DROP
    plan.set_link("n1/main", None)
    plan.set_link("n1", LinkFaults())  # all-default faults clear the link
    assert not plan.active


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps])
def test_plan_pickles_with_its_links_and_seed(dumps):
    plan = FaultPlan({"n1": MIXED, "n2/exec": LinkFaults(blocked=True)}, seed=99)
    copy = pickle.loads(dumps(plan))
    assert copy.links == plan.links and copy.seed == 99
    assert _verdicts(copy) == _verdicts(FaultPlan(dict(plan.links), seed=99))
    copy.heal()  # it has a working lock and rng of its own
    assert plan.active and not copy.active
    msg = pickle.loads(dumps(SetFaults(plan)))
    assert isinstance(msg, SetFaults) and msg.plan.links == plan.links
