"""Seeded EVS scenarios: the CI share (1000 mixed seeds, 2-6 nodes, plus each fault class alone).

The nightly size is one command: `python3 -m actors.ais.sim --seeds 100000 --nodes 2-6`.
"""

from __future__ import annotations

import pytest

from actors.ais.sim.scenario import FAULT_CLASSES, run_scenario

CHUNK = 50


def failures(seeds, **kwargs) -> list[str]:
    return [o.describe() for o in (run_scenario(s, **kwargs) for s in seeds) if not o.ok]


@pytest.mark.parametrize("chunk", range(1000 // CHUNK))
def test_mixed_faults_keep_virtual_synchrony(chunk):
    seeds = range(chunk * CHUNK, (chunk + 1) * CHUNK)
    bad = failures(seeds)
    assert not bad, "\n\n".join(bad)


@pytest.mark.parametrize("fault", FAULT_CLASSES)
def test_each_fault_class_alone_keeps_virtual_synchrony(fault):
    bad = failures(range(10_000, 10_040), faults=(fault,))
    assert not bad, "\n\n".join(bad)


def test_a_seed_replays_exactly():
    first, again = run_scenario(1234), run_scenario(1234)
    assert (first.script, first.delivered, first.violations) == (
        again.script,
        again.delivered,
        again.violations,
    )
    assert first.delivered > 0


def test_scenarios_really_exercise_faults_and_messages():
    outcomes = [run_scenario(s) for s in range(40)]
    assert {n for o in outcomes for n in [o.nodes]} == {2, 3, 4, 5, 6}
    assert sum(1 for o in outcomes if any("crash" in line for line in o.script)) >= 5
    assert sum(1 for o in outcomes if any("partition" in line for line in o.script)) >= 5
