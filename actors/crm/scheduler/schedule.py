"""The policy engine: a pure function from a CIB (and a time) to a transition.

Steps, as Pacemaker's scheduler: unpack status; expand groups into members bound by implicit
colocation and ordering; score every node for every resource (location, stickiness, failures,
colocation); assign resources in priority order, primaries before their dependents; derive
start/stop actions; propagate mandatory orderings (unrunnable starts, restarts); fence unclean
nodes first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from actors.agents.digest import op_digest
from actors.agents.duration import parse_ms
from actors.crm.cib.model import Cib, Clone, Group, Primitive
from actors.crm.scheduler.model import (
    Action,
    Contribution,
    NodeView,
    ResourceView,
    SummaryLine,
    Transition,
)
from actors.crm.scheduler.options import plain_values, true
from actors.crm.scheduler.rules import evaluate
from actors.crm.scheduler.scores import INFINITY, add, parse_score
from actors.crm.scheduler.unpack import (
    ClusterState,
    RscNodeState,
    failcount,
    last_failure_time,
    unpack,
)


@dataclass
class Rsc:
    """A primitive being scheduled."""

    prim: Primitive
    index: int
    meta: dict[str, str]
    group: str | None = None
    states: dict[str, RscNodeState] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)
    failed: bool = False
    weights: dict[str, int] = field(default_factory=dict)
    why: list[Contribution] = field(default_factory=list)
    target: str | None = None
    assigned: bool = False
    assigning: bool = False
    stop_reason: str = ""
    start_runnable: bool = True
    restart_reason: str | None = None
    digest_changed: bool = False
    orphan: bool = False
    rank: int = 0
    blocked_by: str = ""
    target_before: str | None = None
    agent_changed: bool = False
    clone: str | None = None

    @property
    def id(self) -> str:
        return self.prim.id

    @property
    def managed(self) -> bool:
        return true(self.meta.get("is-managed", "true")) and not true(
            self.meta.get("maintenance", "false")
        )

    @property
    def priority(self) -> int:
        return parse_score(self.meta.get("priority"), 0)


@dataclass(frozen=True)
class _Coloc:
    dependent: str
    primary: str
    score: int
    source: str
    attribute: str = "#uname"


@dataclass(frozen=True)
class _Order:
    first: str
    then: str
    first_action: str
    then_action: str
    mandatory: bool
    source: str
    symmetrical: bool = False


class Unsupported(Exception):
    """The CIB uses a feature this scheduler does not implement yet (clones, bundles, ...)."""


def _meta(prim: Primitive, parents: list, defaults: dict[str, str]) -> dict[str, str]:
    """rsc_defaults, then the enclosing group's meta attributes, then the primitive's own."""
    meta = dict(defaults)
    for p in parents:
        meta.update(plain_values(p.meta))
    meta.update(plain_values(prim.meta))
    return meta


@dataclass(frozen=True)
class _CloneInfo:
    child: str
    instances: list[str]
    node_max: int
    unique: bool


def _expand(cib: Cib, defaults: dict[str, str]):
    clones: dict[str, _CloneInfo] = {}
    rscs: dict[str, Rsc] = {}
    colocs: list[_Coloc] = []
    orders: list[_Order] = []
    unsupported: list[str] = []
    groups: dict[str, list[str]] = {}
    for res in cib.resources:
        if isinstance(res, Primitive):
            rscs[res.id] = Rsc(res, len(rscs), _meta(res, [], defaults))
        elif isinstance(res, Group):
            members = []
            for child in res.children:
                rscs[child.id] = Rsc(child, len(rscs), _meta(child, [res], defaults), group=res.id)
                members.append(child.id)
            groups[res.id] = members
            for a, b in zip(members, members[1:], strict=False):
                colocs.append(_Coloc(b, a, INFINITY, f"group {res.id}"))
                orders.append(_Order(a, b, "start", "start", True, f"group {res.id}"))
        elif isinstance(res, Clone) and isinstance(res.child, Primitive) and not res.promotable:
            child = res.child
            meta = _meta(child, [res], defaults)
            members = sum(1 for n in cib.nodes if n.type in ("member", "normal", ""))
            clone_max = parse_score(meta.get("clone-max"), members)
            meta.setdefault("resource-stickiness", "1")
            ids = [f"{child.id}:{i}" for i in range(max(0, clone_max))]
            for iid in ids:
                rscs[iid] = Rsc(replace(child, id=iid), len(rscs), dict(meta), clone=res.id)
            clones[res.id] = _CloneInfo(
                child.id,
                ids,
                max(0, parse_score(meta.get("clone-node-max"), 1)),
                true(meta.get("globally-unique", "false")),
            )
        elif isinstance(res, Clone):
            unsupported.append(f"clone {res.id}")
        else:
            unsupported.append(f"bundle {res.id}")
    return rscs, colocs, orders, groups, unsupported, clones


def _clone_histories(
    clones: dict[str, _CloneInfo],
    history: dict[str, dict[str, RscNodeState]],
    node_names: list[str],
) -> dict[str, dict[str, RscNodeState]]:
    """Give each anonymous clone's active copies instance numbers, in node order (as Pacemaker
    does when it finds `child` or `child:N` in a node's history); failures that ban a node
    apply to every instance."""
    out: dict[str, dict[str, RscNodeState]] = {}
    for info in clones.values():
        if info.unique:
            continue
        keys = [k for k in history if k == info.child or k.split(":")[0] == info.child]
        free = list(info.instances)
        for node in node_names:
            for k in keys:
                st = history[k].get(node)
                if st is None:
                    continue
                if st.role != "Stopped" and free:
                    out.setdefault(free.pop(0), {})[node] = st
                elif st.banned or st.fatal:
                    for iid in info.instances:
                        out.setdefault(iid, {}).setdefault(node, st)
    return out


def _members(name: str, groups: dict[str, list[str]], first: bool) -> str:
    if name in groups:
        return groups[name][0] if first else groups[name][-1]
    return name


def schedule(cib: Cib, now: dt.datetime | None = None) -> Transition:
    """CIB -> transition. Raises `Unsupported` for features not implemented yet."""
    defaults = plain_values(cib.rsc_defaults)
    rscs, colocs, orders, groups, unsupported, clones = _expand(cib, defaults)
    state = unpack(cib, {r.id: r.prim for r in rscs.values()}, now)
    opts = state.options
    if not any(true(v) for k, v in defaults.items() if k == "resource-stickiness") and (
        "resource-stickiness" not in defaults
    ):
        stick_default = parse_score(opts.get("default-resource-stickiness"), 0)
    else:
        stick_default = parse_score(defaults.get("resource-stickiness"), 0)
    nodes = state.nodes
    node_names = list(nodes)
    symmetric = opts.flag("symmetric-cluster")
    maintenance = opts.flag("maintenance-mode")
    clone_history = _clone_histories(clones, state.history, node_names)
    # Orphans: in the history, not in the configuration.
    owned = {info.child for info in clones.values()}
    for rid, per_node in state.history.items():
        if rid in rscs or not any(s.role != "Stopped" for s in per_node.values()):
            continue
        if rid.split(":")[0] in owned:
            continue
        if ":" in rid:
            continue
        prim = Primitive(rid, "ocf", "heartbeat", "Dummy")
        r = Rsc(prim, len(rscs), {}, orphan=True)
        rscs[rid] = r
    # Current state per resource.
    for r in rscs.values():
        r.states = clone_history.get(r.id) or state.history.get(r.id, {})
        for node, st in r.states.items():
            if st.role != "Stopped":
                r.current.append(node)
                if st.failed:
                    r.failed = True
        r.current.sort(key=node_names.index)
        if maintenance:
            r.meta["is-managed"] = "false"
        for node in r.current:
            if nodes[node].maintenance:
                r.meta["is-managed"] = "false"
        if len(r.current) > 1 and r.meta.get("multiple-active") == "block":
            r.meta["is-managed"] = "false"  # active twice and told to block: hands off
    # Constraints.
    for c in cib.colocations:
        if (c.rsc in clones and c.with_rsc in clones) or (
            (c.rsc in clones or c.with_rsc in clones) and (c.rsc in groups or c.with_rsc in groups)
        ):
            unsupported.append(f"colocation between clones or clone and group in {c.id}")
            continue
        if c.rsc in clones and not (c.sets or c.rsc_role or c.with_rsc_role):
            for iid in clones[c.rsc].instances:
                colocs.append(
                    _Coloc(
                        iid,
                        c.with_rsc or "",
                        parse_score(c.score),
                        f"colocation {c.id}",
                        c.node_attribute or "#uname",
                    )
                )
            continue
        if c.sets:
            unsupported.append(f"resource_set in {c.id}")
            continue
        if c.rsc_role or c.with_rsc_role:
            if (c.rsc_role or "Started") not in ("Started",) or (
                c.with_rsc_role or "Started"
            ) not in ("Started",):
                unsupported.append(f"colocation roles in {c.id}")
                continue
        dep = _members(c.rsc or "", groups, first=True)
        pri = _members(c.with_rsc or "", groups, first=False)
        if c.rsc in groups or c.with_rsc in groups:
            if c.rsc in groups:
                dep = groups[c.rsc][0]
            if c.with_rsc in groups:
                pri = groups[c.with_rsc][-1] if True else pri
        colocs.append(
            _Coloc(
                dep, pri, parse_score(c.score), f"colocation {c.id}", c.node_attribute or "#uname"
            )
        )
    for o in cib.orders:
        if (o.first in clones and o.then in clones) or (
            (o.first in clones or o.then in clones) and (o.first in groups or o.then in groups)
        ):
            unsupported.append(f"order between clones or clone and group in {o.id}")
            continue
        if o.then in clones and not o.sets:
            mandatory = o.kind == "Mandatory" and (o.score is None or parse_score(o.score) != 0)
            for iid in clones[o.then].instances:
                orders.append(
                    _Order(
                        o.first or "",
                        iid,
                        o.first_action,
                        o.then_action,
                        mandatory,
                        f"order {o.id}",
                        o.symmetrical is not False,
                    )
                )
            continue
        if o.sets:
            unsupported.append(f"resource_set in {o.id}")
            continue
        first = _members(o.first or "", groups, first=o.first_action != "stop")
        then = _members(o.then or "", groups, first=o.then_action != "stop")
        if o.first in groups:
            first = groups[o.first][-1] if o.first_action == "start" else groups[o.first][0]
        if o.then in groups:
            then = groups[o.then][0] if o.then_action == "start" else groups[o.then][-1]
        mandatory = o.kind == "Mandatory" and (o.score is None or parse_score(o.score) != 0)
        symmetrical = o.symmetrical if o.symmetrical is not None else o.kind != "Serialize"
        orders.append(
            _Order(
                first, then, o.first_action, o.then_action, mandatory, f"order {o.id}", symmetrical
            )
        )
        if (
            symmetrical
            and o.first_action in ("start", "promote")
            and o.then_action in ("start", "promote")
        ):
            orders.append(_Order(then, first, "stop", "stop", mandatory, f"order {o.id}"))
    if unsupported:
        raise Unsupported(", ".join(sorted(set(unsupported))))
    # Scores.
    for r in rscs.values():
        if symmetric:
            for name in nodes:
                r.weights[name] = 0
        if r.orphan:
            for name in nodes:
                r.weights[name] = -INFINITY
    for loc in cib.locations:
        targets: list[str]
        if loc.rsc is not None:
            targets = list(groups.get(loc.rsc, [loc.rsc]))
            if loc.rsc in dict(cib.tags):
                targets = [x for t in dict(cib.tags)[loc.rsc] for x in groups.get(t, [t])]
        elif loc.rsc_pattern is not None:
            pat = re.compile(loc.rsc_pattern)
            targets = [rid for rid in rscs if pat.search(rid)]
        else:
            raise Unsupported(f"resource_set in {loc.id}")
        if loc.role not in (None, "Started"):
            raise Unsupported(f"role in {loc.id}")
        if loc.rsc in groups:
            targets = [groups[loc.rsc][0]]
        if loc.rsc in clones:
            targets = list(clones[loc.rsc].instances)
        for rid in targets:
            r = rscs.get(rid)
            if r is None:
                continue
            if loc.node is not None:
                if loc.node in nodes:
                    score = parse_score(loc.score)
                    r.weights[loc.node] = add(r.weights.get(loc.node, 0), score)
                    r.why.append(Contribution(loc.node, score, f"location {loc.id}"))
                continue
            for rule in loc.rules:
                el = rule.element
                if el.get("score-attribute") is not None:
                    attr = el.get("score-attribute")
                for name, node in nodes.items():
                    if not evaluate(
                        el, node.attrs, state.now, (r.prim.klass, r.prim.provider, r.prim.type)
                    ):
                        continue
                    if el.get("score-attribute") is not None:
                        score = parse_score(node.attrs.get(attr or ""), 0)
                        if node.attrs.get(attr or "") is None:
                            continue
                    else:
                        score = parse_score(el.get("score"), 0)
                    r.weights[name] = add(r.weights.get(name, 0), score)
                    r.why.append(Contribution(name, score, f"location {loc.id} rule {rule.id}"))
    granted = {
        dict(t).get("id", ""): true(dict(t).get("granted")) and not true(dict(t).get("standby"))
        for t in cib.ticket_states
    }
    for tk in cib.tickets:
        if tk.sets:
            raise Unsupported(f"resource_set in {tk.id}")
        if granted.get(tk.ticket, False) or tk.rsc is None:
            continue
        ticketed = clones[tk.rsc].instances if tk.rsc in clones else groups.get(tk.rsc, [tk.rsc])
        for rid in ticketed:
            r = rscs.get(rid)
            if r is None:
                continue
            keep = r.current if tk.loss_policy == "freeze" else []
            for n in nodes:
                if n not in keep:
                    r.weights[n] = -INFINITY
            r.why.append(Contribution(None, -INFINITY, f"ticket {tk.ticket} not granted ({tk.id})"))
    for r in rscs.values():
        stick = parse_score(r.meta.get("resource-stickiness", str(stick_default)))
        if r.group and "resource-stickiness" not in r.meta:
            stick = stick_default
        threshold = parse_score(r.meta.get("migration-threshold"), INFINITY)
        ft = r.meta.get("failure-timeout")
        ft_ms = parse_ms(ft) if ft else 0
        if r.managed and len(r.current) == 1 and stick and r.current[0] in r.weights:
            n = r.current[0]
            r.weights[n] = add(r.weights[n], stick)
            r.why.append(Contribution(n, stick, "resource-stickiness"))
        # A failure that was ignored (on-fail=ignore) also lifts migration-threshold.
        failure_ignored = any(st.on_fail == "ignore" for st in r.states.values())
        for name, node in nodes.items():
            st = r.states.get(name)
            if st is not None and (st.banned or st.fatal):
                targets = nodes if st.fatal else [name]
                for t in targets:
                    r.weights[t] = -INFINITY
                    r.why.append(Contribution(t, -INFINITY, f"hard error on {name}"))
            fc = 0 if failure_ignored else failcount(node.attrs, r.id)
            if fc and ft_ms and state.now is not None:
                lf = last_failure_time(node.attrs, r.id)
                if lf and lf + ft_ms // 1000 <= state.now.timestamp():
                    fc = 0
                    if st is not None and st.failed and not st.blocked:
                        st.failed = False  # the failure has expired: nothing to recover
                        r.failed = any(x.failed for n, x in r.states.items() if n in r.current)
            if fc and threshold > 0 and fc >= threshold:
                r.weights[name] = -INFINITY
                r.why.append(
                    Contribution(
                        name, -INFINITY, f"fail count {fc} >= migration-threshold {threshold}"
                    )
                )
    # Assignment.
    by_dep: dict[str, list[_Coloc]] = {}
    for c in colocs:
        by_dep.setdefault(c.dependent, []).append(c)
    load = {n: 0 for n in nodes}
    no_quorum = not state.have_quorum and opts.get("no-quorum-policy") != "ignore"
    nqp = opts.get("no-quorum-policy")

    by_pri: dict[str, list[_Coloc]] = {}
    for c in colocs:
        by_pri.setdefault(c.primary, []).append(c)
    merging: set[str] = set()
    per_clone: dict[tuple[str | None, str], int] = {}

    def merge(d: Rsc, weights: dict[str, int], factor: float, rollback: bool) -> dict[str, int]:
        """Fold a dependent's preferences into its primary's scores (as Pacemaker's
        pcmk__native_merge_weights): scaled by colocation score / INFINITY, undone if the
        result would leave no node allowed."""
        if d.id in merging:
            return weights
        merging.add(d.id)
        work = dict(weights)
        for n in work:
            score = d.weights.get(n, -INFINITY) if nodes[n].can_host else -INFINITY
            if factor < 0 and score < 0:
                continue
            weighted = factor * score
            v = int(weighted - 0.5) if weighted < 0 else int(weighted + 0.5)
            if v == 0 and score != 0:
                v = 1 if factor > 0 else -1
            work[n] = add(v, work[n])
        if any(v >= 0 and nodes[n].can_host for n, v in work.items()):
            sign = -1 if factor < 0 else 1
            for c in by_pri.get(d.id, ()):
                dd = rscs.get(c.dependent)
                if dd is not None and c.score != 0:
                    work = merge(dd, work, sign * c.score / INFINITY, True)
        elif rollback:
            merging.discard(d.id)
            return weights
        merging.discard(d.id)
        return work

    def _with_clone(c: _Coloc, insts: list[Rsc], w: dict[str, int], r: Rsc) -> None:
        """A resource colocated with a clone: the nodes that will run an instance count."""
        for i in insts:
            assign(i)
        values = {nodes[i.target].attrs.get(c.attribute) for i in insts if i.target is not None}
        same = [n for n in nodes if values and nodes[n].attrs.get(c.attribute) in values]
        if c.score >= INFINITY:
            for n in nodes:
                if n not in same:
                    w[n] = -INFINITY
        else:
            for n in same:
                w[n] = add(w.get(n, 0), c.score)
        r.why.append(Contribution(None, c.score, f"{c.source} with clone {c.primary}"))

    def assign(r: Rsc) -> None:
        if r.assigned or r.assigning:
            return
        r.assigning = True
        w = dict(r.weights)
        for c in by_dep.get(r.id, ()):
            if c.primary in clones:
                _with_clone(c, [rscs[i] for i in clones[c.primary].instances], w, r)
                continue
            p = rscs.get(c.primary)
            if p is None:
                continue
            assign(p)
            if p.assigning:
                continue  # a colocation loop: the primary is still being placed
            value = nodes[p.target].attrs.get(c.attribute) if p.target is not None else None
            same = [
                n
                for n in nodes
                if p.target is not None and nodes[n].attrs.get(c.attribute) == value
            ]
            if c.score >= INFINITY:
                for n in nodes:
                    if n not in same:
                        w[n] = -INFINITY
                r.why.append(Contribution(p.target, c.score, f"{c.source} with {p.id}"))
            elif p.target is not None:
                for n in same:
                    w[n] = add(w.get(n, 0), c.score)
                r.why.append(Contribution(p.target, c.score, f"{c.source} with {p.id}"))
        for c in by_pri.get(r.id, ()):
            d = rscs.get(c.dependent)
            if d is not None and c.score != 0:
                w = merge(d, w, c.score / INFINITY, rollback=True)
        r.weights = w
        r.target = None
        if len(r.current) > 1 and r.meta.get("multiple-active") == "stop_only":
            r.stop_reason = "node availability"
            r.assigned, r.assigning = True, False
            return
        if _blocked(r, state):
            r.target = r.current[0] if r.current else None
            if r.target is not None:
                load[r.target] += 1  # an unmanaged resource still occupies its node
        elif r.meta.get("target-role", "Started").lower() == "stopped":
            r.stop_reason = "node availability"
        elif opts.flag("stop-all-resources"):
            r.stop_reason = "node availability"
        elif any(st.on_fail == "stop" and st.failed for st in r.states.values()):
            r.stop_reason = "node availability"
        else:
            cands = [n for n, s in w.items() if s >= 0 and nodes[n].can_host]
            if r.clone is not None:
                cap = clones[r.clone].node_max
                cands = [n for n in cands if per_clone.get((r.clone, n), 0) < cap]
            if cands:
                best = max(w[n] for n in cands)
                top = [n for n in cands if w[n] == best]
                pick = min(
                    top,
                    key=lambda n: (
                        per_clone.get((r.clone, n), 0),
                        load[n],
                        n not in r.current,
                        n,
                    ),
                )
                if best > 0 and len(r.current) == 1 and r.current[0] in top:
                    pick = r.current[0]
                r.target = pick
                load[pick] += 1
                if r.clone is not None:
                    per_clone[(r.clone, pick)] = per_clone.get((r.clone, pick), 0) + 1
            r.stop_reason = "node availability"
            default_requires = "nothing" if r.prim.klass == "stonith" else "quorum"
            needs_quorum = r.meta.get("requires", default_requires) != "nothing"
            if no_quorum and nqp in ("stop", "suicide", "demote") and r.current:
                if not needs_quorum:  # a running fence device is kept without quorum
                    r.assigned, r.assigning = True, False
                    return
                if r.target is not None:
                    load[r.target] -= 1
                r.target, r.stop_reason = None, "no quorum"
            elif (
                no_quorum
                and r.meta.get("requires") != "nothing"  # explicit: may start without quorum
                and not r.current
                and r.target is not None
            ):
                why = "quorum freeze" if nqp == "freeze" else "no quorum"
                r.start_runnable, r.blocked_by = False, why
        r.assigned = True
        r.assigning = False

    order = sorted(rscs.values(), key=lambda r: (-r.priority, r.index))
    for r in order:
        assign(r)
    for rank, r in enumerate(order):
        r.rank = rank
    # Parameter changes: a start digest that no longer matches forces a restart.
    for r in rscs.values():
        if r.target is None or r.target not in r.current or not r.managed:
            continue
        st = r.states.get(r.target)
        if st is not None and st.agent[2] is not None:
            if st.agent != (r.prim.klass, r.prim.provider, r.prim.type):
                r.digest_changed, r.agent_changed = True, True
                continue
        if r.prim.klass == "stonith":
            continue  # fence devices' histories carry secure (password-free) digests
        if st is None or st.start_digest is None:
            continue
        params = plain_values(r.prim.instance)
        if op_digest(params) != st.start_digest:
            r.digest_changed = True
    return _actions(rscs, orders, state, clones)


def _view(r: Rsc, state: ClusterState) -> ResourceView:
    roles = [st.role for n, st in r.states.items() if n in r.current]
    return ResourceView(
        r.id,
        r.prim.agent,
        tuple(r.current),
        any(st.failed for n, st in r.states.items() if n in r.current),
        r.managed,
        r.group,
        roles[0] if roles else "Stopped",
        _blocked(r, state) and r.managed,
        r.meta.get("target-role", "Started").lower() == "stopped",
        r.orphan,
    )


def _blocked(r: Rsc, state: ClusterState) -> bool:
    """Unmanaged, or a failure with on-fail=block on a node that fencing will not clear."""
    if not r.managed:
        return True
    return any(
        st.blocked and not (state.nodes[n].unclean and state.fence_possible)
        for n, st in r.states.items()
        if n in state.nodes
    )


def _actions(
    rscs: dict[str, Rsc],
    orders: list[_Order],
    state: ClusterState,
    clones: dict[str, _CloneInfo],
) -> Transition:
    nodes = state.nodes
    fence = [n for n in nodes.values() if n.unclean and state.fence_possible]
    fenced = {n.name for n in fence}

    # What each resource does before ordering is applied.
    def plans(r: Rsc) -> tuple[set[str], bool]:
        if _blocked(r, state):
            if any(st.failed for st in r.states.values()):
                r.start_runnable = False
            return set(), False
        if not r.start_runnable and not r.current:
            return set(), False
        stops = {n for n in r.current if n != r.target or r.failed or r.digest_changed}
        if len(r.current) > 1:
            stops = set(r.current)
        start = r.target is not None and (r.target in stops or r.target not in r.current)
        return stops, start

    stop_on: dict[str, set[str]] = {}
    start_on: dict[str, bool] = {}
    for r in rscs.values():
        r.target_before = r.target
        stop_on[r.id], start_on[r.id] = plans(r)
        if r.digest_changed and r.target is not None and not r.agent_changed:
            r.restart_reason = "resource definition change"
    changed = True
    guard = 0
    while changed and guard < 10 * (len(orders) + 1):
        changed, guard = False, guard + 1
        for o in orders:
            t = rscs.get(o.then)
            firsts = (
                [rscs[i] for i in clones[o.first].instances]
                if o.first in clones
                else [rscs[o.first]]
                if o.first in rscs
                else []
            )
            if not firsts or t is None or not o.mandatory or not t.managed:
                continue
            if o.first_action == "start" and o.then_action == "start":
                f_unrunnable = all(x.target is None or not x.start_runnable for x in firsts)
                f_starting = any(start_on[x.id] for x in firsts)
                f_name = o.first
                if f_unrunnable and t.start_runnable and (start_on[t.id] or o.symmetrical):
                    t.start_runnable = False
                    t.blocked_by = f"unrunnable {f_name} start"
                    if t.current:
                        t.target = None
                        t.stop_reason = t.blocked_by
                        stop_on[t.id] = set(t.current)
                    start_on[t.id] = False
                    changed = True
                elif (
                    not f_unrunnable and f_starting and t.target is not None and not start_on[t.id]
                ):
                    stop_on[t.id] = stop_on[t.id] | ({t.target} & set(t.current))
                    start_on[t.id] = True
                    t.restart_reason = t.restart_reason or f"required {f_name} start"
                    changed = True
    summary: list[SummaryLine] = []
    for n in reversed(fence):
        summary.append(SummaryLine("Fence", n.name, reason=n.fence_reason))
    actions: list[Action] = []
    edges: list[tuple[int, int]] = []
    ids: dict[tuple[str, str | None, str], int] = {}

    def act(task: str, rsc: str | None, node: str | None, pseudo: bool = False) -> int:
        a = Action(len(actions), task, rsc, node, pseudo=pseudo)
        actions.append(a)
        ids[(task, rsc, node)] = a.id
        return a.id

    # A group's members start between its start and running pseudo actions (stop: stopped).
    group_members: dict[tuple[str, str], list[int]] = {}

    def group_pseudo(group: str | None, task: str) -> int | None:
        if group is None:
            return None
        if (task, group, None) not in ids:
            act(task, group, None, pseudo=True)
        return ids[(task, group, None)]

    # Probes: find out what runs where before acting, on every online node without history.
    # (Pacemaker's graph lists them first, per resource, nodes in reverse order.)
    probes: dict[str, list[int]] = {}
    for r in sorted(rscs.values(), key=lambda r: r.rank):
        if r.orphan or r.clone is not None or not r.managed:
            continue
        for n in reversed(list(nodes)):
            node = nodes[n]
            if node.online and not node.unclean and n not in r.states:
                probes.setdefault(r.id, []).append(act("monitor", r.id, n))
    for n in fence:
        act("stonith", None, n.name)
    for r in sorted(rscs.values(), key=lambda r: r.rank):
        stops, start = stop_on[r.id], start_on[r.id]
        src = r.current[0] if r.current else None
        r.failed = any(
            st.failed
            for n, st in r.states.items()
            if n in r.current
            and (n not in fenced or nodes[n].fence_reason == f"{r.id} failed there")
        )
        for n in sorted(stops):
            group_stop = group_pseudo(r.group, "stop")
            sid = act("stop", r.id, n, pseudo=n in fenced)
            if n in fenced:
                edges.append((ids[("stonith", None, n)], sid))
            if group_stop is not None:
                edges.append((group_stop, sid))
                group_members.setdefault((r.group, "stopped"), []).append(sid)
        if start and r.target is not None:
            group_start = group_pseudo(r.group, "start")
            st_id = act("start", r.id, r.target)
            if group_start is not None:
                edges.append((group_start, st_id))
                group_members.setdefault((r.group, "running"), []).append(st_id)
            for n in stops:
                edges.append((ids[("stop", r.id, n)], st_id))
            edges.extend((probe, st_id) for probe in probes.get(r.id, ()))
            for op in r.prim.ops:  # recurring monitors follow the start
                if op.name == "monitor" and op.interval_ms > 0 and op.role in (None, "Started"):
                    mon = Action(len(actions), "monitor", r.id, r.target, op.interval_ms)
                    actions.append(mon)
                    edges.append((st_id, mon.id))
        elif r.managed and r.target is not None and r.target in r.current and not stops:
            st = r.states.get(r.target)
            known = {(o.operation, o.interval_ms) for o in st.ops} if st is not None else set()
            for op in r.prim.ops:  # staying put, but a recurring monitor was never started
                if (
                    op.name == "monitor"
                    and op.interval_ms > 0
                    and op.role in (None, "Started")
                    and ("monitor", op.interval_ms) not in known
                ):
                    actions.append(Action(len(actions), "monitor", r.id, r.target, op.interval_ms))
        if any(n in nodes and nodes[n].unclean and not state.fence_possible for n in r.current):
            # Only the quorum policy's reason is known this early in Pacemaker (rec-node-8/10).
            quorum = r.stop_reason == "no quorum"
            why = f"due to {r.stop_reason} (blocked)" if quorum else "blocked"
            summary.append(SummaryLine("Stop", r.id, source=src, reason=why))
            continue
        if not r.current and not r.start_runnable and r.blocked_by and r.target_before:
            summary.append(
                SummaryLine(
                    "Start", r.id, target=r.target_before, reason=f"due to {r.blocked_by} (blocked)"
                )
            )
            continue
        if len(r.current) > 1 and start and r.target in r.current:
            kind = "Recover" if r.failed else "Restart"
            summary.append(SummaryLine(kind, r.id, source=r.target))
            continue
        if len(r.current) > 1 and r.target is None and stops:
            for n in r.current:
                reason = f"due to {r.stop_reason}" if r.stop_reason else ""
                summary.append(SummaryLine("Stop", r.id, source=n, reason=reason))
            continue
        line = _summary_line(r, stops, start, src)
        if line is not None:
            summary.append(line)
    by_rsc_task: dict[tuple[str | None, str], list[int]] = {}
    for (task, rsc, _node), aid in ids.items():
        by_rsc_task.setdefault((rsc, task), []).append(aid)
    for o in orders:
        for a in by_rsc_task.get((o.first, o.first_action), ()):
            for b in by_rsc_task.get((o.then, o.then_action), ()):
                edges.append((a, b))
    for (group, task), members in group_members.items():
        done = act(task, group, None, pseudo=True)
        edges.extend((m, done) for m in members)
        if task == "stopped" and ("start", group, None) in ids:
            edges.append((done, ids[("start", group, None)]))
    placement = {r.id: r.target for r in rscs.values()}
    current = {r.id: tuple(r.current) for r in rscs.values()}
    scores = {r.id: dict(r.weights) for r in rscs.values()}
    explain = {r.id: tuple(r.why) for r in rscs.values()}
    views = tuple(
        NodeView(n.name, n.online, n.unclean, n.standby, n.maintenance, n.pending)
        for n in nodes.values()
    )
    rviews = tuple(_view(r, state) for r in sorted(rscs.values(), key=lambda r: r.index))
    return Transition(
        tuple(actions),
        tuple(edges),
        tuple(summary),
        placement,
        current,
        scores,
        explain,
        views,
        rviews,
    )


def _summary_line(r: Rsc, stops: set[str], start: bool, src: str | None) -> SummaryLine | None:
    if not r.current and not start:
        return None
    if not r.current:
        return SummaryLine("Start", r.id, target=r.target)
    if r.target is None or not start:
        if not stops:
            return None
        reason = r.stop_reason
        return SummaryLine("Stop", r.id, source=src, reason=f"due to {reason}" if reason else "")
    if r.target == src and len(r.current) == 1:
        if r.failed:
            return SummaryLine("Recover", r.id, source=src)
        if r.target in stops:
            reason = f"due to {r.restart_reason}" if r.restart_reason else ""
            return SummaryLine("Restart", r.id, source=src, reason=reason)
        return None
    if r.failed:
        return SummaryLine("Recover", r.id, source=src, target=r.target)
    return SummaryLine("Move", r.id, source=src, target=r.target)
