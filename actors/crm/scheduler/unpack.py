"""The cluster as the scheduler sees it: node states and each resource's state per node,
read from the CIB status section (pure: the CIB and a time in, a `ClusterState` out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from actors.crm.cib.model import Cib, NodeState, OpRecord, Primitive
from actors.crm.scheduler.options import ClusterOptions, plain_values, true
from actors.crm.scheduler.rules import evaluate
from actors.crm.scheduler.scores import INFINITY, parse_score

# OCF exit codes and executor op-status values the history carries.
OCF_OK, OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED, OCF_FAILED_PROMOTED = 0, 7, 8, 9
HARD_ERRORS = (2, 3, 4, 5)  # invalid args, unimplemented, insufficient priv, not installed
FATAL_ERRORS = (6,)  # not configured: the resource may run nowhere
OP_PENDING, OP_DONE, OP_CANCELLED, OP_TIMEOUT, OP_NOTSUPPORTED, OP_ERROR = -1, 0, 1, 2, 3, 4
OP_ERROR_HARD, OP_ERROR_FATAL, OP_NOT_INSTALLED = 5, 6, 7


@dataclass
class NodeInfo:
    id: str
    name: str
    online: bool = False
    unclean: bool = False
    fence_reason: str = ""
    standby: bool = False
    maintenance: bool = False
    shutdown: bool = False
    pending: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    utilization: dict[str, str] = field(default_factory=dict)

    @property
    def can_host(self) -> bool:
        return (
            self.online
            and not self.unclean
            and not self.standby
            and not self.shutdown
            and not self.maintenance
        )


@dataclass
class RscNodeState:
    """What the history says about one resource on one node."""

    role: str = "Stopped"  # Stopped, Started, Unpromoted, Promoted
    failed: bool = False
    stop_failed: bool = False
    banned: bool = False  # hard error: not on this node
    fatal: bool = False  # not configured: nowhere
    blocked: bool = False  # on-fail=block
    on_fail: str = ""
    last_failure: OpRecord | None = None
    start_digest: str | None = None
    ops: tuple[OpRecord, ...] = ()
    pending: str | None = None
    agent: tuple[str | None, str | None, str | None] = (None, None, None)


@dataclass
class ClusterState:
    options: ClusterOptions
    nodes: dict[str, NodeInfo]  # by uname, in configuration order
    history: dict[str, dict[str, RscNodeState]]  # rsc id -> node name -> state
    have_quorum: bool
    now: dt.datetime | None
    fence_possible: bool


def _cluster_time(cib: Cib, now: dt.datetime | None) -> dt.datetime | None:
    if now is not None:
        return now
    stamp = cib.attribute("execution-date")
    if stamp and stamp.isdigit():
        return dt.datetime.fromtimestamp(int(stamp), dt.UTC)
    return None


def _online(state: NodeState | None, fencing: bool) -> tuple[bool, bool, str]:
    """(online, unclean, reason) as Pacemaker derives it from a node_state."""
    if state is None:
        return False, False, ""
    in_ccm = state.in_ccm is not None and (
        true(state.in_ccm) or state.in_ccm.isdigit() and int(state.in_ccm) > 0
    )
    crmd = state.crmd is not None and (
        state.crmd == "online" or state.crmd.isdigit() and int(state.crmd) > 0
    )
    join, expected = state.join, state.expected
    if not fencing:
        if in_ccm and crmd and join == "member":
            return True, False, ""
        return False, False, ""
    if in_ccm and crmd and join == "member":
        return True, False, ""
    if in_ccm and crmd:
        if expected == "member" and join not in ("pending", "member", None):
            return False, True, "peer failed Pacemaker membership criteria"
        return False, False, ""
    if expected == "down" or (join == "down" and expected != "member"):
        return False, False, ""
    if not in_ccm and not crmd and join != "member" and expected != "member":
        return False, False, ""
    if in_ccm and not crmd:
        return False, True, "peer process is no longer available"
    return False, True, "peer is no longer part of the cluster"


def unpack_nodes(cib: Cib, options: ClusterOptions, now) -> dict[str, NodeInfo]:
    fencing = options.flag("stonith-enabled")
    states = {s.uname or s.id: s for s in cib.node_states}
    states_by_id = {s.id: s for s in cib.node_states}
    nodes: dict[str, NodeInfo] = {}
    for n in cib.nodes:
        if n.type not in ("member", "normal", ""):
            continue
        st = states_by_id.get(n.id) or states.get(n.uname)
        online, unclean, reason = _online(st, fencing)
        if st is None and fencing and options.flag("startup-fencing"):
            unclean, reason = True, "node is unclean"  # never seen: its state is unknown
        info = NodeInfo(n.id, n.uname, online, unclean, reason)
        info.pending = st is not None and st.join == "pending" and not online
        attrs = {"#uname": n.uname, "#id": n.id, "#kind": "cluster"}
        attrs.update(plain_values(n.attributes))
        for s in n.attributes:
            if s.rule is not None and evaluate(s.rule.element, attrs, now):
                for k, v in s.values:
                    attrs.setdefault(k, v)
        if st is not None:
            attrs.update(dict(st.attributes))
        info.attrs = attrs
        info.utilization = plain_values(n.utilization)
        info.standby = true(attrs.get("standby"))
        info.maintenance = true(attrs.get("maintenance"))
        sd = attrs.get("shutdown")
        info.shutdown = bool(sd) and sd != "0"
        if true(attrs.get("terminate")) and info.online:
            info.unclean, info.fence_reason = True, "termination was requested"
        nodes[n.uname] = info
    return nodes


def _expected_rc(op: OpRecord) -> int:
    return op.target_rc


def _op_on_fail(prim: Primitive | None, op: OpRecord, options: ClusterOptions) -> str:
    if prim is not None:
        for cfg in prim.ops:
            if cfg.name == op.operation and cfg.interval_ms == op.interval_ms:
                value = cfg.get("on-fail")
                if value:
                    return value
    if op.operation == "stop":
        return "fence" if options.flag("stonith-enabled") else "block"
    return "restart"


def unpack_history(
    ops: tuple[OpRecord, ...],
    prim: Primitive | None,
    options: ClusterOptions,
    klass: str | None = None,
) -> RscNodeState:
    """Replay one resource's operations on one node in call order."""
    lsb = (prim.klass if prim is not None else klass) == "lsb"
    st = RscNodeState(ops=ops)
    done = sorted((o for o in ops if o.call_id >= 0), key=lambda o: o.call_id)
    pend = [o for o in ops if o.call_id < 0 or o.op_status == OP_PENDING]
    for op in done:
        if op.op_status == OP_PENDING:
            continue
        if op.operation in ("notify", "meta-data", "cancel"):
            continue
        rc, expected = op.rc_code, _expected_rc(op)
        is_probe = op.operation == "monitor" and op.interval_ms == 0
        if lsb and op.operation == "monitor" and rc in (1, 2, 3):
            rc = OCF_NOT_RUNNING  # LSB status: dead or stopped means "not running"
        if op.op_status == OP_CANCELLED:
            continue
        if op.op_status in (OP_NOT_INSTALLED,) and rc == 0:
            rc = 5
        # A probe finding the resource running (or promoted) is news, not a failure.
        if rc == expected or (is_probe and rc in (OCF_NOT_RUNNING, OCF_OK, OCF_RUNNING_PROMOTED)):
            if rc == OCF_NOT_RUNNING:
                st.role = "Stopped"
                if is_probe:
                    st.failed = False
            elif op.operation == "stop":
                st.role, st.failed, st.stop_failed = "Stopped", False, False
            elif op.operation in ("start", "migrate_from"):
                st.role, st.failed = "Started", False
                st.start_digest = op.op_digest
            elif op.operation == "promote":
                st.role = "Promoted"
            elif op.operation == "demote":
                st.role = "Unpromoted"
            elif op.operation == "migrate_to":
                st.role = "Started"
            elif rc == OCF_RUNNING_PROMOTED:
                st.role = "Promoted"
            elif op.operation == "monitor" and st.role == "Stopped":
                st.role = "Started"
            continue
        # A failure.
        on_fail = _op_on_fail(prim, op, options)
        if on_fail == "ignore" and op.op_status in (OP_ERROR_HARD, OP_NOT_INSTALLED):
            # The executor could not run the agent at all: not ignorable (not-installed-agent),
            # unlike an agent that ran and returned "not installed" (not-installed-tools).
            on_fail = "restart"
        st.on_fail = on_fail
        if on_fail == "ignore":
            if op.operation != "stop" and st.role == "Stopped":
                st.role = "Started"
            continue
        if rc in FATAL_ERRORS:
            st.fatal = True
        elif rc in HARD_ERRORS and not (is_probe and rc == 5):
            st.banned = True
        st.last_failure = op
        if is_probe and rc == 5:
            st.role, st.banned = "Stopped", True
            continue
        if op.operation == "stop":
            st.role, st.failed, st.stop_failed = "Started", True, True
            st.blocked = on_fail == "block"
            continue
        if rc == OCF_NOT_RUNNING and op.operation != "monitor":
            st.role, st.failed = "Stopped", True
        elif rc == OCF_FAILED_PROMOTED:
            st.role, st.failed = "Promoted", True
        else:
            if st.role == "Stopped":
                st.role = "Started"
            st.failed = True
        if on_fail == "block":
            st.blocked = True
    for op in pend:
        st.pending = op.operation
        if (
            op.operation in ("start", "migrate_to", "migrate_from", "promote")
            and st.role == "Stopped"
        ):
            st.role = "Started"
    return st


def failcount(attrs: dict[str, str], rsc_id: str) -> int:
    """Sum of the node's fail-count-RSC and fail-count-RSC#op_interval attributes."""
    total = 0
    exact, prefix = f"fail-count-{rsc_id}", f"fail-count-{rsc_id}#"
    for name, value in attrs.items():
        if name == exact or name.startswith(prefix):
            total = min(INFINITY, total + parse_score(value))
    return total


def last_failure_time(attrs: dict[str, str], rsc_id: str) -> int:
    exact, prefix = f"last-failure-{rsc_id}", f"last-failure-{rsc_id}#"
    best = 0
    for name, value in attrs.items():
        if (name == exact or name.startswith(prefix)) and value.isdigit():
            best = max(best, int(value))
    return best


def unpack(
    cib: Cib, primitives: dict[str, Primitive], now: dt.datetime | None = None
) -> ClusterState:
    options = ClusterOptions.from_cib(cib)
    now = _cluster_time(cib, now)
    nodes = unpack_nodes(cib, options, now)
    have_quorum = true(cib.attribute("have-quorum", "false"))
    fencing = options.flag("stonith-enabled")
    nqp = options.get("no-quorum-policy")
    fence_possible = fencing and (have_quorum or nqp == "ignore")
    by_id = {n.id: n for n in nodes.values()}
    history: dict[str, dict[str, RscNodeState]] = {}
    for ns in cib.node_states:
        node = by_id.get(ns.id) or nodes.get(ns.uname or "")
        if node is None:
            continue
        if not (node.online or (node.unclean and fencing)):
            continue
        for h in ns.history:
            st = unpack_history(h.ops, primitives.get(h.id), options, h.klass)
            st.agent = (h.klass, h.provider, h.type)
            history.setdefault(h.id, {})[node.name] = st
            if st.stop_failed and st.on_fail == "fence" and fencing and not node.unclean:
                node.unclean, node.fence_reason = True, f"{h.id} failed there"
    return ClusterState(options, nodes, history, have_quorum, now, fence_possible)
