"""An actor's seat in a closed process group: how the node's own components (fencer, CIB,
controller, attribute manager) reach their peers on the other nodes, as Pacemaker's daemons do.

`GroupLink(group, actor, config=...)` joins `group` through this node's executive and tells
`actor` a `GroupMessage` for every delivered message and a `GroupView` for every membership
change, from one dispatch thread, so the actor sees them in the agreed order, views included.
`mcast` multicasts (agreed by default); a refusal for flow control or a membership change in
progress (TRY_AGAIN) is retried for `retry` seconds, after which the AisError is raised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from actors.ais.client.cpg import CpgClient
from actors.ais.cpg.messages import ConfchgCallback, CpgAddress, CpgMember, DeliverCallback
from actors.ais.errors import AisError
from actors.ais.evs import NodeId


@dataclass(frozen=True)
class GroupMessage:
    """`data` multicast to `group` by process `pid` of node `nodeid`."""

    group: str
    nodeid: NodeId
    pid: int
    data: object


@dataclass(frozen=True)
class GroupView:
    """`group`'s members after a change, who left and who joined (with the CPG reasons)."""

    group: str
    members: tuple[CpgMember, ...]
    left: tuple[CpgAddress, ...]
    joined: tuple[CpgAddress, ...]

    @property
    def nodes(self) -> tuple[NodeId, ...]:
        """The nodes with at least one member, in order."""
        return tuple(sorted({m.nodeid for m in self.members}))


class GroupLink:
    def __init__(self, group: str, actor: Any, retry: float = 10.0, **where) -> None:
        """`actor`: the ref told the messages and views; `where`: how to find the executive
        (`config=` a node config path, or `endpoint=`, `node=`, `authkey=`)."""
        self.group = group
        self.retry = retry
        self._actor = actor
        self.client = CpgClient(deliver=self._deliver, confchg=self._confchg, **where)
        try:
            self.node_id: NodeId = self.client.local_get()
            self.pid = os.getpid()
            self.client.join(group)
        except BaseException:
            self.client.finalize()  # a failed attempt leaves no connection behind
            raise
        self.client.start_dispatch_thread()

    def _deliver(self, cb: DeliverCallback) -> None:
        self._actor.tell(GroupMessage(cb.group, cb.nodeid, cb.pid, cb.data))

    def _confchg(self, cb: ConfchgCallback) -> None:
        self._actor.tell(GroupView(cb.group, cb.members, cb.left, cb.joined))

    def mcast(self, data: object, guarantee: str = "agreed") -> None:
        self.client.mcast_joined(data, guarantee, retry=self.retry)

    def close(self) -> None:
        """Leave the group (the others see LEAVE; PROCDOWN if the executive cannot be told)
        and close the connection."""
        try:
            self.client.leave(self.group)
        except AisError:
            pass  # finalized already, or the executive is gone: the others see PROCDOWN
        self.client.finalize()
