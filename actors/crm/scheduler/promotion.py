"""Promotable clones: which instances are promoted, and how a role change is worded.

Instances are placed like any clone's; then up to promoted-max of them (promoted-node-max per
node) are promoted, best promotion score first. An instance's promotion score on its node is
the node's `master-<resource>` attribute (set by the agent) plus location constraints for the
Promoted role; an instance with neither is never promoted (but one already promoted may stay).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from actors.crm.scheduler.scores import add, parse_score

ROLE_RANK = {"Stopped": 1, "Started": 2, "Unpromoted": 3, "Promoted": 4}


@dataclass(frozen=True)
class Candidate:
    """An instance placed on `node`, with what it scores there and whether it is promoted."""

    id: str
    node: str
    attr_score: str | None  # the master-* attribute's value, if any
    location: int | None  # sum of Promoted-role location scores for the node, if any
    promoted_now: bool
    index: int


def score(c: Candidate) -> int | None:
    if c.attr_score is None and c.location is None:
        return 0 if c.promoted_now else None  # promoted already: it may stay so
    return add(parse_score(c.attr_score, 0), c.location or 0)


def choose(cands: Iterable[Candidate], promoted_max: int, node_max: int) -> set[str]:
    """The ids to promote: highest score first; ties keep the promoted one, then the lower
    instance; never a negative or missing score."""
    ranked = sorted(
        (c for c in cands if (s := score(c)) is not None and s >= 0),
        key=lambda c: (-(score(c) or 0), not c.promoted_now, c.index),
    )
    chosen: set[str] = set()
    per_node: dict[str, int] = {}
    for c in ranked:
        if len(chosen) >= promoted_max:
            break
        if per_node.get(c.node, 0) >= node_max:
            continue
        chosen.add(c.id)
        per_node[c.node] = per_node.get(c.node, 0) + 1
    return chosen


def details(role: str, next_role: str, origin: str | None, destination: str | None) -> str:
    """The parenthesised part of a Transition Summary line, as crm_simulate words it: roles
    are named once either is above Started (an instance of a promotable clone)."""
    need_role = ROLE_RANK[role] > ROLE_RANK["Started"] or next_role == "Promoted"
    same_role, same_host = role == next_role, origin == destination
    if origin is None:
        return f"{role} -> {next_role} {destination}" if need_role else f"{destination}"
    if destination is None:
        return f"{role} {origin}" if need_role else origin
    if same_role and same_host:
        return f"{role} {origin}" if need_role else origin
    if same_role:
        return f"{origin} -> {destination} {role}" if need_role else f"{origin} -> {destination}"
    if same_host:
        return f"{role} -> {next_role} {origin}"
    return f"{role} {origin} -> {next_role} {destination}"
