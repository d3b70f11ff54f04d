"""The CPG (closed process group) service core of one node, sans-IO.

Entry point: `CpgCore(node).handle(event, now=0.0) -> list[Effect]` (see `actors.ais.effects`),
where `event` is an EVS event from totem, a `ClientRequest` whose `op` is one of the requests in
`actors.ais.cpg.messages`, or `ClientGone`. No timers.

Replicated state: `groups`, group name -> set of `CpgMember(nodeid, pid)`. It changes only by
agreed operations (`ProcJoin`, `ProcLeave`) applied in total order, and by the merge after a
configuration change, so every node of a configuration holds the same groups.

Membership change (corosync's downlist + joinlist sync, built on `actors.ais.sync.engine`): on a
regular configuration every node multicasts its joinlist, the (group, pid) pairs of its own
processes. Each node is the authority for its own processes, so once every member's joinlist has
arrived the merged groups are simply their union, identical everywhere. Each node then tells
its local clients the difference from what they knew: first a confchg for the processes that
are gone (NODEDOWN when their node left the configuration, PROCDOWN otherwise), then one for
those that appeared (NODEUP when their node is new since the last sync, JOIN otherwise).

Own operations are never lost: this core remembers the operations it multicast until it sees
them delivered. One delivered while the sync barrier is open is dropped on every node (the sync
engine's rule) and this node sends it again, in the original order, when the barrier completes;
operations arising during a sync (a client dying) wait for the barrier the same way. So every
client sees its own joins, leaves and messages, in FIFO order.

Client requests that change the group state (join, leave, mcast) answer TRY_AGAIN while the
state is not agreed (sync in progress or a transitional configuration) and when more than
`flow_control_limit` of this node's operations are in flight (flow control). Connection states
and error codes follow corosync's exec/cpg.c.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from actors.ais.cpg.messages import (
    MAX_GROUP_NAME,
    ConfchgCallback,
    CpgAddress,
    CpgMember,
    CpgOperation,
    CpgReason,
    DeliverCallback,
    FlowControl,
    FlowControlGet,
    GroupMcast,
    Join,
    Leave,
    LocalGet,
    Mcast,
    MembershipGet,
    ProcJoin,
    ProcLeave,
    TotemConfchgCallback,
)
from actors.ais.effects import (
    Callback,
    ClientGone,
    ClientRequest,
    ConnId,
    Effect,
    Input,
    Multicast,
    Reply,
)
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evs import ConfigurationChange, Delivery, NodeId
from actors.ais.sync.engine import SyncSession, SyncState

SERVICE = "cpg"

Joinlist = tuple[tuple[str, int], ...]
"""One node's sync snapshot: the (group, pid) pairs of its own processes, sorted."""


class ConnState(Enum):
    """A client connection's place in the join/leave cycle (corosync's cpd_state)."""

    UNJOINED = "unjoined"
    JOIN_STARTED = "join_started"
    JOIN_COMPLETED = "join_completed"
    LEAVE_STARTED = "leave_started"


_RECEIVING = (ConnState.JOIN_COMPLETED, ConnState.LEAVE_STARTED)
"""States in which a connection receives deliveries and confchgs of its group."""


@dataclass
class _Conn:
    state: ConnState = ConnState.UNJOINED
    group: str | None = None
    pid: int | None = None

    def is_member(self, group: str, member: CpgMember, node: NodeId) -> bool:
        return self.group == group and self.pid == member.pid and member.nodeid == node


@dataclass(frozen=True)
class _Outgoing:
    """One of this node's operations, with the delivery guarantee it was asked for."""

    op: CpgOperation
    safe: bool = False


class CpgCore:
    """CPG on one node; see the module docstring for the protocol."""

    def __init__(self, node: NodeId, *, flow_control_limit: int = 64) -> None:
        self.node = node
        self.flow_control_limit = flow_control_limit
        self.sync = SyncSession(SERVICE, node)
        self.groups: dict[str, set[CpgMember]] = {}
        self.conns: dict[ConnId, _Conn] = {}
        self.ring_members: tuple[NodeId, ...] = ()
        """Members of the configuration whose barrier completed last."""
        self._in_flight: deque[_Outgoing] = deque()
        self._resend: list[_Outgoing] = []

    # -- entry point ---------------------------------------------------------------------------

    def handle(self, event: Input, now: float = 0.0) -> list[Effect]:
        """Feed one input; returns the effects to carry out, in order. (`now` is unused: CPG
        keeps no deadlines; it is accepted so every service core is driven the same way.)"""
        if isinstance(event, ClientRequest):
            return self._on_request(event)
        if isinstance(event, ClientGone):
            return self._on_client_gone(event.conn)
        if isinstance(event, ConfigurationChange):
            return self._on_configuration(event)
        if isinstance(event, Delivery):
            return self._on_delivery(event)
        return []

    # -- queries -------------------------------------------------------------------------------

    def members(self, group: str) -> tuple[CpgMember, ...]:
        return tuple(sorted(self.groups.get(group, ())))

    @property
    def in_flight(self) -> int:
        """This node's operations not yet applied (the flow-control measure)."""
        return len(self._in_flight) + len(self._resend)

    # -- client requests -----------------------------------------------------------------------

    def _on_request(self, req: ClientRequest) -> list[Effect]:
        op = req.op
        conn = self.conns.setdefault(req.conn, _Conn())
        if isinstance(op, LocalGet):
            return [Reply(req.conn, req.request_id, self.node)]
        if isinstance(op, MembershipGet):
            return [Reply(req.conn, req.request_id, self.members(op.group))]
        if isinstance(op, FlowControlGet):
            state = FlowControl.ENABLED if self._flow_blocked() else FlowControl.DISABLED
            return [Reply(req.conn, req.request_id, state)]
        if isinstance(op, Join | Leave | Mcast) and not self.sync.accepting:
            detail = "cpg: membership change in progress"
            return [Reply(req.conn, req.request_id, AisError(AisErrorCode.TRY_AGAIN, detail))]
        if isinstance(op, Join):
            return self._join(req, conn, op)
        if isinstance(op, Leave):
            return self._leave(req, conn, op)
        if isinstance(op, Mcast):
            return self._mcast(req, conn, op)
        detail = f"cpg: unknown request {type(op).__name__}"
        return [Reply(req.conn, req.request_id, AisError(AisErrorCode.INVALID_PARAM, detail))]

    def _join(self, req: ClientRequest, conn: _Conn, op: Join) -> list[Effect]:
        def fail(code: AisErrorCode, detail: str) -> list[Effect]:
            return [Reply(req.conn, req.request_id, AisError(code, detail))]

        member = CpgMember(self.node, op.pid)
        for other in self.conns.values():
            if other.state is not ConnState.UNJOINED and other.group == op.group:
                if other.pid == op.pid:
                    return fail(AisErrorCode.EXIST, f"cpg: pid {op.pid} already in {op.group!r}")
        if member in self.groups.get(op.group, ()):
            # Its leave (or PROCDOWN) is not applied yet.
            return fail(AisErrorCode.TRY_AGAIN, f"cpg: pid {op.pid} still leaving {op.group!r}")
        if len(op.group.encode()) > MAX_GROUP_NAME:
            return fail(AisErrorCode.NAME_TOO_LONG, f"cpg: group name longer than {MAX_GROUP_NAME}")
        if conn.state is ConnState.LEAVE_STARTED:
            return fail(AisErrorCode.BUSY, f"cpg: connection still leaving {conn.group!r}")
        if conn.state is not ConnState.UNJOINED:
            return fail(AisErrorCode.EXIST, f"cpg: connection already joined {conn.group!r}")
        conn.state, conn.group, conn.pid = ConnState.JOIN_STARTED, op.group, op.pid
        return [Reply(req.conn, req.request_id), *self._send(ProcJoin(op.group, member))]

    def _leave(self, req: ClientRequest, conn: _Conn, op: Leave) -> list[Effect]:
        error: AisError | None = None
        if conn.state in (ConnState.UNJOINED, ConnState.LEAVE_STARTED) or conn.group != op.group:
            error = AisError(AisErrorCode.NOT_EXIST, f"cpg: connection not in {op.group!r}")
        elif conn.state is ConnState.JOIN_STARTED:
            error = AisError(AisErrorCode.BUSY, f"cpg: join of {op.group!r} not complete yet")
        if error is not None:
            return [Reply(req.conn, req.request_id, error)]
        assert conn.pid is not None
        conn.state = ConnState.LEAVE_STARTED
        leave = ProcLeave(op.group, CpgMember(self.node, conn.pid), CpgReason.LEAVE)
        return [Reply(req.conn, req.request_id), *self._send(leave)]

    def _mcast(self, req: ClientRequest, conn: _Conn, op: Mcast) -> list[Effect]:
        if conn.state not in (ConnState.JOIN_STARTED, ConnState.JOIN_COMPLETED):
            error = AisError(AisErrorCode.NOT_EXIST, "cpg: mcast on a connection not in a group")
            return [Reply(req.conn, req.request_id, error)]
        if self._flow_blocked():
            error = AisError(AisErrorCode.TRY_AGAIN, "cpg: flow control (too many in flight)")
            return [Reply(req.conn, req.request_id, error)]
        assert conn.group is not None and conn.pid is not None
        mcast = GroupMcast(conn.group, CpgMember(self.node, conn.pid), op.data)
        return [
            Reply(req.conn, req.request_id),
            *self._send(mcast, safe=op.guarantee == "safe"),
        ]

    def _flow_blocked(self) -> bool:
        return self.in_flight >= self.flow_control_limit

    def _on_client_gone(self, conn_id: ConnId) -> list[Effect]:
        conn = self.conns.pop(conn_id, None)
        if conn is None or conn.state not in (ConnState.JOIN_STARTED, ConnState.JOIN_COMPLETED):
            return []  # never joined, or its LEAVE is already on the way
        assert conn.group is not None and conn.pid is not None
        return self._send(ProcLeave(conn.group, CpgMember(self.node, conn.pid), CpgReason.PROCDOWN))

    def _send(self, op: CpgOperation, *, safe: bool = False) -> list[Effect]:
        """Multicast one of our operations now, or after the barrier if a sync is open."""
        out = _Outgoing(op, safe)
        if not self.sync.accepting:
            self._resend.append(out)
            return []
        self._in_flight.append(out)
        return [Multicast(op, safe)]

    # -- totem events --------------------------------------------------------------------------

    def _on_configuration(self, change: ConfigurationChange) -> list[Effect]:
        joinlist: Joinlist | None = None
        if change.kind == "regular":
            joinlist = tuple(
                sorted(
                    (group, m.pid)
                    for group, members in self.groups.items()
                    for m in members
                    if m.nodeid == self.node
                )
            )
        state = self.sync.on_configuration(change, joinlist)
        return [] if state is None else [Multicast(state)]

    def _on_delivery(self, delivery: Delivery) -> list[Effect]:
        payload = delivery.payload
        if isinstance(payload, SyncState):
            if payload.service != SERVICE:
                return []
            snapshots = self.sync.on_sync_state(payload)
            return [] if snapshots is None else self._merge(snapshots)
        if not isinstance(payload, ProcJoin | ProcLeave | GroupMcast):
            return []
        applied = self.sync.applies(delivery.ring_id)
        if delivery.sender == self.node:
            mine = self._own_delivered(payload)
            if mine is not None and not applied:
                self._resend.append(mine)
        if not applied:
            return []
        if isinstance(payload, ProcJoin):
            return self._apply_join(payload)
        if isinstance(payload, ProcLeave):
            return self._apply_leave(payload)
        return self._apply_mcast(payload)

    def _own_delivered(self, payload: CpgOperation) -> _Outgoing | None:
        """Match one of our deliveries with what we sent (FIFO). Entries before it were lost
        with a ring (totem never does that to a surviving sender; tests can) and are forgotten,
        so flow control cannot leak."""
        if not any(mine.op == payload for mine in self._in_flight):
            return None  # sent by an earlier incarnation of this node
        while self._in_flight:
            mine = self._in_flight.popleft()
            if mine.op == payload:
                return mine
        return None

    def _apply_join(self, op: ProcJoin) -> list[Effect]:
        members = self.groups.setdefault(op.group, set())
        if op.member in members:
            return []
        members.add(op.member)
        for conn in self.conns.values():
            if conn.state is ConnState.JOIN_STARTED and conn.is_member(
                op.group, op.member, self.node
            ):
                conn.state = ConnState.JOIN_COMPLETED
        joined = (CpgAddress(op.member.nodeid, op.member.pid, CpgReason.JOIN),)
        return self._confchg(op.group, left=(), joined=joined)

    def _apply_leave(self, op: ProcLeave) -> list[Effect]:
        members = self.groups.get(op.group, set())
        if op.member not in members:
            return []
        members.discard(op.member)
        if not members:
            del self.groups[op.group]
        left = (CpgAddress(op.member.nodeid, op.member.pid, op.reason),)
        effects = self._confchg(op.group, left=left, joined=())
        for conn in self.conns.values():
            if conn.state is ConnState.LEAVE_STARTED and conn.is_member(
                op.group, op.member, self.node
            ):
                conn.state, conn.group, conn.pid = ConnState.UNJOINED, None, None
        return effects

    def _apply_mcast(self, op: GroupMcast) -> list[Effect]:
        message = DeliverCallback(op.group, op.member.nodeid, op.member.pid, op.data)
        return [
            Callback(conn_id, message)
            for conn_id, conn in self.conns.items()
            if conn.group == op.group and conn.state in _RECEIVING
        ]

    def _confchg(
        self, group: str, left: tuple[CpgAddress, ...], joined: tuple[CpgAddress, ...]
    ) -> list[Effect]:
        """A confchg of `group` (its current members) for every local connection receiving it."""
        message = ConfchgCallback(group, self.members(group), left, joined)
        return [
            Callback(conn_id, message)
            for conn_id, conn in self.conns.items()
            if conn.group == group and conn.state in _RECEIVING
        ]

    def _merge(self, joinlists: dict[NodeId, object]) -> list[Effect]:
        """The barrier completed: adopt the union of the joinlists, report the difference."""
        previous_ring = set(self.ring_members)
        new_ring = set(joinlists)
        merged: dict[str, set[CpgMember]] = {}
        for nodeid, joinlist in joinlists.items():
            assert isinstance(joinlist, tuple)
            for group, pid in joinlist:
                merged.setdefault(group, set()).add(CpgMember(nodeid, pid))

        effects: list[Effect] = []
        for group in sorted(set(self.groups) | set(merged)):
            old, new = self.groups.get(group, set()), merged.get(group, set())
            gone, came = sorted(old - new), sorted(new - old)
            if gone:
                self.groups[group] = old - set(gone)
                left = tuple(
                    CpgAddress(
                        m.nodeid,
                        m.pid,
                        CpgReason.PROCDOWN if m.nodeid in new_ring else CpgReason.NODEDOWN,
                    )
                    for m in gone
                )
                effects += self._confchg(group, left=left, joined=())
            if came:
                self.groups[group] = set(new)
                joined = tuple(
                    CpgAddress(
                        m.nodeid,
                        m.pid,
                        CpgReason.JOIN if m.nodeid in previous_ring else CpgReason.NODEUP,
                    )
                    for m in came
                )
                effects += self._confchg(group, left=(), joined=joined)
        self.groups = {group: members for group, members in merged.items() if members}
        self.ring_members = tuple(sorted(new_ring))

        assert self.sync.ring_id is not None
        ring_change = TotemConfchgCallback(self.sync.ring_id, self.ring_members)
        effects += [
            Callback(conn_id, ring_change)
            for conn_id, conn in self.conns.items()
            if conn.state in _RECEIVING
        ]
        resend, self._resend = self._resend, []
        for out in resend:
            effects += self._send(out.op, safe=out.safe)
        return effects
