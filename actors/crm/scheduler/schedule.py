"""The policy engine: a pure function from a CIB (and a time) to a transition.

Steps, as Pacemaker's scheduler: unpack status; expand groups, clones (of primitives or
groups) and resource sets into primitives bound by colocations and orderings; score every node
for every resource (location, stickiness, failures, health, tickets, colocation); assign
resources in priority order, primaries before their dependents, clone instances that can stay
first; choose promoted instances; derive start/stop/migrate/promote/demote actions; propagate
orderings (unrunnable starts, restarts, blocked stops); fence and unfence nodes first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from actors.agents.duration import parse_ms
from actors.crm.cib.model import Cib, Clone, Group, Primitive
from actors.crm.scheduler.digests import definition_change
from actors.crm.scheduler.health import node_health
from actors.crm.scheduler.model import (
    Action,
    Contribution,
    NodeView,
    ResourceView,
    SummaryLine,
    Transition,
)
from actors.crm.scheduler.notifications import PHASES, CloneChange, add_notifications
from actors.crm.scheduler.options import plain_values, true
from actors.crm.scheduler.promotion import Candidate, choose, details
from actors.crm.scheduler.rules import evaluate, set_values
from actors.crm.scheduler.scores import INFINITY, add, parse_score
from actors.crm.scheduler.sets import expand_colocation, expand_order
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
    clean: list[str] = field(default_factory=list)  # current nodes that are not unclean
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
    promotable: bool = False  # an instance of a promotable clone
    next_role: str = "Started"  # Unpromoted or Promoted for a promotable clone's instance
    migrate: bool = False  # moves live (migrate_to, migrate_from) instead of stop and start
    move_reason: str = ""
    restart: bool = False  # to restart in place (a resource inside it failed)
    stop_blocked: bool = False  # ordered after a stop that cannot happen
    reload: bool = False  # parameters changed that the agent can reload in place
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
    primary_role: str | None = None  # with a promotable clone's Promoted / Unpromoted ones


@dataclass(frozen=True)
class _Order:
    first: str
    then: str
    first_action: str
    then_action: str
    mandatory: bool
    source: str
    symmetrical: bool = False
    inverse: bool = False  # the stop order undoing a start order: no stop implies the next
    interleave: bool = False  # clone after clone: per node, not after the whole first clone
    min_first: int = 0  # after a clone: this many of its instances must run (0: the usual)


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
    child: str  # the cloned primitive's or group's id
    instances: list[str]  # each instance's primitive (a group's: its first member)
    node_max: int
    unique: bool
    members: tuple[str, ...] = ()  # the cloned primitives' ids (several for a group)
    ids: tuple[str, ...] = ()  # every instance's every primitive
    promoted_max: int = 0  # promotable clones: how many instances may be promoted
    promoted_node_max: int = 1

    def heads(self) -> set[str]:
        return set(self.instances)


def _meta_int(meta: dict[str, str], names: tuple[str, ...], default: int) -> int:
    """The first of `names` (current name, then the deprecated one) that is set."""
    for name in names:
        if meta.get(name) is not None:
            return max(0, parse_score(meta[name], default))
    return default


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
                orders.append(_Order(b, a, "stop", "stop", True, f"group {res.id}", inverse=True))
        elif isinstance(res, Clone) and not (res.promotable and isinstance(res.child, Group)):
            # Instance i of a cloned group is the group "g:i" of the primitives "m:i".
            child = res.child
            cloned_group = isinstance(child, Group)
            parts = child.children if isinstance(child, Group) else (child,)
            parents = [res, child] if cloned_group else [res]
            meta = _meta(parts[0], parents, defaults)
            nodes_count = sum(1 for n in cib.nodes if n.type in ("member", "normal", ""))
            clone_max = max(0, parse_score(meta.get("clone-max"), nodes_count))
            heads, ids = [], []
            for i in range(clone_max):
                members = [f"{p.id}:{i}" for p in parts]
                for p, iid in zip(parts, members, strict=True):
                    pmeta = _meta(p, parents, defaults)
                    pmeta.setdefault("resource-stickiness", "1")
                    rscs[iid] = Rsc(
                        replace(p, id=iid),
                        len(rscs),
                        pmeta,
                        clone=res.id,
                        group=f"{child.id}:{i}" if cloned_group else None,
                        promotable=res.promotable,
                    )
                if cloned_group:
                    gid = f"{child.id}:{i}"
                    groups[gid] = members
                    for a, b in zip(members, members[1:], strict=False):
                        colocs.append(_Coloc(b, a, INFINITY, f"group {gid}"))
                        orders.append(_Order(a, b, "start", "start", True, f"group {gid}"))
                        orders.append(
                            _Order(b, a, "stop", "stop", True, f"group {gid}", inverse=True)
                        )
                heads.append(members[0])
                ids += members
            clones[res.id] = _CloneInfo(
                child.id,
                heads,
                max(0, parse_score(meta.get("clone-node-max"), 1)),
                true(meta.get("globally-unique", "false")),
                tuple(p.id for p in parts),
                tuple(ids),
                _meta_int(meta, ("promoted-max", "master-max"), 1) if res.promotable else 0,
                _meta_int(meta, ("promoted-node-max", "master-node-max"), 1),
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
        keys = {
            base: [k for k in history if k == base or k.split(":")[0] == base]
            for base in info.members
        }
        free = list(range(len(info.instances)))
        orphans = 0
        for node in node_names:
            active: dict[str, list[RscNodeState]] = {}
            for base, ks in keys.items():
                for st in (history[k][node] for k in ks if node in history[k]):
                    if st.role != "Stopped":
                        active.setdefault(base, []).append(st)
                    elif st.banned or st.fatal:
                        for i in range(len(info.instances)):
                            out.setdefault(f"{base}:{i}", {}).setdefault(node, st)
            # One instance per copy found here; a group's members found here share one.
            for j in range(max((len(v) for v in active.values()), default=0)):
                if not free:  # more copies than clone-max: an orphan instance, to stop
                    free.append(len(info.instances) + orphans)
                    orphans += 1
                i = free.pop(0)
                for base, sts in active.items():
                    if j < len(sts):
                        out.setdefault(f"{base}:{i}", {})[node] = sts[j]
    return out


def _add_orphan(rscs: dict[str, Rsc], prim: Primitive, opts) -> None:
    """Active but no longer configured: to be stopped (unless stop-orphan-resources=false)."""
    keep = not opts.flag("stop-orphan-resources")
    rscs[prim.id] = Rsc(prim, len(rscs), {"is-managed": "false"} if keep else {}, orphan=True)


def _members(name: str, groups: dict[str, list[str]], first: bool) -> str:
    if name in groups:
        return groups[name][0] if first else groups[name][-1]
    return name


def schedule(cib: Cib, now: dt.datetime | None = None) -> Transition:
    """CIB -> transition. Raises `Unsupported` for features not implemented yet."""
    defaults = plain_values(cib.rsc_defaults)
    rscs, colocs, orders, groups, unsupported, clones = _expand(cib, defaults)
    metas = {r.id.split(":")[0]: r.meta for r in rscs.values()} | {
        r.id: r.meta for r in rscs.values()
    }
    state = unpack(cib, {r.id: r.prim for r in rscs.values()}, now, metas)
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
    # Instances are numbered as Pacemaker meets them: in the status section's node order.
    by_id = {n.id: name for name, n in nodes.items()}
    seen = [by_id.get(ns.id) or ns.uname for ns in cib.node_states]
    status_order = [n for n in dict.fromkeys(seen) if n in nodes]
    status_order += [n for n in node_names if n not in status_order]
    # (online nodes' histories first, then those of nodes that are to be fenced)
    status_order.sort(key=lambda n: not nodes[n].online)
    clone_history = _clone_histories(clones, state.history, status_order)
    # Orphans: in the history, not in the configuration.
    owned = {m for info in clones.values() for m in info.members}
    for rid, per_node in state.history.items():
        if rid in rscs or not any(s.role != "Stopped" for s in per_node.values()):
            continue
        if rid.split(":")[0] in owned:
            continue
        if ":" in rid:
            continue
        prim = Primitive(rid, "ocf", "heartbeat", "Dummy")
        _add_orphan(rscs, prim, opts)
    for info in clones.values():  # instances beyond clone-max found running
        for iid in clone_history:
            base = iid.split(":")[0]
            if base in info.members and iid not in rscs and not info.unique:
                kin = [r.prim for r in rscs.values() if r.id.split(":")[0] == base]
                prim = (
                    replace(kin[0], id=iid) if kin else Primitive(iid, "ocf", "heartbeat", "Dummy")
                )
                _add_orphan(rscs, prim, opts)
    # Current state per resource.
    # Current state per resource.
    for r in rscs.values():
        if r.clone is not None and not clones[r.clone].unique or r.id in clone_history:
            r.states = clone_history.get(r.id, {})  # numbered by what runs where, not by name
        else:
            r.states = state.history.get(r.id, {})
        for node, st in r.states.items():
            if st.role != "Stopped":
                r.current.append(node)
                if st.failed:
                    r.failed = True
        r.current.sort(key=node_names.index)
        r.clean = [n for n in r.current if not nodes[n].unclean]
        if maintenance:
            r.meta["is-managed"] = "false"
        for node in r.current:
            if nodes[node].maintenance:
                r.meta["is-managed"] = "false"
        if len(r.clean) > 1 and r.meta.get("multiple-active") == "block":
            r.meta["is-managed"] = "false"  # active twice and told to block: hands off
    # Resources inside a container (meta container=ID) live and die with it.
    for r in list(rscs.values()):
        box = r.meta.get("container")
        if box in rscs and rscs[box].clone is None and box != r.id:
            colocs.append(_Coloc(r.id, box, INFINITY, f"container {box}"))
            orders.append(_Order(box, r.id, "start", "start", True, f"container {box}"))
            orders.append(_Order(r.id, box, "stop", "stop", True, f"container {box}", inverse=True))
    # Constraints.
    tags = dict(cib.tags)
    # (promotable clone, primary, score, primary's role): where its Promoted role may go
    promo_colocs: list[tuple[str, str, int, str | None]] = []
    anyof: dict[str, tuple[str, ...]] = {}  # "one-or-more:SET" -> its members
    colocations = [x for c in cib.colocations for x in expand_colocation(c, tags)]
    cib_orders: list = []
    for o in cib.orders:
        pairs, more = expand_order(o, tags)
        cib_orders += pairs
        anyof.update(more)
    for c in colocations:
        dep_role, pri_role = _role_name(c.rsc_role), _role_name(c.with_rsc_role)
        dep_promotable = c.rsc in clones and clones[c.rsc].promoted_max > 0
        pri_promotable = c.with_rsc in clones and clones[c.with_rsc].promoted_max > 0
        pri = groups[c.with_rsc][-1] if c.with_rsc in groups else c.with_rsc or ""
        if dep_role == "Promoted" and dep_promotable:
            # Where the clone may be promoted, not where it runs.
            promo_colocs.append((c.rsc or "", pri, parse_score(c.score), pri_role))
            continue
        pri_known = pri_role in (None, "Started", "Promoted") or pri_promotable
        if dep_role not in (None, "Started") or not pri_known:
            unsupported.append(f"colocation roles in {c.id}")
            continue
        # A clone as dependent: each instance; as primary, the clone (its instances' nodes).
        # A group as dependent: its first member; as primary: its last.
        if c.rsc in clones:
            deps = list(clones[c.rsc].instances)
        else:
            deps = [groups[c.rsc][0] if c.rsc in groups else c.rsc or ""]
        for dep in deps:
            colocs.append(
                _Coloc(
                    dep,
                    pri,
                    parse_score(c.score),
                    f"colocation {c.id}",
                    c.node_attribute or "#uname",
                    pri_role if pri_promotable and pri_role != "Started" else None,
                )
            )

    def min_first(o) -> int:
        """How many instances of a first clone must run (clone-min, or 1 with require-all
        false); 0: the usual rule."""
        if o.first not in clones or not clones[o.first].instances:
            return 0
        floor = parse_score(rscs[clones[o.first].instances[0]].meta.get("clone-min"), 0)
        return max(floor, 0 if o.require_all else 1)

    for o in cib_orders:
        if o.then in clones:
            mandatory = o.kind == "Mandatory" and (o.score is None or parse_score(o.score) != 0)
            # interleave (the then-clone's): each instance waits only for the first clone's
            # instance on its own node.
            meta = rscs[clones[o.then].instances[0]].meta if clones[o.then].instances else {}
            interleave = o.first in clones and true(meta.get("interleave")) and not min_first(o)
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
                        interleave=interleave,
                        min_first=min_first(o),
                    )
                )
            continue
        # A group as "first" is all its members (its running / stopped pseudo action); as
        # "then", the member that starts first or stops last.
        first = o.first or ""
        then = _members(o.then or "", groups, first=o.then_action != "stop")
        if o.then in groups:
            then = groups[o.then][0] if o.then_action == "start" else groups[o.then][-1]
        mandatory = o.kind == "Mandatory" and (o.score is None or parse_score(o.score) != 0)
        symmetrical = o.symmetrical if o.symmetrical is not None else o.kind != "Serialize"
        orders.append(
            _Order(
                first,
                then,
                o.first_action,
                o.then_action,
                mandatory,
                f"order {o.id}",
                symmetrical,
                min_first=min_first(o),
            )
        )
        if (
            symmetrical
            and o.first_action in ("start", "promote")
            and o.then_action in ("start", "promote")
        ):
            undo_first = o.then if o.then in groups else then
            undo_then = groups[first][-1] if first in groups else first
            orders.append(
                _Order(
                    undo_first, undo_then, "stop", "stop", mandatory, f"order {o.id}", inverse=True
                )
            )
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
    promo: dict[str, dict[str, int]] = {}  # promotion scores from locations for Promoted
    no_promotion: set[str] = set()  # instances a ticket keeps from being promoted
    for loc in cib.locations:
        if loc.rsc is not None:
            refs = list(tags.get(loc.rsc, (loc.rsc,)))
        elif loc.rsc_pattern is not None:
            invert = loc.rsc_pattern.startswith("!")  # "!regex": those that do not match
            pat = re.compile(loc.rsc_pattern[1:] if invert else loc.rsc_pattern)
            refs = [rid for rid in rscs if bool(pat.search(rid)) != invert]
        else:
            refs = [x for s in loc.sets for r in s.resources for x in tags.get(r, (r,))]
        roles = {loc.role} | {s.role for s in loc.sets} | {r.element.get("role") for r in loc.rules}
        if roles - {None, "Started", "Promoted", "Master"}:
            raise Unsupported(f"role in {loc.id}")
        # A group's first member takes the score; the others are only allowed there (score 0),
        # as Pacemaker does, the members being colocated anyway. A clone: every instance.
        targets: list[str] = []
        allowed_only: set[str] = set()
        for ref in refs:
            if ref in clones:
                targets += clones[ref].ids
                allowed_only |= set(clones[ref].ids) - clones[ref].heads()
            elif ref in groups:
                targets += groups[ref]
                allowed_only |= set(groups[ref][1:])
            else:
                targets.append(ref)
        for rid in targets:
            r = rscs.get(rid)
            if r is None:
                continue
            scale = 0 if rid in allowed_only else 1
            # For the Promoted role a location scores promotion, not placement.
            promoted = (loc.role or next(iter(s.role for s in loc.sets), None)) in (
                "Promoted",
                "Master",
            )
            where = promo.setdefault(rid, {}) if promoted else r.weights
            if promoted and not r.promotable:
                continue
            if loc.node is not None:
                if loc.node in nodes:
                    score = scale * parse_score(loc.score)
                    where[loc.node] = add(where.get(loc.node, 0), score)
                    r.why.append(Contribution(loc.node, score, f"location {loc.id}"))
                continue
            for rule in loc.rules:
                el = rule.element
                if el.get("role") in ("Promoted", "Master"):
                    if not r.promotable:
                        continue
                    where = promo.setdefault(rid, {})
                if el.get("score-attribute") is not None:
                    attr = el.get("score-attribute")
                agent = (r.prim.klass, r.prim.provider, r.prim.type)
                sourced = any(e.get("value-source") for e in el.iter("expression"))
                for name, node in nodes.items():
                    values = None
                    if sourced:  # the resource's own values, as they apply on this node
                        params = set_values(r.prim.instance, node.attrs, state.now)
                        values = {"param": params, "meta": r.meta}
                    if not evaluate(el, node.attrs, state.now, agent, None, values):
                        continue
                    if el.get("score-attribute") is not None:
                        score = parse_score(node.attrs.get(attr or ""), 0)
                        if node.attrs.get(attr or "") is None:
                            continue
                    else:
                        score = parse_score(el.get("score"), 0)
                    score *= scale
                    where[name] = add(where.get(name, 0), score)
                    r.why.append(Contribution(name, score, f"location {loc.id} rule {rule.id}"))
    for res in cib.resources:
        if isinstance(res, Clone) and res.id in clones:
            targets = list(clones[res.id].instances)
        else:
            targets = groups.get(res.id, [res.id])[:1]
        for name, node in nodes.items():
            health = node_health(opts, node.attrs)
            for r in (rscs[rid] for rid in targets if health and rid in rscs):
                if health < 0 and true(r.meta.get("allow-unhealthy-nodes")):
                    continue
                r.weights[name] = add(r.weights.get(name, 0), health)
                r.why.append(Contribution(name, health, "node health"))
    tickets = {dict(t).get("id", ""): dict(t) for t in cib.ticket_states}
    for tk in cib.tickets:
        ticket = tickets.get(tk.ticket, {})
        if true(ticket.get("granted")) and not true(ticket.get("standby")):
            continue
        revoked = not true(ticket.get("granted"))
        refs = [(tk.rsc, tk.rsc_role)] if tk.rsc is not None else []
        refs += [(x, s.role) for s in tk.sets for x in s.resources]
        for ref, role in ((x, role) for r, role in refs for x in tags.get(r, (r,))):
            ticketed = clones[ref].ids if ref in clones else groups.get(ref, [ref])
            gated = [rscs[rid] for rid in ticketed if rid in rscs]
            running = any(r.current for r in gated)
            promoted_only = _role_name(role) == "Promoted"
            policy = tk.loss_policy or "stop"
            for r in gated:
                # A revoked ticket (not merely in standby) applies its loss-policy to what runs.
                if revoked and running and policy == "freeze":
                    r.meta["is-managed"] = "false"
                    continue
                if revoked and running and policy == "fence":
                    for n in r.current:
                        node = nodes[n]
                        if not node.unclean and opts.flag("stonith-enabled"):
                            node.unclean, node.fence_reason = True, "deadman ticket was lost"
                fenced_off = revoked and running and policy == "fence"
                if promoted_only and policy != "stop" and not fenced_off:
                    no_promotion.add(r.id)  # it may run, just not promoted
                    continue
                for n in nodes:
                    r.weights[n] = -INFINITY
                r.why.append(
                    Contribution(None, -INFINITY, f"ticket {tk.ticket} not granted ({tk.id})")
                )
    for rid, home in state.locks.items():
        r = rscs.get(rid)
        if r is None or r.clone is not None or r.prim.klass == "stonith":
            continue  # fence devices and clones are never locked
        for n in nodes:
            if n != home:
                r.weights[n] = -INFINITY
        r.why.append(Contribution(home, 0, f"shutdown-lock to {home}"))
    fillers: dict[str, list[str]] = {}
    for r in rscs.values():
        if r.meta.get("container") in rscs:
            fillers.setdefault(r.meta["container"], []).append(r.id)
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
            for f in fillers.get(r.id, ()):  # a container answers for what fails inside it
                fc = add(fc, failcount(node.attrs, f))
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

    def merge(
        d: Rsc, weights: dict[str, int], factor: float, rollback: bool, attr: str = "#uname"
    ) -> dict[str, int]:
        """Fold a dependent's preferences into its primary's scores (as Pacemaker's
        pcmk__native_merge_weights): scaled by colocation score / INFINITY, undone if the
        result would leave no node allowed. Colocated by a node attribute, a node counts the
        dependent's best score among the nodes sharing its value."""
        if d.id in merging:
            return weights
        merging.add(d.id)
        work = dict(weights)
        for n in work:
            if attr == "#uname":
                score = d.weights.get(n, -INFINITY) if nodes[n].can_host else -INFINITY
            else:
                value = nodes[n].attrs.get(attr)
                alike = [
                    m for m in nodes if nodes[m].can_host and nodes[m].attrs.get(attr) == value
                ]
                score = max((d.weights.get(m, -INFINITY) for m in alike), default=-INFINITY)
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
                    work = merge(dd, work, sign * c.score / INFINITY, True, c.attribute)
        elif rollback:
            merging.discard(d.id)
            return weights
        merging.discard(d.id)
        return work

    def _with_clone(c: _Coloc, insts: list[Rsc], w: dict[str, int], r: Rsc) -> None:
        """A resource colocated with a clone: the nodes that will run an instance count."""
        for i in sorted(insts, key=placing_order):
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

    promoted_done: set[str] = set()

    def promote_clone(cid: str) -> None:
        """Place the clone's instances, then choose the promoted ones: colocations of its
        Promoted role add to (or, at +-INFINITY, decide) where; so do the preferences of what
        must run with its promoted instance."""
        if cid in promoted_done:
            return
        promoted_done.add(cid)
        insts = [rscs[i] for i in clones[cid].instances]
        for i in sorted(insts, key=placing_order):
            assign(i)
        # Each placed instance's promotion score on its node (None: it has none).
        final: dict[str, int | None] = {}
        for i in insts:
            if i.target is None:
                continue
            attr = _promotion_attr(i, state)
            location = promo.get(i.id, {}).get(i.target)
            if attr is not None or location is not None:
                final[i.id] = add(parse_score(attr, 0), location or 0)
            else:
                final[i.id] = 0 if _role_on(i, i.target) == "Promoted" else None
        for clone_id, pri, score, _role in promo_colocs:  # its Promoted role with something
            if clone_id != cid:
                continue
            primary = rscs.get(pri)
            if primary is not None:
                assign(primary)
            for i in insts:
                if i.id in final and final[i.id] is not None:
                    here = primary is not None and primary.target == i.target
                    bonus = score if here else (-INFINITY if score >= INFINITY else 0)
                    final[i.id] = add(final[i.id] or 0, bonus)
        for c in colocs:  # what must run with its promoted instance: its preferences
            d = rscs.get(c.dependent)
            if c.primary != cid or c.primary_role != "Promoted" or d is None or c.score <= 0:
                continue
            final = _merge_positive(final, insts, d, c.score / INFINITY)
        _promote(insts, clones[cid], final, state, no_promotion)

    def assign(r: Rsc) -> None:
        if r.assigned or r.assigning:
            return
        r.assigning = True
        w = dict(r.weights)
        for c in by_dep.get(r.id, ()):
            if c.primary in clones:
                insts = [rscs[i] for i in clones[c.primary].instances]
                if c.primary_role is not None:  # only the instances in that role count
                    promote_clone(c.primary)
                    insts = [
                        i
                        for i in insts
                        if (i.next_role == "Promoted") == (c.primary_role == "Promoted")
                    ]
                _with_clone(c, insts, w, r)
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
                w = merge(d, w, c.score / INFINITY, True, c.attribute)
        r.weights = w
        r.target = None
        if len(r.clean) > 1 and r.meta.get("multiple-active") == "stop_only":
            r.stop_reason = "node availability"
            r.assigned, r.assigning = True, False
            return
        if _blocked(r, state):
            r.target = r.current[0] if r.current else None
            if r.target is not None:
                load[r.target] += 1  # an unmanaged resource still occupies its node
                if no_quorum and nqp in ("stop", "suicide", "demote"):
                    r.stop_reason = "no quorum"  # it would stop, were it not blocked
        elif r.meta.get("target-role", "Started").lower() == "stopped":
            r.stop_reason = "node availability"
        elif opts.flag("stop-all-resources"):
            r.stop_reason = "node availability"
        elif any(st.on_fail == "stop" and st.failed for st in r.states.values()):
            r.stop_reason = "node availability"
        else:
            cands = [n for n, s in w.items() if s >= 0 and nodes[n].can_host]
            # A clone instance (a cloned group's: its first member) counts against
            # clone-node-max; the group's other members follow it.
            head = r.clone is not None and r.id in clones[r.clone].heads()
            if head:
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
                if head:
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

    def placing_order(r: Rsc) -> tuple:
        """Priority, then configuration order; but a clone's instances that can stay where
        they run are placed before the others (which take what is left)."""
        if r.clone is None:
            return (-r.priority, r.index, 0, r.index)
        info = clones[r.clone]
        head = rscs[groups[r.group][0]] if r.group is not None else r
        stays = any(nodes[n].can_host and head.weights.get(n, -INFINITY) >= 0 for n in head.clean)
        return (-r.priority, rscs[info.ids[0]].index, 0 if stays else 1, r.index)

    for r in sorted(rscs.values(), key=placing_order):
        assign(r)
    for cid, info in clones.items():  # promotable clones: which instances are promoted
        if info.promoted_max:
            promote_clone(cid)
    order = sorted(rscs.values(), key=lambda r: (-r.priority, r.index))
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
        change = definition_change(r.prim, st.start if st is not None else None)
        r.digest_changed = change == "restart"
        r.reload = change == "reload"
    for r in rscs.values():
        if r.target is not None and r.states.get(r.target) and r.states[r.target].assumed:
            r.restart = True  # left in doubt by a failed migration
    for r in rscs.values():  # on-fail=restart-container: the container restarts in place
        box = rscs.get(r.meta.get("container", ""))
        for n, st in r.states.items():
            if box is not None and st.failed and st.on_fail == "restart-container":
                box.restart = box.restart or (box.target == n and n in box.current)
    return _actions(rscs, orders, state, clones, groups, anyof)


def _view(r: Rsc, state: ClusterState) -> ResourceView:
    roles = [_role_on(r, n) for n in r.states if n in r.current]
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


def _role_name(role: str | None) -> str | None:
    """Pacemaker's current role names (Master and Slave are the old ones)."""
    return {"Master": "Promoted", "Slave": "Unpromoted"}.get(role or "", role)


def _role_on(r: Rsc, node: str | None) -> str:
    """The resource's role on a node by its history (a promotable instance that merely
    runs is Unpromoted)."""
    st = r.states.get(node or "")
    role = st.role if st is not None and node in r.current else "Stopped"
    return "Unpromoted" if r.promotable and role == "Started" else role


def _promotion_attr(r: Rsc, state: ClusterState) -> str | None:
    """The agent's promotion score (node attribute master-NAME), NAME being the instance as
    the node's history knows it, else the clone's child."""
    attrs = state.nodes[r.target or ""].attrs
    known = r.states.get(r.target or "")
    name = known.name if known is not None and known.name else r.id
    return attrs.get(f"master-{name}", attrs.get(f"master-{name.split(':')[0]}"))


def _merge_positive(
    scores: dict[str, int | None], insts: list[Rsc], d: Rsc, factor: float
) -> dict[str, int | None]:
    """Fold a dependent's node scores into promotion scores as Pacemaker does with
    pe_weights_positive: a score cannot be made negative (a positive one drops to 1), and
    the merge is undone if it leaves no instance promotable."""
    out = dict(scores)
    for i in insts:
        cur = scores.get(i.id)
        if cur is None:
            continue
        raw = d.weights.get(i.target or "", -INFINITY)
        weighted = factor * raw
        v = int(weighted - 0.5) if weighted < 0 else int(weighted + 0.5)
        if v == 0 and raw != 0:
            v = 1 if factor > 0 else -1
        new = add(v, cur)
        if new < 0 and cur > 0:
            out[i.id] = 1
        elif new < 0 and cur == 0:
            continue
        else:
            out[i.id] = new
    if not any(v is not None and v >= 0 for v in out.values()):
        return scores
    return out


def _promote(
    insts: list[Rsc],
    info: _CloneInfo,
    scores: dict[str, int | None],
    state: ClusterState,
    barred: set[str],
) -> None:
    """Choose the promoted instances among those placed, by their promotion scores."""
    cands = []
    for r in insts:
        r.next_role = "Unpromoted"
        target_role = r.meta.get("target-role", "").lower()
        if r.target is None or not r.start_runnable or _blocked(r, state) or r.id in barred:
            continue
        if target_role in ("unpromoted", "slave"):
            continue  # target-role caps the role
        now = _role_on(r, r.target) == "Promoted"
        cands.append(Candidate(r.id, r.target, None, scores.get(r.id), now, r.index))
    chosen = choose(cands, info.promoted_max, info.promoted_node_max)
    for r in insts:
        if r.id in chosen:
            r.next_role = "Promoted"


def _clone_changes(rscs: dict[str, Rsc], nodes, ids) -> list[CloneChange]:
    """What each clone with `notify=true` goes through in this transition (see notifications)."""
    by_clone: dict[str, list[Rsc]] = {}
    for r in sorted(rscs.values(), key=lambda r: r.index):
        if r.clone is not None and true(r.meta.get("notify")):
            by_clone.setdefault(r.clone, []).append(r)
    live = [n for n, info in nodes.items() if info.online and not info.unclean]
    out = []
    for insts in by_clone.values():
        names = {r.id for r in insts}
        changes: dict[str, list[tuple[str, str, int]]] = {}
        for (task, rsc, node), aid in ids.items():
            if task in PHASES and rsc in names and node is not None:
                changes.setdefault(task, []).append((rsc, node, aid))
        if not changes:
            continue
        before = [(r.id, n) for r in insts for n in r.current if n in live]
        out.append(
            CloneChange(
                before=tuple(before),
                after=tuple(
                    (r.id, r.target)
                    for r in insts
                    if r.target is not None and r.start_runnable and r.target in live
                ),
                promoted=tuple((i, n) for i, n in before if _role_on(rscs[i], n) == "Promoted"),
                instances=tuple(r.id for r in insts),
                nodes=tuple(live),
                changes={k: sorted(v, key=lambda x: x[2]) for k, v in changes.items()},
            )
        )
    return out


def _next_role(r: Rsc) -> str:
    """A promotable instance's role after the transition."""
    return "Stopped" if r.target is None or not r.start_runnable and not r.current else r.next_role


def _role_changes(r: Rsc, stops: set[str], start: bool, src: str | None) -> tuple[bool, bool]:
    """(promote, demote): whether a promotable instance is promoted on its target, and whether
    it is demoted where it is Promoted now (before it stops, moves or just loses the role)."""
    role, nxt = _role_on(r, src), _next_role(r)
    return nxt == "Promoted" and (role != "Promoted" or start), role == "Promoted" and (
        nxt != "Promoted" or bool(stops)
    )


def _monitor_roles(r: Rsc, promoted: bool) -> tuple[str | None, ...]:
    """The `role` values of the recurring monitors an instance runs: a promotable one its
    Promoted monitors while promoted, else its Unpromoted (or role-less) ones."""
    if not r.promotable:
        return (None, "Started")
    if promoted:
        return ("Promoted", "Master")
    return (None, "Started", "Unpromoted", "Slave")


def _promotable_lines(r: Rsc, stops: set[str], start: bool, src: str | None) -> list[SummaryLine]:
    """crm_simulate's summary of a promotable clone instance, roles included."""
    role, nxt = _role_on(r, src), _next_role(r)
    dest = r.target if nxt != "Stopped" else None
    if not r.managed or (src is None and dest is None):
        return []
    moving = src is not None and dest is not None and src != dest
    promote, demote = _role_changes(r, stops, start, src)

    def item(kind: str, origin: str | None, to: str | None, reason: str = "") -> SummaryLine:
        return SummaryLine(kind, r.id, source=details(role, nxt, origin, to), reason=reason)

    why = f"due to {r.stop_reason}" if r.stop_reason else ""
    if role == nxt:
        if not start:
            return [item("Re-promote", src, dest)] if promote and demote else []
        if moving:
            return [item("Recover" if r.failed else "Move", src, dest)]
        return [item("Recover" if r.failed else "Restart", src, dest if not r.failed else None)]
    if stops and (nxt == "Stopped" or not r.start_runnable):
        return [item("Stop", n, None, why) for n in r.current]
    if stops and r.failed:
        return [item("Recover", src, dest)]
    if moving:
        return [item("Move", src, dest)]
    if stops:
        return [item("Restart", src, dest)]
    if role == "Promoted":
        return [item("Demote", src, dest)]
    if nxt == "Promoted":
        return [item("Promote", src, dest)]
    if role == "Stopped" and nxt != "Stopped":
        return [item("Start", src, dest)]
    return []


def _can_migrate(r: Rsc, stops: set[str], start: bool, nodes) -> bool:
    """allow-migrate, and a clean move of a healthy resource from one live node to another."""
    if not true(r.meta.get("allow-migrate")) or not r.managed or r.clone is not None:
        return False
    if not start or r.failed or r.digest_changed or len(r.current) != 1 or r.target is None:
        return False
    src = r.current[0]
    return src != r.target and stops == {src} and nodes[src].online and not nodes[src].unclean


def _unfencing(rscs, nodes, probes, ids, start_on) -> dict[str, str]:
    """Nodes to unfence ("on") before a probe or start there, each with Pacemaker's reason.

    Once a fence device provides unfencing, a node that was never unfenced must be before any
    resource is probed or started on it (the device itself included).
    """
    if not any(
        r.prim.klass == "stonith" and r.meta.get("provides") == "unfencing" for r in rscs.values()
    ):
        return {}
    needing = [
        r
        for r in sorted(rscs.values(), key=lambda r: r.index)
        if r.prim.klass == "stonith" or r.meta.get("requires", "unfencing") == "unfencing"
    ]
    out: dict[str, str] = {}
    for name, node in nodes.items():
        unfenced = node.attrs.get("#node-unfenced")
        if not node.online or node.unclean or node.pending or unfenced not in (None, "0"):
            continue
        probed = [r for r in needing if ("monitor", r.id, name) in ids]
        started = [r for r in needing if start_on.get(r.id) and r.target == name]
        if probed:
            out[name] = f"required by {probed[0].id} monitor"
        elif started:
            out[name] = f"required by {started[0].id} start"
    return out


def _unprobeable(r: Rsc, nodes) -> bool:
    """A node that must be probed for the resource cannot run the probe yet (it is pending)."""
    return any(
        n.online and n.pending and not n.unclean and name not in r.states
        for name, n in nodes.items()
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
    groups: dict[str, list[str]],
    anyof: dict[str, tuple[str, ...]],
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
        stops = {n for n in r.current if n != r.target or r.failed or r.digest_changed or r.restart}
        if len(r.clean) > 1:  # active where it should not be: stop everywhere, start once
            stops = set(r.current)
        start = r.target is not None and (r.target in stops or r.target not in r.current)
        return stops, start

    def stop_blocked(r: Rsc) -> bool:
        """Must stop (failed, to recover) but may not: blocked or unmanaged."""
        if r.stop_blocked:
            return True
        return (
            bool(r.current)
            and _blocked(r, state)
            and any(st.failed for n, st in r.states.items() if n in r.current and n not in fenced)
        )

    stop_on: dict[str, set[str]] = {}
    start_on: dict[str, bool] = {}
    for r in rscs.values():
        r.target_before = r.target
        if not r.current and not r.orphan and r.managed and _unprobeable(r, nodes):
            r.start_runnable = False  # it might be active there: starting elsewhere is unsafe
        stop_on[r.id], start_on[r.id] = plans(r)
        if r.digest_changed and r.target is not None and not r.agent_changed:
            r.restart_reason = "resource definition change"
    for r in rscs.values():
        r.migrate = _can_migrate(r, stop_on[r.id], start_on[r.id], nodes)

    def members(name: str) -> list[Rsc]:
        """The primitives an ordering's "first" stands for."""
        if name in anyof:
            return [x for m in anyof[name] for x in members(m)]
        if name in clones:
            return [rscs[i] for i in clones[name].ids]
        if name in groups:
            return [rscs[i] for i in groups[name]]
        return [rscs[name]] if name in rscs else []

    changed = True
    guard = 0
    while changed and guard < 10 * (len(orders) + 1):
        changed, guard = False, guard + 1
        for o in orders:
            t = rscs.get(o.then)
            firsts = members(o.first)
            if o.interleave and t is not None:
                firsts = [
                    x
                    for x in firsts
                    if x.target is not None
                    and x.target == t.target
                    or set(x.current) & set(t.current)
                ]
            # After a group even an optional order passes a restart on (its pseudo actions).
            implies = o.mandatory or o.first in groups
            if not (firsts or o.interleave) or t is None or not implies or _blocked(t, state):
                continue
            if o.first_action == "start" and o.then_action == "start":
                if o.first in anyof:  # any one will do
                    f_unrunnable = all(x.target is None or not x.start_runnable for x in firsts)
                elif o.min_first:
                    runnable = [x for x in firsts if x.target is not None and x.start_runnable]
                    heads = clones[o.first].heads()
                    f_unrunnable = sum(x.id in heads for x in runnable) < o.min_first
                elif o.first in groups or o.interleave:  # every one of them must run
                    f_unrunnable = not firsts or any(
                        x.target is None or not x.start_runnable for x in firsts
                    )
                else:
                    f_unrunnable = all(x.target is None or not x.start_runnable for x in firsts)
                # A live migration is no restart, nor is a new instance of a clone for the
                # instances of another clone that follows it.
                f_starting = any(start_on[x.id] and not x.migrate for x in firsts) and not (
                    o.first in clones and t.clone is not None and not o.interleave
                )
                f_name = o.first
                started = "running" if o.first in groups else "start"
                if o.first in anyof:
                    started = ""
                if o.min_first:  # Pacemaker's pseudo action for "enough instances run"
                    f_name, started = "clone-one-or-more:" + o.source.removeprefix("order "), ""
                if t.migrate and any(
                    start_on[x.id] and x.current and not x.migrate for x in firsts
                ):
                    # The first one goes down and up: what follows it cannot move live.
                    t.migrate, t.move_reason = False, f"unrunnable {f_name} stop"
                    changed = True
                if (
                    o.mandatory
                    and f_unrunnable
                    and t.start_runnable
                    and (start_on[t.id] or o.symmetrical)
                ):
                    t.start_runnable = False
                    t.blocked_by = f"unrunnable {f_name} {started}".rstrip()
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
                    t.restart_reason = t.restart_reason or f"required {f_name} {started}".rstrip()
                    changed = True
            elif o.first_action == "stop" and o.then_action == "stop":
                # A stop that must wait for a stop that cannot happen cannot happen either.
                if not o.inverse and any(stop_on[x.id] for x in firsts) and not stop_on[t.id]:
                    stop_on[t.id] = set(t.current)  # its stop is required too: a restart
                    start_on[t.id] = t.target is not None
                    changed = changed or bool(t.current)
                blockers = [x for x in firsts if stop_blocked(x)]
                if stop_on[t.id] and not t.stop_blocked and blockers:
                    t.stop_blocked = True
                    if t.target is not None:  # it was to move or restart, not just stop
                        t.stop_reason = f"unrunnable {blockers[0].id} stop"
                    start_on[t.id] = False
                    changed = True
    actions: list[Action] = []
    edges: list[tuple[int, int]] = []
    ids: dict[tuple[str, str | None, str], int] = {}

    def act(
        task: str, rsc: str | None, node: str | None, pseudo: bool = False, meta: tuple = ()
    ) -> int:
        a = Action(len(actions), task, rsc, node, pseudo=pseudo, meta=meta)
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
            if node.online and not node.unclean and not node.pending and n not in r.states:
                probes.setdefault(r.id, []).append(act("monitor", r.id, n))
    unfence = _unfencing(rscs, nodes, probes, ids, start_on)
    for name in unfence:
        act("on", None, name)
    for n in fence:
        act("stonith", None, n.name)
    summary: list[SummaryLine] = []
    fence_lines = [
        SummaryLine("Fence", n, reason=why, fence_action="on") for n, why in unfence.items()
    ]
    fence_lines += [SummaryLine("Fence", n.name, reason=n.fence_reason) for n in fence]
    summary.extend(reversed(fence_lines))  # crm_simulate lists the newest fencing first
    promotions: dict[str, tuple[list[int], list[int]]] = {}  # clone -> (demotes, promotes)
    for r in sorted(rscs.values(), key=lambda r: r.rank):
        stops, start = stop_on[r.id], start_on[r.id]
        # Where crm_simulate says it runs: the first clean node in status order.
        src = next((n for n in r.states if n in r.clean), None) or (r.current or [None])[0]
        promote, demote = _role_changes(r, stops, start, src) if r.promotable else (False, False)
        promote = promote and r.target is not None and r.start_runnable
        demote = demote and src is not None and r.managed
        roles = _monitor_roles(r, promote or (_role_on(r, src) == "Promoted" and not demote))
        monitors: list[int] = []  # recurring monitors started by this transition
        r.failed = any(
            st.failed
            for n, st in r.states.items()
            if n in r.current
            and (n not in fenced or nodes[n].fence_reason == f"{r.id} failed there")
        )
        if r.stop_blocked:
            why = f"due to {r.stop_reason} (blocked)" if r.stop_reason else "blocked"
            summary.extend(SummaryLine("Stop", r.id, source=n, reason=why) for n in r.current)
            continue
        for n, st in r.states.items():  # finish a migration that never stopped the source
            if st.dangling and n not in stops and nodes[n].online and r.managed:
                act("stop", r.id, n)
        migrated = None
        if r.migrate and r.target is not None:  # live: migrate_to, migrate_from, then stop
            to_id = act("migrate_to", r.id, src)
            migrated = act("migrate_from", r.id, r.target)
            edges.append((to_id, migrated))
            edges.extend((probe, to_id) for probe in probes.get(r.id, ()))
        for n in sorted(stops):
            group_stop = group_pseudo(r.group, "stop")
            sid = act("stop", r.id, n, pseudo=n in fenced)
            if migrated is not None:
                edges.append((migrated, sid))
            if n in fenced:
                edges.append((ids[("stonith", None, n)], sid))
            if group_stop is not None:
                edges.append((group_stop, sid))
                group_members.setdefault((r.group, "stopped"), []).append(sid)
        if start and r.target is not None:
            group_start = group_pseudo(r.group, "start")
            st_id = act("start", r.id, r.target, pseudo=r.migrate)
            if group_start is not None:
                edges.append((group_start, st_id))
                group_members.setdefault((r.group, "running"), []).append(st_id)
            for n in stops:
                edges.append((ids[("stop", r.id, n)], st_id))
            edges.extend((probe, st_id) for probe in probes.get(r.id, ()))
            for op in r.prim.ops:  # recurring monitors follow the start
                if op.name == "monitor" and op.interval_ms > 0 and op.role in roles:
                    mon = Action(len(actions), "monitor", r.id, r.target, op.interval_ms)
                    actions.append(mon)
                    edges.append((st_id, mon.id))
                    monitors.append(mon.id)
        elif r.managed and r.target is not None and r.target in r.current and not stops:
            st = r.states.get(r.target)
            known = {(o.operation, o.interval_ms) for o in st.ops} if st is not None else set()
            if r.reload:
                act("reload-agent", r.id, r.target)
            for op in r.prim.ops:  # staying put, but a recurring monitor was never started
                if (
                    op.name == "monitor"
                    and op.interval_ms > 0
                    and op.role in roles
                    and ("monitor", op.interval_ms) not in known
                ):
                    actions.append(Action(len(actions), "monitor", r.id, r.target, op.interval_ms))
                    monitors.append(actions[-1].id)
        if any(n in nodes and nodes[n].unclean and not state.fence_possible for n in r.current):
            # Only the quorum policy's reason is known this early in Pacemaker (rec-node-8/10).
            quorum = r.stop_reason == "no quorum"
            why = f"due to {r.stop_reason} (blocked)" if quorum else "blocked"
            summary.append(SummaryLine("Stop", r.id, source=src, reason=why))
            continue
        if not r.current and not r.start_runnable and r.target_before:
            why = f"due to {r.blocked_by} (blocked)" if r.blocked_by else "blocked"
            summary.append(SummaryLine("Start", r.id, target=r.target_before, reason=why))
            continue
        if len(r.clean) > 1 and start and (r.target == src or r.failed and r.target in r.current):
            kind = "Recover" if r.failed else "Restart"
            summary.append(SummaryLine(kind, r.id, source=r.target))
            continue
        if len(r.clean) > 1 and start and r.target is not None:
            role = r.states[src].role if src in r.states else "Started"
            if role == "Promoted":  # crm_simulate names the roles when one is above Started
                src_text, dst_text = f"{role} {src}", f"Started {r.target}"
            else:
                src_text, dst_text = src, r.target
            kind = "Recover" if r.failed else "Move"
            summary.append(SummaryLine(kind, r.id, source=src_text, target=dst_text))
            continue
        if len(r.current) > 1 and r.target is None and stops:
            for n in r.current:
                reason = f"due to {r.stop_reason}" if r.stop_reason else ""
                summary.append(SummaryLine("Stop", r.id, source=n, reason=reason))
            continue
        if r.promotable:
            summary.extend(_promotable_lines(r, stops, start, src))
            demotes, promotes = promotions.setdefault(r.clone or r.id, ([], []))
            if demote:  # before it stops there; the role's monitors go with the role
                demote_id = act("demote", r.id, src)
                demotes.append(demote_id)
                if ("stop", r.id, src) in ids:
                    edges.append((demote_id, ids[("stop", r.id, src)]))
                if not promote:
                    edges.extend((demote_id, mon) for mon in monitors)
            if promote:  # after it starts there; its Promoted monitors after it
                promote_id = act("promote", r.id, r.target)
                promotes.append(promote_id)
                if ("start", r.id, r.target) in ids:
                    edges.append((ids[("start", r.id, r.target)], promote_id))
                edges.extend((promote_id, mon) for mon in monitors)
            continue
        line = _summary_line(r, stops, start, src)
        if line is not None:
            summary.append(line)
    for demotes, promotes in promotions.values():  # a clone demotes before it promotes
        edges.extend((d, p) for d in demotes for p in promotes)
    for change in _clone_changes(rscs, nodes, ids):
        add_notifications(change, act, edges)
    for (group, task), members in group_members.items():
        done = act(task, group, None, pseudo=True)
        edges.extend((m, done) for m in members)
        if task == "stopped" and ("start", group, None) in ids:
            edges.append((done, ids[("start", group, None)]))
    by_rsc_task: dict[tuple[str | None, str], list[int]] = {}
    for (task, rsc, _node), aid in ids.items():
        by_rsc_task.setdefault((rsc, task), []).append(aid)
    for a in actions:  # unfence a node before anything is probed or started on it
        if a.rsc is not None and a.node in unfence and a.task in ("monitor", "start"):
            edges.append((ids[("on", None, a.node)], a.id))
    done_task = {"start": "running", "stop": "stopped"}
    for o in orders:
        task = done_task.get(o.first_action, o.first_action) if o.first in groups else None
        for a in by_rsc_task.get((o.first, task or o.first_action), ()):
            for b in by_rsc_task.get((o.then, o.then_action), ()):
                edges.append((a, b))
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
        if not stops or r.target == src and src in r.clean and len(r.clean) == 1:
            # Staying: stops elsewhere only clear nodes that fencing will take care of.
            return SummaryLine("Reload", r.id, source=src) if r.reload and r.target else None
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
    if r.migrate:
        return SummaryLine("Migrate", r.id, source=src, target=r.target)
    reason = f"due to {r.move_reason}" if r.move_reason else ""
    return SummaryLine("Move", r.id, source=src, target=r.target, reason=reason)
