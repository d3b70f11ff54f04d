"""The cluster as the scheduler sees it: node states and each resource's state per node,
read from the CIB status section (pure: the CIB and a time in, a `ClusterState` out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from actors.agents.duration import parse_ms
from actors.crm.cib.model import Cib, NodeState, OpRecord, Primitive
from actors.crm.scheduler.options import ClusterOptions, plain_values, true
from actors.crm.scheduler.rules import evaluate
from actors.crm.scheduler.scores import INFINITY, parse_score

# OCF exit codes and executor op-status values the history carries.
OCF_OK, OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED, OCF_FAILED_PROMOTED = 0, 7, 8, 9
OCF_DEGRADED, OCF_DEGRADED_PROMOTED = 190, 191  # running (promoted), but not at its best
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
            and not self.pending
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
    start: OpRecord | None = None  # the last successful start, for digest checks
    ops: tuple[OpRecord, ...] = ()
    pending: str | None = None
    last_op: OpRecord | None = None  # the last operation other than a monitor
    name: str = ""  # the id the history is recorded under (a clone instance's own name)
    assumed: bool = False  # taken as active after a failed migration: restart to be sure
    dangling: bool = False  # migrated away, but the stop on this (source) node is missing
    agent: tuple[str | None, str | None, str | None] = (None, None, None)


@dataclass
class ClusterState:
    options: ClusterOptions
    nodes: dict[str, NodeInfo]  # by uname, in configuration order
    history: dict[str, dict[str, RscNodeState]]  # rsc id -> node name -> state
    have_quorum: bool
    now: dt.datetime | None
    fence_possible: bool
    locks: dict[str, str] = field(default_factory=dict)  # shutdown-lock: rsc id -> node


def _cluster_time(cib: Cib, now: dt.datetime | None) -> dt.datetime | None:
    if now is not None:
        return now
    stamp = cib.attribute("execution-date")
    if stamp and stamp.isdigit():
        return dt.datetime.fromtimestamp(int(stamp), dt.UTC)
    return None


@dataclass(frozen=True)
class _Membership:
    online: bool
    unclean: bool = False
    reason: str = ""
    pending: bool = False  # in the cluster but not (yet) able to run resources


def _terminate(value: str | None) -> bool:
    """`terminate` is true, or a time stamp other than 0."""
    return true(value) or bool(value) and value[0].isdigit() and value[0] != "0"


def _online(state: NodeState, fencing: bool, attrs: dict[str, str]) -> _Membership:
    """A node's membership as Pacemaker derives it from its node_state (unpack.c,
    determine_online_status_*): `in_ccm` is cluster membership, `crmd` the controller."""
    in_ccm = state.in_ccm is not None and (
        true(state.in_ccm) or state.in_ccm.isdigit() and int(state.in_ccm) > 0
    )
    crmd = state.crmd is not None and (
        state.crmd == "online" or state.crmd.isdigit() and int(state.crmd) > 0
    )
    join, expected = state.join, state.expected or "down"
    if not fencing:
        return _Membership(in_ccm and crmd and join == "member")
    terminate = _terminate(attrs.get("terminate"))
    shutdown = attrs.get("shutdown")
    if shutdown and shutdown != "0":
        return _Membership(crmd)  # a dead peer cannot be shut down: only the controller counts
    if state.in_ccm is None:
        return _Membership(False, True, "peer has not been seen by the cluster")
    if join == "banned":
        return _Membership(in_ccm, True, "peer failed Pacemaker membership criteria")
    if not terminate and expected == "down":
        return _Membership(in_ccm, pending=in_ccm or crmd)
    if terminate and join == "down" and not in_ccm and not crmd:
        return _Membership(False)  # just shot
    if not in_ccm:
        return _Membership(False, True, "peer is no longer part of the cluster")
    if not crmd:
        return _Membership(True, True, "peer process is no longer available")
    if terminate:
        return _Membership(True, True, "termination was requested")
    if join == "member":
        return _Membership(True)
    if join in ("pending", "down"):
        return _Membership(True, pending=True)
    return _Membership(True, True, "peer was in an unknown state")


def unpack_nodes(cib: Cib, options: ClusterOptions, now) -> dict[str, NodeInfo]:
    fencing = options.flag("stonith-enabled")
    states = {s.uname or s.id: s for s in cib.node_states}
    states_by_id = {s.id: s for s in cib.node_states}
    nodes: dict[str, NodeInfo] = {}
    for n in cib.nodes:
        if n.type not in ("member", "normal", ""):
            continue
        st = states_by_id.get(n.id) or states.get(n.uname)
        attrs = {"#uname": n.uname, "#id": n.id, "#kind": "cluster"}
        attrs.update(plain_values(n.attributes))
        for s in n.attributes:
            if s.rule is not None and evaluate(s.rule.element, attrs, now):
                for k, v in s.values:
                    attrs.setdefault(k, v)
        if st is not None:
            attrs.update(dict(st.attributes))
        if st is not None:
            ms = _online(st, fencing, attrs)
        elif fencing and options.flag("startup-fencing"):
            ms = _Membership(False, True, "node is unclean")  # never seen: state unknown
        else:
            ms = _Membership(False)
        info = NodeInfo(n.id, n.uname, ms.online, ms.unclean, ms.reason, pending=ms.pending)
        info.attrs = attrs
        info.utilization = plain_values(n.utilization)
        info.standby = true(attrs.get("standby"))
        info.maintenance = true(attrs.get("maintenance"))
        sd = attrs.get("shutdown")
        info.shutdown = bool(sd) and sd != "0"
        nodes[n.uname] = info
    return nodes


def _expected_rc(op: OpRecord) -> int:
    return op.target_rc


def _op_on_fail(
    prim: Primitive | None, op: OpRecord, options: ClusterOptions, contained: bool
) -> str:
    if prim is not None:
        for cfg in prim.ops:
            if cfg.name == op.operation and cfg.interval_ms == op.interval_ms:
                value = cfg.get("on-fail")
                if value:
                    return value
    if contained:
        return "restart-container"  # a failure inside a container restarts the container
    if op.operation == "stop":
        return "fence" if options.flag("stonith-enabled") else "block"
    return "restart"


def unpack_history(
    ops: tuple[OpRecord, ...],
    prim: Primitive | None,
    options: ClusterOptions,
    klass: str | None = None,
    expired_before: float | None = None,
    contained: bool = False,
) -> RscNodeState:
    """Replay one resource's operations on one node in call order. A failure recorded at or
    before `expired_before` (an epoch second: its failure-timeout has passed) is forgotten."""
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
        if rc in (OCF_DEGRADED, OCF_DEGRADED_PROMOTED):
            rc = OCF_OK if rc == OCF_DEGRADED else OCF_RUNNING_PROMOTED  # still running
        if lsb and op.operation == "monitor" and rc in (1, 2, 3):
            rc = OCF_NOT_RUNNING  # LSB status: dead or stopped means "not running"
        if op.op_status == OP_CANCELLED:
            continue
        if op.op_status in (OP_NOT_INSTALLED,) and rc == 0:
            rc = 5
        elif (
            expired_before is not None
            and op.last_rc_change is not None
            and op.last_rc_change <= expired_before
            and op.op_status != OP_NOT_INSTALLED
            and (rc != expected or op.op_status != OP_DONE)
            and not (is_probe and rc in (OCF_OK, OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED))
        ):
            continue  # an expired failure: as if it had not happened
        if op.operation != "monitor":
            st.last_op = op
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
                st.start = op
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
                if is_probe:
                    st.start = op  # found running: what it runs with is the probe's digest
            continue
        # A failure.
        on_fail = _op_on_fail(prim, op, options, contained)
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
        if op.operation == "stop" and on_fail == "restart-container":
            st.role, st.failed = "Stopped", True  # the container's restart takes it down
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


def _ok(op: OpRecord | None, operation: str) -> bool:
    return op is not None and op.operation == operation and op.rc_code == 0 and op.op_status == 0


def _newer(op: OpRecord, than: OpRecord) -> bool:
    """By when the results changed where both say so, else (as Pacemaker) by call id."""
    if op.last_rc_change and than.last_rc_change:
        return op.last_rc_change > than.last_rc_change
    return op.call_id > than.call_id


def _failed_migrate_to(
    src: str, st: RscNodeState, per_node: dict[str, RscNodeState], nodes: dict[str, NodeInfo]
) -> None:
    """After a failed migrate_to the resource may be active on the target as well, unless the
    target has done something with it since."""
    tos = [
        o
        for o in st.ops
        if o.operation == "migrate_to" and o.migrate_target and o.op_status != OP_PENDING
    ]
    op = max(tos, key=lambda o: o.call_id) if tos else None
    if op is None or _ok(op, "migrate_to"):
        return
    target = per_node.get(op.migrate_target or "")
    node = nodes.get(op.migrate_target or "")
    if target is None or node is None or not node.online:
        return
    if any(_newer(o, op) for o in target.ops if o.call_id >= 0):
        return
    if target.role == "Stopped":
        target.role, target.assumed = "Started", True


def resolve_migrations(per_node: dict[str, RscNodeState], nodes: dict[str, NodeInfo]) -> None:
    """Read a live migration across the source's and the target's histories (as Pacemaker's
    unpack_migrate_to_*): migrate_to then migrate_from both done leaves only a stop missing on
    the source; a failed migrate_from fails the resource on the source too; a migrate_to whose
    target never ran migrate_from leaves it possibly active on both (a partial migration), or,
    the target being down, failed where it was."""
    for src, st in per_node.items():
        _failed_migrate_to(src, st, per_node, nodes)
        op = st.last_op
        if op is None or op.operation != "migrate_to" or not op.migrate_target:
            continue
        if not _ok(op, "migrate_to"):
            continue  # a failed migrate_to is an ordinary failure on the source
        target = per_node.get(op.migrate_target)
        ops = target.ops if target is not None else ()
        froms = [o for o in ops if o.operation == "migrate_from" and o.migrate_source == src]
        mf = max(froms, key=lambda o: o.call_id) if froms else None
        if _ok(mf, "migrate_from"):
            st.role, st.dangling = "Stopped", True
        elif mf is not None:
            st.failed = True
        elif op.migrate_target not in nodes or not nodes[op.migrate_target].online:
            st.failed = True


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


def _expiry(attrs: dict[str, str], rsc_id: str, timeout_ms: int, now) -> float | None:
    """Failures recorded before the returned epoch second have expired (failure-timeout), unless
    the node still holds an unexpired fail count for the resource."""
    if not timeout_ms or now is None:
        return None
    cutoff = now.timestamp() - timeout_ms / 1000
    if failcount(attrs, rsc_id) and last_failure_time(attrs, rsc_id) > cutoff:
        return None
    return cutoff


def unpack(
    cib: Cib,
    primitives: dict[str, Primitive],
    now: dt.datetime | None = None,
    metas: dict[str, dict[str, str]] | None = None,
) -> ClusterState:
    """`metas`: each resource's meta-attributes (its own, its group's, rsc_defaults) by id; a
    clone's instances also answer for the child's plain id in the history."""
    options = ClusterOptions.from_cib(cib)
    now = _cluster_time(cib, now)
    nodes = unpack_nodes(cib, options, now)
    have_quorum = true(cib.attribute("have-quorum", "false"))
    fencing = options.flag("stonith-enabled")
    nqp = options.get("no-quorum-policy")
    fence_possible = fencing and (have_quorum or nqp == "ignore")
    if fencing and nqp == "suicide" and not have_quorum and true(cib.attribute("no-quorum-panic")):
        # Quorum was had and is lost: every member fences itself (without quorum, by design).
        fence_possible = True
        for node in nodes.values():
            if node.online and not node.unclean:
                node.unclean, node.fence_reason = True, "cluster does not have quorum"
    by_id = {n.id: n for n in nodes.values()}
    history: dict[str, dict[str, RscNodeState]] = {}
    for ns in cib.node_states:
        node = by_id.get(ns.id) or nodes.get(ns.uname or "")
        if node is None:
            continue
        if not (node.online or (node.unclean and fencing) or node.maintenance):
            continue  # a node cleanly down runs nothing (one in maintenance is left as it was)
        for h in ns.history:
            meta = (metas or {}).get(h.id, {})
            ft = parse_ms(meta["failure-timeout"]) if meta.get("failure-timeout") else 0
            expired = _expiry(node.attrs, h.id, ft, now)
            box = meta.get("container")
            prim = primitives.get(h.id)
            st = unpack_history(h.ops, prim, options, h.klass, expired, bool(box) and box != h.id)
            st.agent = (h.klass, h.provider, h.type)
            st.name = h.id
            history.setdefault(h.id, {})[node.name] = st
            if st.stop_failed and st.on_fail == "fence" and fencing and not node.unclean:
                node.unclean, node.fence_reason = True, f"{h.id} failed there"
    for per_node in history.values():
        resolve_migrations(per_node, nodes)
    state = ClusterState(options, nodes, history, have_quorum, now, fence_possible)
    state.locks = shutdown_locks(cib, options, nodes, history, now)
    return state


def shutdown_locks(cib: Cib, options: ClusterOptions, nodes, history, now) -> dict[str, str]:
    """shutdown-lock: what ran on a node shut down cleanly stays bound to it (node by resource)
    until the node is back or shutdown-lock-limit has passed."""
    if not options.flag("shutdown-lock"):
        return {}
    limit = parse_ms(options.get("shutdown-lock-limit") or "0") // 1000
    locks: dict[str, str] = {}
    by_id = {n.id: n for n in nodes.values()}
    for ns in cib.node_states:
        node = by_id.get(ns.id) or nodes.get(ns.uname or "")
        if node is None:
            continue
        for h in ns.history:
            since = h.shutdown_lock
            if node.online and node.shutdown:
                active = history.get(h.id, {}).get(node.name)
                since = int(node.attrs["shutdown"]) if active and active.role != "Stopped" else None
            elif node.online:
                since = None
            if since and (not limit or now is None or since + limit > now.timestamp()):
                locks[h.id] = node.name
    return locks
