"""Seeded CKPT/EVT/MSG/LCK workloads under faults, judged by the services' checkers: the CI
share (300 mixed seeds), replay, and proof that the run exercises and can fail each service.

The bigger run is one command: `ringleader sim ais --seeds 10000`.
"""

from __future__ import annotations

from collections import Counter

import pytest

from actors.ais.effects import Reply
from actors.ais.sim.services import run_services_scenario, simulate_services

CHUNK = 50
CI_SEEDS = 300


def failures(seeds, **kwargs) -> list[str]:
    outcomes = (run_services_scenario(s, **kwargs) for s in seeds)
    return [o.describe() for o in outcomes if not o.ok]


@pytest.mark.parametrize("chunk", range(CI_SEEDS // CHUNK))
def test_service_workloads_under_mixed_faults_pass_every_checker(chunk):
    bad = failures(range(chunk * CHUNK, (chunk + 1) * CHUNK))
    assert not bad, "\n\n".join(bad)


def test_a_seed_replays_exactly():
    first, again = run_services_scenario(77), run_services_scenario(77)
    assert (first.script, first.delivered, first.violations, first.virtual_seconds) == (
        again.script,
        again.delivered,
        again.violations,
        again.virtual_seconds,
    )


def test_the_workload_uses_every_service_and_the_faults_happen():
    answers: Counter = Counter()
    scripts = []
    for seed in range(12):
        outcome, recorder = simulate_services(seed)
        scripts += outcome.script
        for log in recorder.logs.values():
            for entry in log:
                if entry.output and isinstance(entry.item, Reply):
                    answers[type(entry.item.result).__name__] += 1
    for kind in ("ReadResult", "Event", "ReceivedMessage", "LockResult", "Published"):
        assert answers[kind] >= 20, (kind, answers)
    assert any("partition" in line for line in scripts)
    assert any("crash" in line for line in scripts)


def test_a_lock_service_that_grants_everything_is_caught(monkeypatch):
    import actors.ais.lck.core as lck_core

    monkeypatch.setattr(lck_core, "compatible", lambda held, wanted: True)
    outcomes = [run_services_scenario(seed) for seed in range(10)]
    assert any(v.startswith("lck:") for o in outcomes for v in o.violations)


def test_a_queue_that_hands_a_message_out_twice_is_caught(monkeypatch):
    from actors.ais.msg.core import MsgCore

    hand_over = MsgCore._hand_over

    def twice(self, q, waiter):
        best = min(q.messages, key=lambda s: (s.message.priority, s.message_id))
        effects = hand_over(self, q, waiter)
        q.messages.append(best)  # not consumed: the next get takes it again
        return effects

    monkeypatch.setattr(MsgCore, "_hand_over", twice)
    outcomes = [run_services_scenario(seed) for seed in range(10)]
    assert any(v.startswith("msg:") for o in outcomes for v in o.violations)
