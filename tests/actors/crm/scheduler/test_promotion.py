"""Choosing promoted instances, and crm_simulate's wording of role changes."""

from __future__ import annotations

from actors.crm.scheduler.promotion import Candidate, choose, details


def test_best_scores_win_within_promoted_max_and_node_max() -> None:
    cands = [
        Candidate("a:0", "n1", "5", None, False, 0),
        Candidate("a:1", "n1", "10", None, False, 1),
        Candidate("a:2", "n2", None, 3, False, 2),
        Candidate("a:3", "n3", None, None, True, 3),  # no score: never promoted
    ]
    assert choose(cands, promoted_max=2, node_max=1) == {"a:1", "a:2"}


def test_role_changes_are_worded_as_crm_simulate_does() -> None:
    assert details("Stopped", "Unpromoted", None, "n1") == "n1"
    assert details("Stopped", "Promoted", None, "n1") == "Stopped -> Promoted n1"
    assert details("Unpromoted", "Promoted", "n1", "n1") == "Unpromoted -> Promoted n1"
    assert details("Promoted", "Stopped", "n1", None) == "Promoted n1"
    assert details("Promoted", "Started", "n2", "n3") == "Promoted n2 -> Started n3"
