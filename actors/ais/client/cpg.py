"""libcpg for Python: join a closed process group, multicast to it, get its messages and views."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from actors.ais.client.connection import Connection
from actors.ais.cpg.messages import (
    ConfchgCallback,
    CpgMember,
    DeliverCallback,
    FlowControl,
    FlowControlGet,
    Join,
    Leave,
    LocalGet,
    Mcast,
    MembershipGet,
    TotemConfchgCallback,
)
from actors.ais.errors import AisError, AisErrorCode


class CpgClient(Connection):
    """cpg_initialize: `deliver(DeliverCallback)`, `confchg(ConfchgCallback)` and
    `totem_confchg(TotemConfchgCallback)` are called from `dispatch` (or the dispatch thread)."""

    def __init__(
        self,
        deliver: Callable[[DeliverCallback], None] | None = None,
        confchg: Callable[[ConfchgCallback], None] | None = None,
        totem_confchg: Callable[[TotemConfchgCallback], None] | None = None,
        **where,
    ) -> None:
        super().__init__("cpg", **where)
        self.deliver_fn, self.confchg_fn, self.totem_confchg_fn = deliver, confchg, totem_confchg
        self.handler = self._route

    def _route(self, payload: object, cause: tuple) -> None:
        kind = type(payload)
        if kind is DeliverCallback and self.deliver_fn:
            self.deliver_fn(payload)
        elif kind is ConfchgCallback and self.confchg_fn:
            self.confchg_fn(payload)
        elif kind is TotemConfchgCallback and self.totem_confchg_fn:
            self.totem_confchg_fn(payload)

    def join(self, group: str, pid: int | None = None) -> None:
        """cpg_join (as this process's pid unless given); the confchg follows in dispatch."""
        self.call(Join(group, os.getpid() if pid is None else pid))

    def leave(self, group: str) -> None:
        self.call(Leave(group))

    def mcast_joined(self, data: object, guarantee: str = "agreed", retry: float = 0.0) -> None:
        """cpg_mcast_joined; TRY_AGAIN (a membership change, flow control) is retried for up
        to `retry` seconds before it is raised."""
        deadline = time.monotonic() + retry
        while True:
            try:
                self.call(Mcast(data, guarantee))
                return
            except AisError as exc:
                if exc.code != AisErrorCode.TRY_AGAIN or time.monotonic() >= deadline:
                    raise
            time.sleep(0.01)

    def mcast_nowait(self, data: object, guarantee: str = "agreed") -> None:
        """cpg_mcast_joined without waiting for the answer: many messages in flight at once.
        Call `settle()` to wait for the answers; refused ones (TRY_AGAIN) are in `rejected`
        as `(Mcast, AisError)` pairs, for the application to resend (after later ones)."""
        self.send(Mcast(data, guarantee))

    def membership_get(self, group: str) -> tuple[CpgMember, ...]:
        return self.call(MembershipGet(group))

    def local_get(self) -> int:
        """cpg_local_get: this node's id."""
        return self.call(LocalGet())

    def flow_control_state_get(self) -> FlowControl:
        return self.call(FlowControlGet())
