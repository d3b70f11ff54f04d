"""quorum/votequorum for Python: is this partition quorate, and tell me when that changes."""

from __future__ import annotations

from collections.abc import Callable

from actors.ais.client.connection import Connection
from actors.ais.quorum.messages import (
    GetInfo,
    GetQuorate,
    GetStatus,
    NodeQuorumInfo,
    QuorumNotification,
    QuorumStatus,
    SetExpected,
    SetVotes,
    TrackFlags,
    TrackStart,
    TrackStop,
)


class QuorumClient(Connection):
    """quorum_initialize: `notify(QuorumNotification)` is called from `dispatch`."""

    def __init__(self, notify: Callable[[QuorumNotification], None] | None = None, **where) -> None:
        super().__init__("quorum", **where)
        self.notify_fn = notify
        self.handler = self._route

    def _route(self, payload: object, cause: tuple) -> None:
        if type(payload) is QuorumNotification and self.notify_fn:
            self.notify_fn(payload)

    def getquorate(self) -> bool:
        return self.call(GetQuorate())

    def trackstart(self, flags: TrackFlags = TrackFlags.CHANGES) -> None:
        self.call(TrackStart(flags))

    def trackstop(self) -> None:
        self.call(TrackStop())

    def getinfo(self, nodeid: int | None = None) -> NodeQuorumInfo:
        return self.call(GetInfo(nodeid))

    def status(self) -> QuorumStatus:
        return self.call(GetStatus())

    def setexpected(self, expected_votes: int) -> None:
        self.call(SetExpected(expected_votes))

    def setvotes(self, votes: int, nodeid: int | None = None) -> None:
        self.call(SetVotes(votes, nodeid))
