"""The CPG guarantees as a pure function over what each node's core took in and gave out.

`check(lives, complete=True)` returns the violations found (empty: the run is good). A life is
one incarnation of one node's CPG core: the inputs it was fed and the effects it returned, in
order (the harness and the simulator both log exactly that). What it checks:

- each connection's view is consistent: its first confchg is its own join (it is among the
  members), and every later one lists the previous members minus `left` plus `joined`;
- virtual synchrony: a view change is named by the delivery that caused it (a join, a leave, or
  the sync message that completed a merge); any two connections that pass through the same two
  consecutive view changes received the same messages between them;
- one total order: any two connections receive the messages they share in the same order;
- self-delivery: a connection receives its own accepted messages in the order it sent them, and
  (with `complete`, a run that ended quiet) all of them, unless its process went away first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from actors.ais.cpg.messages import ConfchgCallback, CpgMember, DeliverCallback, Join, Mcast
from actors.ais.effects import Callback, ClientGone, ClientRequest, ConnId, Reply
from actors.ais.evs import ConfigurationChange, Delivery, NodeId

Trigger = tuple[object, ...]
"""What caused a callback: the (ring id, seq) of a delivery; for a view, with its members."""


@dataclass(frozen=True)
class Life:
    """One incarnation of one node: its CPG core's inputs and effects, interleaved in order."""

    node: NodeId
    items: Sequence[object]


@dataclass
class _ConnTrace:
    pid: int | None = None
    view: tuple[CpgMember, ...] | None = None
    view_id: Trigger | None = None
    since_view: list[Trigger] = field(default_factory=list)
    received: list[Trigger] = field(default_factory=list)
    sent: list[object] = field(default_factory=list)
    own: list[object] = field(default_factory=list)
    gone: bool = False


def check(lives: Sequence[Life], complete: bool = True) -> list[str]:
    bad: list[str] = []
    segments: dict[tuple[str, Trigger, Trigger], tuple[str, list[Trigger]]] = {}
    orders: list[tuple[str, list[Trigger]]] = []
    for index, life in enumerate(lives):
        traces = _replay(life, f"node {life.node} life {index}", bad, segments)
        for (_, conn), trace in traces.items():
            who = f"node {life.node} life {index} conn {conn!r}"
            orders.append((who, trace.received))
            sent, own = trace.sent, trace.own
            if own != sent[: len(own)]:
                bad.append(f"{who}: own messages {own} are not a prefix of those sent {sent}")
            elif complete and not trace.gone and len(own) < len(sent):
                bad.append(f"{who}: never received its own {sent[len(own) :]}")
    for i, (who_a, a) in enumerate(orders):
        for who_b, b in orders[i + 1 :]:
            common = set(a) & set(b)
            if [m for m in a if m in common] != [m for m in b if m in common]:
                bad.append(f"{who_a} and {who_b} received shared messages in different orders")
    return bad


def _replay(
    life: Life,
    who: str,
    bad: list[str],
    segments: dict[tuple[str, Trigger, Trigger], tuple[str, list[Trigger]]],
) -> dict[tuple[str, ConnId], _ConnTrace]:
    traces: dict[ConnId, _ConnTrace] = {}
    requests: dict[tuple[ConnId, int], object] = {}
    trigger: Trigger = ("start",)
    for item in life.items:
        if isinstance(item, Delivery):
            trigger = (item.ring_id, item.seq)
        elif isinstance(item, ConfigurationChange):
            trigger = (item.kind, item.ring_id)
        elif isinstance(item, ClientRequest):
            requests[(item.conn, item.request_id)] = item.op
        elif isinstance(item, ClientGone):
            traces.setdefault(item.conn, _ConnTrace()).gone = True
        elif isinstance(item, Reply) and item.ok:
            op = requests.pop((item.conn, item.request_id), None)
            trace = traces.setdefault(item.conn, _ConnTrace())
            if isinstance(op, Join):
                trace.pid = op.pid
            elif isinstance(op, Mcast):
                trace.sent.append(op.data)
        elif isinstance(item, Callback):
            trace = traces.setdefault(item.conn, _ConnTrace())
            payload = item.payload
            if isinstance(payload, DeliverCallback):
                trace.received.append(trigger)
                trace.since_view.append(trigger)
                if payload.nodeid == life.node and payload.pid == trace.pid:
                    trace.own.append(payload.data)
            elif isinstance(payload, ConfchgCallback):
                view_id = (*trigger, payload.members)
                _check_view(f"{who} conn {item.conn!r}", life.node, trace, payload, bad)
                if trace.view_id is not None:
                    key = (payload.group, trace.view_id, view_id)
                    seen = segments.setdefault(key, (who, trace.since_view))
                    if seen[1] != trace.since_view:
                        bad.append(
                            f"{who} conn {item.conn!r} and {seen[0]} passed the same view "
                            f"changes of {payload.group!r} with different messages between"
                        )
                gone = trace.view is None
                trace.view_id, trace.since_view = (None if gone else view_id), []
    return {(who, conn): trace for conn, trace in traces.items()}


def _check_view(
    who: str, node: NodeId, trace: _ConnTrace, cb: ConfchgCallback, bad: list[str]
) -> None:
    me = CpgMember(node, trace.pid) if trace.pid is not None else None
    joined = {CpgMember(a.nodeid, a.pid) for a in cb.joined}
    left = {CpgMember(a.nodeid, a.pid) for a in cb.left}
    if me is not None and me in joined:
        if me not in cb.members:
            bad.append(f"{who}: own join confchg does not list itself")
    elif trace.view is None:
        bad.append(f"{who}: confchg before its own join: {cb}")
    elif tuple(sorted((set(trace.view) - left) | joined)) != cb.members:
        bad.append(f"{who}: confchg {cb} does not follow from the previous view {trace.view}")
    trace.view = None if me in left else cb.members
