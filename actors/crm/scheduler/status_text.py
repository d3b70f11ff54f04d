"""The cluster status as crm_mon / crm_simulate print it, before and after a transition.

Reads only the configuration's layout (groups, clones, priorities) and the `NodeView` /
`ResourceView` of a `Transition`; "after" applies the transition's runnable starts, stops and
fencing, as crm_simulate's "Revised Cluster Status" does after executing the graph.
"""

from __future__ import annotations

import re
from dataclasses import replace

from actors.crm.cib.model import Cib, Clone, Group, Primitive
from actors.crm.scheduler.model import NodeView, ResourceView, Transition

FENCE_TASKS = ("stonith", "reboot", "off", "fence")


def natural(name: str) -> list:
    """Node names sort as Pacemaker sorts them: node2 before node10."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def _meta(obj, name: str) -> str | None:
    for s in getattr(obj, "meta", ()):
        for key, value in s.values:
            if key == name:
                return value
    return None


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "on", "yes", "y", "1")


def _priority(obj) -> int:
    try:
        return int(float(_meta(obj, "priority") or 0))
    except ValueError:
        return 0


def node_lines(nodes: tuple[NodeView, ...], busy: set[str]) -> list[str]:
    online, offline, lines = [], [], ["  * Node List:"]
    for n in sorted(nodes, key=lambda n: natural(n.name)):
        if n.unclean:
            lines.append(f"    * Node {n.name}: UNCLEAN ({'online' if n.online else 'offline'})")
        elif n.online and n.pending:
            lines.append(f"    * Node {n.name}: pending")
        elif n.online and n.maintenance:
            lines.append(f"    * Node {n.name}: maintenance")
        elif n.online and n.standby:
            extra = " (with active resources)" if n.name in busy else ""
            lines.append(f"    * Node {n.name}: standby{extra}")
        elif n.online:
            online.append(n.name)
        else:
            offline.append(n.name)
    if online:
        lines.append(f"    * Online: [ {' '.join(online)} ]")
    if offline:
        lines.append(f"    * OFFLINE: [ {' '.join(offline)} ]")
    return lines


def _flags(flags: list[str]) -> str:
    return f" ({', '.join(flags)})" if flags else ""


def _state(v: ResourceView, gone: set[str]) -> str:
    flags = []
    if not v.current:
        if v.target_role_stopped:
            flags.append("disabled")
        if not v.managed:
            flags.append("unmanaged")
        return "Stopped" + _flags(flags)
    word = "FAILED" if v.failed else ("Started" if v.role == "Stopped" else v.role)
    where = v.current[0] if len(v.current) == 1 else f"[ {' '.join(v.current)} ]"
    if len(v.current) == 1 and v.current[0] in gone:
        flags.append("UNCLEAN")
    if v.target_role_stopped:
        flags.append("disabled")
    if v.blocked:
        flags.append("blocked")
    elif not v.managed:
        flags.append("unmanaged")
    return f"{word} {where}" + _flags(flags)


def _line(v: ResourceView, gone: set[str], indent: str, name: str | None = None) -> str:
    prefix = "ORPHANED " if v.orphan else ""
    return f"{indent}* {name or v.id}\t({v.agent}):\t {prefix}{_state(v, gone)}"


def _clone_lines(
    clone: Clone, views: list[ResourceView], nodes: tuple[NodeView, ...], gone: set[str]
) -> list[str]:
    unique = _truthy(_meta(clone, "globally-unique"))
    child = clone.child.id
    flags = ["promotable"] if clone.promotable else []
    flags += ["unique"] if unique else []
    if (_meta(clone, "target-role") or "").lower() == "stopped":
        flags.append("disabled")
    if views and all(not v.managed for v in views):
        flags.append("unmanaged")
    out = [f"    * Clone Set: {clone.id} [{child}]{_flags(flags)}:"]
    if unique:
        return out + [_line(v, gone, "      ") for v in views]
    by_role: dict[str, list[str]] = {}
    active: set[str] = set()
    for v in views:
        active.update(v.current)
        plain = v.managed and not v.failed and not v.blocked and len(v.current) == 1
        if v.current and plain and v.current[0] not in gone:
            role = "Started" if v.role in ("Stopped", "Started") else v.role
            by_role.setdefault(role, []).append(v.current[0])
        elif v.current:
            out.append(_line(v, gone, "      ", child))
    for role in ("Promoted", "Unpromoted", "Started"):
        if by_role.get(role):
            where = sorted(set(by_role[role]), key=natural)
            out.append(f"      * {role}: [ {' '.join(where)} ]")
    stopped = [n.name for n in nodes if n.name not in active]
    if stopped:
        out.append(f"      * Stopped: [ {' '.join(sorted(stopped, key=natural))} ]")
    return out


def resource_lines(
    cib: Cib, resources: tuple[ResourceView, ...], nodes: tuple[NodeView, ...]
) -> list[str]:
    views = {v.id: v for v in resources}
    gone = {n.name for n in nodes if n.unclean and not n.online}
    lines = ["  * Full List of Resources:"]
    shown: set[str] = set()
    for r in sorted(cib.resources, key=lambda r: -_priority(r)):
        if isinstance(r, Primitive) and r.id in views:
            lines.append(_line(views[r.id], gone, "    "))
            shown.add(r.id)
        elif isinstance(r, Group):
            members = [views[c.id] for c in r.children if c.id in views]
            flags = ["unmanaged"] if members and all(not v.managed for v in members) else []
            if (_meta(r, "target-role") or "").lower() == "stopped":
                flags.append("disabled")
            lines.append(f"    * Resource Group: {r.id}{_flags(flags)}:")
            lines.extend(_line(v, gone, "      ") for v in members)
            shown.update(v.id for v in members)
        elif isinstance(r, Clone):
            kids = r.child.children if isinstance(r.child, Group) else (r.child,)
            bases = {k.id for k in kids}  # a cloned group's instances are its members'
            instances = [v for v in resources if v.id.split(":")[0] in bases]
            lines.extend(_clone_lines(r, instances, nodes, gone))
            shown.update(v.id for v in instances)
    for v in resources:
        if v.id not in shown and v.current:
            lines.append(_line(v, gone, "    "))
    return lines


def after(transition: Transition) -> tuple[tuple[NodeView, ...], tuple[ResourceView, ...]]:
    """Nodes and resources once every runnable action has succeeded."""
    fenced = {
        a.node for a in transition.actions if a.rsc is None and a.runnable and a.task in FENCE_TASKS
    }
    nodes = tuple(
        replace(n, online=False, unclean=False) if n.name in fenced else n for n in transition.nodes
    )
    started: dict[str, list[str]] = {}
    stopped: dict[str, set[str]] = {}
    for a in transition.actions:
        if a.rsc is None or not a.runnable or a.node is None:
            continue
        if a.task == "start":
            started.setdefault(a.rsc, []).append(a.node)
        elif a.task == "stop":
            stopped.setdefault(a.rsc, set()).add(a.node)
    resources = []
    for v in transition.resources:
        gone = stopped.get(v.id, set()) | (fenced if v.managed else set())
        where = [n for n in v.current if n not in gone] + started.get(v.id, [])
        acted = v.id in started or v.id in stopped
        resources.append(
            replace(
                v,
                current=tuple(dict.fromkeys(where)),
                failed=v.failed and not acted,
                blocked=v.blocked and not acted,
                role="Started" if v.role == "Stopped" else v.role,
            )
        )
    return nodes, tuple(resources)


def status_lines(cib: Cib, nodes: tuple[NodeView, ...], resources: tuple[ResourceView, ...]):
    busy = {n for v in resources for n in v.current}
    return [*node_lines(nodes, busy), "", *resource_lines(cib, resources, nodes)]


def header_lines(resources: tuple[ResourceView, ...]) -> list[str]:
    """crm_mon's count of disabled and blocked instances, shown only when there are some."""
    blocked = sum(v.blocked for v in resources)
    disabled = sum(v.target_role_stopped for v in resources)
    if not blocked and not disabled:
        return []
    return [
        f"{disabled} of {len(resources)} resource instances DISABLED and {blocked} BLOCKED "
        "from further action due to failure",
        "",
    ]
