"""The join protocol, DC side: learn every member's state before deciding anything.

A new DC, or a DC whose view gained members, multicasts `JoinRequest(dc, join_id)` in the crmd
group; every member answers `JoinReply` with its LRM's history (finished operations) and the
operations it was asked for and has not finished (they count as in progress: a pending start is
a started resource). Until every member of the current view has answered the current round the
DC plans nothing: a member whose history is unknown may be running anything, and starting a
resource elsewhere could make it active twice. Members that answered are `join=member` in the
status section, the others `pending` (the scheduler neither uses nor places anything on them).
A member that joins later triggers a new round; the scheduler then probes it (monitor with
interval 0 of every resource it has no history of) before starting anything it could run.
"""

from __future__ import annotations

from collections.abc import Iterable


class JoinRounds:
    def __init__(self, dc: str) -> None:
        self.dc = dc
        self.join_id = 0
        self.waiting: set[str] = set()
        self.joined: set[str] = set()

    def start(self, members: Iterable[str], fresh: Iterable[str] = ()) -> int:
        """A new round for the current members; nodes that answered earlier rounds stay joined
        (their results kept coming since) unless they left or are `fresh` (a restarted
        controller: what it answered before may be stale)."""
        self.join_id += 1
        members = set(members)
        self.joined &= members - set(fresh)
        self.waiting = members - self.joined
        return self.join_id

    def answered(self, node: str, join_id: int) -> bool:
        """Count a reply; False when it belongs to an older round or a node not asked."""
        if join_id != self.join_id or node not in self.waiting:
            return False
        self.waiting.discard(node)
        self.joined.add(node)
        return True

    def left(self, node: str) -> None:
        self.waiting.discard(node)
        self.joined.discard(node)

    @property
    def settled(self) -> bool:
        return not self.waiting
