"""DC election without voting rounds: the DC is a function of the CPG view.

Every controller is a member of the CPG group `ringleader-crmd`. Extended virtual synchrony
gives every member of a partition the same sequence of views and of agreed messages, in the same
order. So if the DC is a deterministic function of (the current view, the agreed messages
delivered so far), every member computes the same DC at the same point of that sequence, and a
partition has exactly one DC as soon as it has a view: no voting, no timeouts, no split votes.

The function: the member with the lowest node id that has not announced that it is shutting
down (`ShuttingDown`, an agreed message; a controller never takes it back); if every member is
shutting down, the lowest of them (someone must stop the resources).

Why at most one DC, even for a member that joined late and missed a `ShuttingDown`: a node calls
itself DC only if no lower member is left after removing those *it knows* to be shutting down.
A node always knows its own announcement, and announcements are never withdrawn, so two members
X < Y can both claim the role only if Y believes X is shutting down while X does not, which
cannot happen. A newcomer may briefly pick nobody (it thinks the shutting-down X is DC while the
others picked Y), which is harmless; shutting-down members repeat their announcement after
every view change, so it catches up within one agreed message.

When the DC leaves (crash, partition, shutdown), the next view names a new one, which learns
the state afresh through the join protocol (`join.py`); nothing is handed over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def choose_dc(
    members: Iterable[str], node_ids: Mapping[str, int], shutting_down: Iterable[str] = ()
) -> str | None:
    """The DC of a view: the lowest node id among members not shutting down."""
    members = sorted(set(members), key=lambda n: (node_ids.get(n, 1 << 31), n))
    if not members:
        return None
    leaving = set(shutting_down)
    staying = [n for n in members if n not in leaving]
    return (staying or members)[0]


class Election:
    """What one controller knows: the current view and who announced a shutdown."""

    def __init__(self, node: str, node_ids: Mapping[str, int]) -> None:
        self.node = node
        self.node_ids = dict(node_ids)
        self.members: tuple[str, ...] = ()
        self.shutting_down: set[str] = set()
        self.dc: str | None = None

    @property
    def is_dc(self) -> bool:
        return self.dc == self.node

    def view(self, members: Iterable[str]) -> str | None:
        self.members = tuple(members)
        self.shutting_down &= set(self.members)
        self.dc = choose_dc(self.members, self.node_ids, self.shutting_down)
        return self.dc

    def shutdown_announced(self, node: str) -> str | None:
        if node in self.members:
            self.shutting_down.add(node)
        self.dc = choose_dc(self.members, self.node_ids, self.shutting_down)
        return self.dc
