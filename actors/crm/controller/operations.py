"""A graph action -> the operation a node's LRM runs: agent, parameters, timeout, expected rc.

Parameters are the primitive's instance attributes plus the operation's own, with instance
attribute sets that carry rules evaluated for the target node (`#uname` and the node's
attributes), as Pacemaker does: a per-node `state` file for a Dummy, say. The scheduler reads
digests of the rule-free parameters only (`scheduler.digests.start_params`), so the start digest
a node recorded is translated for it (`scheduler_digest`): when it matches the definition as
evaluated for that node, the scheduler is shown the digest it expects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from actors.agents.digest import op_digest
from actors.agents.duration import parse_ms
from actors.agents.results import OcfResult
from actors.agents.spec import AgentSpec, Standard
from actors.crm.cib.model import Cib, Clone, Group, NvSet, Primitive
from actors.crm.controller.messages import OpCommand
from actors.crm.lrm.history import OpRecord, ResourceHistory
from actors.crm.scheduler.digests import start_params
from actors.crm.scheduler.model import Action
from actors.crm.scheduler.notifications import notified_operation
from actors.crm.scheduler.options import plain_values
from actors.crm.scheduler.rules import evaluate

DEFAULT_TIMEOUT_MS = 20000


def primitives(cib: Cib) -> dict[str, Primitive]:
    out: dict[str, Primitive] = {}

    def add(res) -> None:
        if isinstance(res, Primitive):
            out[res.id] = res
        elif isinstance(res, Group):
            for child in res.children:
                add(child)
        elif isinstance(res, Clone):
            add(res.child)

    for res in cib.resources:
        add(res)
    return out


def anonymous_instances(cib: Cib) -> frozenset[str]:
    """Primitives whose clone is anonymous (not globally-unique). Pacemaker runs and records
    their instances on a node under the bare primitive id — an instance number means nothing
    there — so the history is the same whichever instance number the scheduler picks next."""
    out: set[str] = set()
    for res in cib.resources:
        if isinstance(res, Clone) and plain_values(res.meta).get(
            "globally-unique", "false"
        ) not in (
            "true",
            "yes",
            "1",
            "on",
        ):
            members = res.child.children if isinstance(res.child, Group) else (res.child,)
            out.update(m.id for m in members if isinstance(m, Primitive))
    return frozenset(out)


def spec_of(prim: Primitive) -> AgentSpec:
    standard = Standard(prim.klass)
    provider = prim.provider or "" if standard is Standard.OCF else ""
    return AgentSpec(standard, provider, prim.type)


PROMOTED_ROLES = ("Promoted", "Master")


def expected_rc(action: Action, prim: Primitive | None = None) -> int:
    """A probe expects "not running"; a recurring monitor defined for the Promoted role
    "running promoted" (OCF_RUNNING_PROMOTED); anything else success."""
    if action.task == "monitor" and action.interval_ms == 0:
        return int(OcfResult.OCF_NOT_RUNNING)
    if action.task == "monitor" and prim is not None:
        for op in prim.ops:
            if op.name == "monitor" and op.interval_ms == action.interval_ms:
                if op.role in PROMOTED_ROLES:
                    return int(OcfResult.OCF_RUNNING_PROMOTED)
                break
    return int(OcfResult.OCF_SUCCESS)


def _timeout_ms(prim: Primitive | None, cib: Cib, task: str, interval_ms: int) -> int:
    texts = []
    if prim is not None:
        texts += [
            op.get("timeout")
            for op in prim.ops
            if op.name == task and op.interval_ms == interval_ms
        ]
    texts.append(plain_values(cib.op_defaults).get("timeout"))
    for text in texts:
        if text:
            try:
                return parse_ms(text)
            except ValueError:
                continue
    return DEFAULT_TIMEOUT_MS


def node_attributes(cib: Cib, node: str | None) -> dict[str, str]:
    """What rules about `node` see: #uname, #id, #kind and its configured attributes."""
    attrs = {"#uname": node or "", "#kind": "cluster"}
    for n in cib.nodes:
        if n.uname == node:
            attrs["#id"] = n.id
            attrs.update(plain_values(n.attributes))
    return attrs


def node_values(sets: tuple[NvSet, ...], attrs: Mapping[str, str], now) -> dict[str, str]:
    """First value wins, sets by descending score; a set with a rule counts where it matches."""
    out: dict[str, str] = {}
    for s in sorted(sets, key=lambda s: -s.score):
        if s.rule is not None and not evaluate(s.rule.element, dict(attrs), now):
            continue
        for k, v in s.values:
            out.setdefault(k, v)
    return out


def _own_params(prim: Primitive, task: str, interval_ms: int) -> dict[str, str]:
    own: dict[str, str] = {}
    for op in prim.ops:
        if op.name == task and op.interval_ms == interval_ms:
            own.update(op.params)
    return own


def params_for(
    prim: Primitive, cib: Cib, node: str | None, task: str, interval_ms: int, now=None
) -> dict[str, str]:
    """The parameters `task` runs with on `node`."""
    now = now or dt.datetime.now(dt.UTC)
    base = node_values(prim.instance, node_attributes(cib, node), now)
    return {**base, **_own_params(prim, task, interval_ms)}


STARTS = ("start", "migrate_from")  # what the scheduler reads a resource's definition from


def scheduler_digest(prim: Primitive, cib: Cib, node: str, record: OpRecord, now=None) -> str:
    """The op-digest to show the scheduler for `record` (a start, or the migrate_from that
    started it by migration, on `node`)."""
    if record.action not in STARTS or record.interval_ms:
        return record.op_digest
    params = params_for(prim, cib, node, "start", 0, now)
    if record.op_digest != op_digest(params):
        return record.op_digest  # the definition did change for this node
    plain, own = start_params(prim)
    return op_digest({**plain, **own})


def migration_meta(action: Action, graph: Iterable[Action]) -> dict[str, str]:
    """`migrate_source` and `migrate_target` for a live migration's two halves, found from its
    partner action in the same graph (Pacemaker gives them to both; agents such as
    VirtualDomain cannot migrate without them)."""
    partner_task = {"migrate_to": "migrate_from", "migrate_from": "migrate_to"}.get(action.task)
    if partner_task is None:
        return {}
    partner = next((a for a in graph if a.rsc == action.rsc and a.task == partner_task), None)
    if partner is None or partner.node is None or action.node is None:
        return {}
    if action.task == "migrate_to":
        return {"migrate_source": action.node, "migrate_target": partner.node}
    return {"migrate_source": partner.node, "migrate_target": action.node}


def command_for(
    action: Action,
    cib: Cib,
    histories: Iterable[ResourceHistory],
    tag: tuple | None = None,
    graph: Iterable[Action] = (),
) -> OpCommand | None:
    """The LRM operation for a resource action; None when the resource's agent is unknown (an
    orphan with no history anywhere). `graph`: the transition's actions (for a migration's
    other half)."""
    rsc = action.rsc or ""
    base = rsc.split(":")[0]  # clone instances run their child's definition
    task = "notify" if notified_operation(action.task) else action.task
    prim = primitives(cib).get(rsc) or primitives(cib).get(base)
    if prim is not None:
        spec = spec_of(prim)
        params = params_for(prim, cib, action.node, task, action.interval_ms)
        meta = plain_values(prim.meta)
        if action.node:
            meta["on_node"] = action.node  # OCF_RESKEY_CRM_meta_on_node, as Pacemaker sets it
        meta.update(migration_meta(action, graph))
        meta.update(action.meta)  # a notification's lists
    else:
        spec = next((h.spec for h in histories if h.rsc_id == rsc), None)
        if spec is None:
            return None
        params, meta = {}, {}
    if rsc != base and base in anonymous_instances(cib):
        rsc = base
    return OpCommand(
        rsc_id=rsc,
        spec=spec,
        action=task,
        params=params,
        meta=meta,
        interval_ms=action.interval_ms,
        timeout_ms=_timeout_ms(prim, cib, task, action.interval_ms),
        expected_rc=expected_rc(action, prim),
        tag=tag,
    )
