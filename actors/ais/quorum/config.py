"""The quorum section of a node's configuration, checked once, as votequorum(5) describes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from actors.ais.evs import NodeId
from actors.errors import UserError

TieBreaker = Literal["lowest", "highest"] | tuple[NodeId, ...]


@dataclass(frozen=True)
class QuorumConfig:
    """`nodes` is the nodelist (node id -> votes, 1 each by default); `expected_votes`, when
    given, overrides their sum. `wait_for_all` defaults to on with `two_node`, as corosync's."""

    nodes: Mapping[NodeId, int] = field(default_factory=dict)
    expected_votes: int | None = None
    two_node: bool = False
    wait_for_all: bool | None = None
    last_man_standing: bool = False
    last_man_standing_window: float = 10.0
    """Seconds; votequorum's default is 10000 ms."""
    auto_tie_breaker: bool = False
    auto_tie_breaker_node: TieBreaker = "lowest"

    def __post_init__(self) -> None:
        for node, votes in self.nodes.items():
            if votes < 0:
                raise UserError(f"quorum: nodelist node {node}: quorum_votes must be >= 0")
        if self.expected_votes is not None and self.expected_votes < 1:
            raise UserError("quorum.expected_votes must be >= 1")
        if self.expected_votes is None and not self.nodes:
            raise UserError("quorum: give quorum.expected_votes or a nodelist")
        if self.two_node and self.initial_expected_votes != 2:
            raise UserError(
                "quorum.two_node needs exactly 2 expected votes "
                f"(have {self.initial_expected_votes})"
            )
        if self.last_man_standing_window <= 0:
            raise UserError("quorum.last_man_standing_window must be > 0")
        atb = self.auto_tie_breaker_node
        if not isinstance(atb, tuple) and atb not in ("lowest", "highest"):
            raise UserError(
                f"quorum.auto_tie_breaker_node must be lowest, highest or node ids, not {atb!r}"
            )
        if isinstance(atb, tuple) and not atb:
            raise UserError("quorum.auto_tie_breaker_node: the node list is empty")

    @property
    def initial_expected_votes(self) -> int:
        if self.expected_votes is not None:
            return self.expected_votes
        return sum(self.nodes.values())

    @property
    def waits_for_all(self) -> bool:
        return self.two_node if self.wait_for_all is None else self.wait_for_all

    def votes_of(self, node: NodeId) -> int:
        return self.nodes.get(node, 1)
