"""The votequorum arithmetic as pure functions: who has quorum, given who is here.

Kept apart from the core so it can be tested exhaustively (property tests) and reused by
`ringleader simulate`-style tools without a cluster.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from actors.ais.evs import NodeId
from actors.ais.quorum.config import TieBreaker


def quorum_for(expected_votes: int) -> int:
    """A strict majority of the expected votes (votequorum's (expected + 2) / 2)."""
    return (expected_votes + 2) // 2


def tie_breaker_node(rule: TieBreaker, known: Collection[NodeId]) -> NodeId | None:
    """The node whose partition wins an even split: the lowest (or highest) id of every node
    known to the cluster (the nodelist and any node ever seen), or the first node of a list.
    A list entry that the cluster has never known is skipped."""
    if not known:
        return None
    if rule == "lowest":
        return min(known)
    if rule == "highest":
        return max(known)
    assert isinstance(rule, tuple)
    return next((node for node in rule if node in known), rule[0])


@dataclass(frozen=True)
class QuorumState:
    """The outcome for one partition."""

    expected_votes: int
    total_votes: int
    quorum: int
    quorate: bool
    tie_broken: bool = False
    """Quorate only thanks to auto_tie_breaker (exactly half the votes, with the tie breaker)."""


def calculate(
    votes: Mapping[NodeId, int],
    expected_votes: int,
    *,
    two_node: bool = False,
    waiting_for_all: bool = False,
    tie_breaker: NodeId | None = None,
) -> QuorumState:
    """Quorum of a partition whose members hold `votes`, the cluster expecting `expected_votes`.

    Expected votes never fall below the votes present (more votes than expected raise it).
    With two_node and at most two nodes, one vote is quorum. With auto_tie_breaker (a
    `tie_breaker` node given), a partition with exactly half the expected votes is quorate
    when it holds the tie breaker. While waiting for all, nothing is quorate.
    """
    total = sum(votes.values())
    expected = max(expected_votes, total, 1)
    quorum = quorum_for(expected)
    if two_node and len(votes) <= 2 and expected <= 2:
        quorum = 1
    quorate = total >= quorum
    tie = (
        not quorate
        and tie_breaker is not None
        and expected % 2 == 0
        and total * 2 == expected
        and tie_breaker in votes
    )
    return QuorumState(expected, total, quorum, (quorate or tie) and not waiting_for_all, tie)
