"""`ringleader simulate --cib FILE`: what the scheduler would do, printed as crm_simulate -S does.

Four sections (Current cluster status, Transition Summary, Executing Cluster Transition, Revised
Cluster Status) in Pacemaker's layout, so `diff` against crm_simulate is meaningful. Failures can
be injected first (a node failing, an operation failing with a given rc), the clock can be set,
and `--explain RSC` says in plain words why a resource is placed where it is.
"""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from actors.crm.cib import parse_cib
from actors.crm.scheduler import Unsupported, format_summary, schedule, status_text
from actors.crm.scheduler.conformance import effective_time, parse_time
from actors.crm.scheduler.status_text import natural
from actors.errors import UserError

INFINITY = 1_000_000
_OP_FAIL = re.compile(
    r"^(?P<rsc>.+)_(?P<task>[a-z_-]+?)_(?P<interval>\d+)@(?P<node>[^=]+)=(?P<rc>\d+)$"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate", help="show what the scheduler would do with a CIB (like crm_simulate -S)"
    )
    parser.add_argument("--cib", required=True, help="CIB XML file (configuration + status)")
    parser.add_argument(
        "--node-fail", action="append", default=[], metavar="NODE", help="simulate NODE failing"
    )
    parser.add_argument(
        "--op-fail",
        action="append",
        default=[],
        metavar="RSC_OP_INTERVAL@NODE=RC",
        help="inject a failed operation first, e.g. rsc1_monitor_10000@node1=7",
    )
    parser.add_argument("--set-time", metavar="DATE", help="cluster time (ISO 8601)")
    parser.add_argument("--show-scores", action="store_true", help="print allocation scores")
    parser.add_argument("--graph", metavar="OUT.xml", help="write the transition graph")
    parser.add_argument("--dot", metavar="OUT.dot", help="write the transition as graphviz")
    parser.add_argument("--explain", metavar="RSC", help="say why RSC is placed where it is")
    parser.set_defaults(func=run)


# -- failure injection (on the XML, before the CIB is parsed) ------------------------------------
def _status(root: ET.Element) -> ET.Element:
    status = root.find("status")
    if status is None:
        status = ET.SubElement(root, "status")
    return status


def _node_state(root: ET.Element, node: str, source: str) -> ET.Element:
    for n in root.iter("node"):
        if node in (n.get("uname"), n.get("id")):
            uname, nid = n.get("uname") or n.get("id", ""), n.get("id", "")
            break
    else:
        raise UserError(f"{source}: no node named {node!r} in /cib/configuration/nodes")
    status = _status(root)
    for state in status.findall("node_state"):
        if state.get("id") == nid or state.get("uname") == uname:
            return state
    return ET.SubElement(status, "node_state", {"id": nid, "uname": uname})


def fail_node(root: ET.Element, node: str, source: str) -> None:
    """As crm_simulate --node-fail: the node has left the membership without a clean shutdown."""
    state = _node_state(root, node, source)
    state.attrib.update({"in_ccm": "false", "crmd": "offline", "join": "down"})
    state.set("expected", "member")


def fail_op(root: ET.Element, spec: str, source: str) -> None:
    """Append a failed operation to the node's history and bump the resource's fail count."""
    m = _OP_FAIL.match(spec)
    if m is None:
        raise UserError(f"--op-fail {spec!r}: expected RSC_OP_INTERVAL@NODE=RC")
    rid, task, interval, node, rc = m.group("rsc", "task", "interval", "node", "rc")
    prim = next((p for p in root.iter("primitive") if p.get("id") == rid), None)
    if prim is None:
        raise UserError(f"--op-fail {spec!r}: no primitive {rid!r} in the configuration")
    state = _node_state(root, node, source)
    lrm = state.find("lrm") or ET.SubElement(state, "lrm", {"id": state.get("id", "")})
    rscs = lrm.find("lrm_resources") or ET.SubElement(lrm, "lrm_resources")
    entry = next((r for r in rscs.findall("lrm_resource") if r.get("id") == rid), None)
    if entry is None:
        attrs = {k: v for k, v in prim.attrib.items() if k in ("class", "provider", "type")}
        entry = ET.SubElement(rscs, "lrm_resource", {"id": rid, **attrs})
    calls = [int(o.get("call-id", "0")) for o in root.iter("lrm_rsc_op")]
    call = max(calls, default=0) + 1
    target = 7 if task == "monitor" and interval == "0" else 0
    key = f"{call}:0:{target}:00000000-0000-0000-0000-000000000000"
    ET.SubElement(
        entry,
        "lrm_rsc_op",
        {
            "id": f"{rid}_last_failure_0",
            "operation_key": f"{rid}_{task}_{interval}",
            "operation": task,
            "transition-key": key,
            "transition-magic": f"0:{rc};{key}",
            "call-id": str(call),
            "rc-code": rc,
            "op-status": "0" if int(rc) != target else "0",
            "interval": interval,
            "last-rc-change": "1",
            "exec-time": "0",
            "queue-time": "0",
        },
    )
    transient = state.find("transient_attributes")
    if transient is None:
        transient = ET.SubElement(state, "transient_attributes", {"id": state.get("id", "")})
    attrs = transient.find("instance_attributes")
    if attrs is None:
        attrs = ET.SubElement(transient, "instance_attributes", {"id": f"status-{node}"})
    name = f"fail-count-{rid}#{task}_{interval}"
    pair = next((p for p in attrs.findall("nvpair") if p.get("name") == name), None)
    if pair is None:
        pair = ET.SubElement(attrs, "nvpair", {"id": f"status-{node}-{name}", "name": name})
        pair.set("value", "0")
    value = pair.get("value", "0")
    pair.set("value", "INFINITY" if "INFINITY" in value else str(int(value) + 1))


def inject(text: str, node_fail: Iterable[str], op_fail: Iterable[str], source: str) -> str:
    node_fail, op_fail = list(node_fail), list(op_fail)
    if not node_fail and not op_fail:
        return text
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise UserError(f"{source}: not well-formed XML: {exc}") from None
    for node in node_fail:
        fail_node(root, node, source)
    for spec in op_fail:
        fail_op(root, spec, source)
    return ET.tostring(root, encoding="unicode")


def executing_lines(transition) -> list[str]:
    """Runnable actions as crm_simulate fires them: passes over the graph in action order, each
    action as soon as everything before it has been done."""
    acts = sorted((a for a in transition.actions if a.runnable), key=lambda a: a.id)
    ids = {a.id for a in acts}
    inputs: dict[int, set[int]] = {}
    for before, later in _edges(transition):
        if before in ids and later in ids:
            inputs.setdefault(later, set()).add(before)
    done: set[int] = set()
    out = []
    progress = True
    while progress:
        progress = False
        for a in acts:
            if a.id not in done and inputs.get(a.id, set()) <= done:
                done.add(a.id)
                out.append(_action_line(a))
                progress = True
    return out


def _edges(transition) -> Iterable[tuple[int, int]]:
    for edge in getattr(transition, "edges", None) or getattr(transition, "orderings", ()):
        yield edge[0], edge[1]


def _action_line(a) -> str:
    if a.rsc is None:
        if a.task in ("stonith", "reboot", "off", "fence", "on"):
            kind = "reboot" if a.task in ("stonith", "fence") else a.task
            return f"  * Fencing {a.node} ({kind})"
        return f"  * Cluster action:  {a.task} on {a.node}"
    task = f"{a.task}={a.interval_ms}" if a.interval_ms else a.task
    if a.pseudo:
        return f"  * Pseudo action:   {a.rsc}_{a.task}_{a.interval_ms}"
    return f"  * Resource action: {a.rsc:<15} {task} on {a.node}"


def score_text(score: int) -> str:
    if score >= INFINITY:
        return "INFINITY"
    if score <= -INFINITY:
        return "-INFINITY"
    return str(score)


def score_lines(transition) -> list[str]:
    lines = []
    for rid, table in transition.scores.items():
        for node in sorted(table, key=natural):
            lines.append(
                f"pcmk__primitive_assign: {rid} allocation score on {node}: "
                f"{score_text(table[node])}"
            )
    return lines


# -- --explain ----------------------------------------------------------------------------------
def explain(transition, rid: str) -> list[str]:
    if rid not in transition.scores and rid not in transition.placement:
        known = ", ".join(sorted(transition.placement)[:10])
        raise UserError(f"--explain: no resource {rid!r} (known: {known} ...)")
    scores = transition.scores.get(rid, {})
    current = transition.current.get(rid, ())
    chosen = transition.placement.get(rid)
    out = [f"Why {rid} is {'placed on ' + chosen if chosen else 'not placed anywhere'}:"]
    out.append(f"  now running on: {', '.join(current) if current else 'nowhere'}")
    contributions = transition.explain.get(rid, ())
    if contributions:
        out.append("  what contributed to its scores:")
        for c in contributions:
            where = c.node or "every node"
            sign = "+" if 0 < c.score < INFINITY else ""
            out.append(f"    {where}: {sign}{score_text(c.score)} from {c.source}")
    if scores:
        out.append("  final score per node (highest wins; below 0 means it may not run there):")
        for node in sorted(scores, key=lambda n: (-scores[n], natural(n))):
            mark = "  <- chosen" if node == chosen else ""
            out.append(f"    {node}: {score_text(scores[node])}{mark}")
    if chosen is None:
        if scores and max(scores.values()) >= 0:
            out.append("  it has a node with a score >= 0 but no node there can run it now")
            out.append("  (offline, unclean, standby, maintenance) or it is disabled/blocked.")
        else:
            verb = f"is stopped on {', '.join(current)}" if current else "stays stopped"
            out.append(f"  no node has a score >= 0, so it {verb}.")
    elif current and chosen not in current:
        here, there = scores.get(current[0]), scores.get(chosen)
        if here is not None and here == there:
            out.append(
                f"  {chosen} ties with {current[0]} at {score_text(there)}: ties go to the node"
                " with fewer resources assigned so far, then the current node, then by name."
            )
        else:
            out.append(f"  it moves because {chosen} now scores higher than {current[0]}.")
    elif current:
        out.append("  it stays where it is.")
    return out


# -- output files -------------------------------------------------------------------------------
def graph_xml(transition) -> str:
    """The transition in the shape of Pacemaker's graph: one synapse per runnable action."""
    root = ET.Element(
        "transition_graph",
        {
            "cluster-delay": "60s",
            "stonith-timeout": "60s",
            "failed-stop-offset": "INFINITY",
            "failed-start-offset": "INFINITY",
            "transition_id": "0",
        },
    )
    acts = {a.id: a for a in transition.actions if a.runnable}
    inputs: dict[int, list[int]] = {}
    for before, later in _edges(transition):
        if before in acts and later in acts:
            inputs.setdefault(later, []).append(before)
    for n, a in enumerate(sorted(acts.values(), key=lambda a: a.id)):
        synapse = ET.SubElement(root, "synapse", {"id": str(n)})
        ET.SubElement(ET.SubElement(synapse, "action_set"), *_graph_event(a))
        ins = ET.SubElement(synapse, "inputs")
        for b in inputs.get(a.id, ()):
            ET.SubElement(ET.SubElement(ins, "trigger"), *_graph_event(acts[b]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _graph_event(a) -> tuple[str, dict[str, str]]:
    attrs = {"id": str(a.id), "operation": a.task}
    if a.rsc is None:
        attrs["operation_key"] = f"stonith-{a.node}-{a.task}"
        attrs["on_node"] = a.node or ""
        return "crm_event", attrs
    attrs["operation_key"] = f"{a.rsc}_{a.task}_{a.interval_ms}"
    if a.pseudo:
        return "pseudo_event", attrs
    attrs["on_node"] = a.node or ""
    return "rsc_op", attrs


def dot(transition) -> str:
    def label(a) -> str:
        if a.rsc is None:
            return f"stonith '{a.task}' {a.node}"
        key = f"{a.rsc}_{a.task}_{a.interval_ms}"
        return key if a.pseudo or not a.node else f"{key} {a.node}"

    acts = {a.id: a for a in transition.actions}
    lines = ['digraph "g" {']
    for a in transition.actions:
        color = "green" if a.runnable else "red"
        style = "dashed" if a.pseudo else "bold"
        lines.append(f'"{label(a)}" [ style={style} color="{color}" fontcolor="black"]')
    for before, later in _edges(transition):
        if before in acts and later in acts:
            lines.append(f'"{label(acts[before])}" -> "{label(acts[later])}" [ style = bold]')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror}") from None


# -- the command --------------------------------------------------------------------------------
def _set_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return parse_time(text)


def simulate(args: argparse.Namespace) -> list[str]:
    source = args.cib
    try:
        text = Path(source).read_text()
    except OSError as exc:
        raise UserError(f"{source}: {exc.strerror}") from None
    text = inject(text, args.node_fail, args.op_fail, source)
    cib = parse_cib(text, source)
    now = _set_time(args.set_time)
    try:
        transition = schedule(cib, now or effective_time(cib))
    except Unsupported as exc:
        raise UserError(f"{source}: uses something the scheduler does not do yet: {exc}") from None
    if args.explain:
        return explain(transition, args.explain)
    out = []
    stamp = cib.attribute("execution-date")
    if now is None and stamp and stamp.isdigit():
        when = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        out.append(f"Using the original execution date of: {when}")
    out += status_text.header_lines(transition.resources)
    out += ["Current cluster status:"]
    out += status_text.status_lines(cib, transition.nodes, transition.resources)
    out.append("")
    if args.show_scores:
        out += ["Allocation scores:", *score_lines(transition), ""]
    out += ["Transition Summary:", *format_summary(transition.summary), ""]
    out += ["Executing Cluster Transition:", *executing_lines(transition), ""]
    nodes, resources = status_text.after(transition)
    out += ["Revised Cluster Status:", *status_text.status_lines(cib, nodes, resources)]
    if args.graph:
        _write(args.graph, graph_xml(transition))
    if args.dot:
        _write(args.dot, dot(transition))
    return out


def run(args: argparse.Namespace) -> int:
    print("\n".join(simulate(args)))
    return 0
