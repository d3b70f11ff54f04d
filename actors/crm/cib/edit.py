"""The operator's edits of the CIB configuration, as pure functions on its XML (what pcs does).

Each edit is a frozen dataclass; `apply_change(xml, change)` returns the edited document and a
report of what it did, in words (`resource move` prints the constraint it made, `resource clear`
what it removed), or raises `CibError` naming the element. Every result is validated whole with
`parse_cib`, so an edit never leaves a CIB the scheduler would refuse.

Edits are deterministic (no clock, no host lookups: a `--lifetime` arrives as an absolute end
date), because every replica re-applies an edit that was based on an older version (see
`actors.crm.cib.replication`). Ids are derived as pcs and crm_resource derive them
(`location-RSC-NODE-SCORE`, `cli-prefer-RSC`, `RSC-monitor-interval-60s`, ...).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from actors.crm.cib.parse import CibError, parse_cib
from actors.crm.cib.schema import CHILDREN
from actors.crm.scheduler.options import CLUSTER_DEFAULTS

EMPTY_CIB = (
    '<cib admin_epoch="0" epoch="0" num_updates="0" validate-with="pacemaker-3.9">'
    "<configuration><crm_config/><nodes/><resources/><constraints/></configuration>"
    "<status/></cib>"
)
"""A cluster's configuration before anyone configured anything (version 0.0.0)."""

CONTROLLER_OPTIONS = frozenset(
    {
        "batch-limit",
        "cluster-delay",
        "cluster-infrastructure",
        "cluster-ipc-limit",
        "cluster-name",
        "cluster-recheck-interval",
        "dc-deadtime",
        "dc-version",
        "election-timeout",
        "enable-acl",
        "enable-startup-probes",
        "fence-reaction",
        "have-watchdog",
        "join-finalization-timeout",
        "join-integration-timeout",
        "load-threshold",
        "migration-limit",
        "node-action-limit",
        "node-pending-timeout",
        "pe-error-series-max",
        "pe-input-series-max",
        "pe-warn-series-max",
        "priority-fencing-delay",
        "shutdown-escalation",
        "shutdown-lock-limit",
        "stonith-max-attempts",
        "stonith-timeout",
        "stonith-watchdog-timeout",
        "transition-delay",
    }
)
"""Pacemaker cluster options the scheduler does not read (the controller and fencer do)."""
KNOWN_PROPERTIES = frozenset(CLUSTER_DEFAULTS) | CONTROLLER_OPTIONS
_BOOLEAN_PROPERTIES = frozenset(
    k for k, v in CLUSTER_DEFAULTS.items() if v in ("true", "false")
) | {"enable-startup-probes", "enable-acl", "have-watchdog"}
_CHOICES = {
    "no-quorum-policy": ("stop", "freeze", "ignore", "demote", "suicide"),
    "placement-strategy": ("default", "utilization", "minimal", "balanced"),
    "stonith-action": ("reboot", "off", "poweroff"),
    "node-health-strategy": ("none", "migrate-on-red", "only-green", "progressive", "custom"),
    "fence-reaction": ("stop", "panic"),
}
_BOOLEANS = ("true", "false", "yes", "no", "on", "off", "1", "0", "y", "n")
_ACTIONS = ("start", "stop", "promote", "demote")
_KINDS = ("Mandatory", "Optional", "Serialize")
DEFAULT_MONITOR_INTERVAL = "60s"
"""pcs's monitor interval when the agent's meta-data recommends none."""

Pairs = tuple[tuple[str, str], ...]


# ---- the edits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplaceConfiguration:
    """`config load`: a whole CIB replaces the configuration (its status section is ignored)."""

    xml: str
    source: str = "<cib>"


@dataclass(frozen=True)
class OpSpec:
    """One `--op ACTION key=value ...` of `resource create`."""

    action: str
    attrs: Pairs = ()


@dataclass(frozen=True)
class CreatePrimitive:
    """`resource create NAME CLASS:PROVIDER:TYPE params [--op] [--meta] [--group G] [--clone |
    --promotable]`. No ops: a monitor op at `monitor_interval` (what the agent recommends, else
    60s). `promotable`: the clone is promotable (implies `clone`)."""

    id: str
    agent: str
    params: Pairs = ()
    ops: tuple[OpSpec, ...] = ()
    meta: Pairs = ()
    group: str | None = None
    clone: bool = False
    monitor_interval: str = DEFAULT_MONITOR_INTERVAL
    monitor_timeout: str | None = None
    promotable: bool = False


@dataclass(frozen=True)
class DeleteResource:
    """`resource delete RSC`: the resource and every constraint that names it."""

    id: str


@dataclass(frozen=True)
class MoveResource:
    """`resource move RSC NODE [--lifetime]`: `cli-prefer-RSC`, INFINITY on NODE (until `until`,
    an ISO 8601 date, when given)."""

    id: str
    node: str
    until: str | None = None


@dataclass(frozen=True)
class BanResource:
    """`resource ban RSC NODE [--lifetime]`: `cli-ban-RSC-on-NODE`, -INFINITY on NODE."""

    id: str
    node: str
    until: str | None = None


@dataclass(frozen=True)
class ClearResource:
    """`resource clear RSC [NODE]`: removes exactly the cli-prefer/cli-ban constraints of RSC
    (only those about NODE when given), nothing else."""

    id: str
    node: str | None = None


@dataclass(frozen=True)
class SetTargetRole:
    """`resource enable|disable RSC`: enable removes the target-role meta attribute, disable
    sets it to Stopped."""

    id: str
    enabled: bool


@dataclass(frozen=True)
class AddLocation:
    rsc: str
    node: str
    score: str = "INFINITY"


@dataclass(frozen=True)
class AddColocation:
    rsc: str
    with_rsc: str
    score: str = "INFINITY"


@dataclass(frozen=True)
class AddOrder:
    first: str
    then: str
    first_action: str = "start"
    then_action: str = "start"
    kind: str = "Mandatory"


@dataclass(frozen=True)
class RemoveConstraint:
    """Remove constraint `id`; `tag` (rsc_location, ...) when the command named a type."""

    id: str
    tag: str | None = None


@dataclass(frozen=True)
class SetProperty:
    """`property set NAME=VALUE` (a cluster option in cib-bootstrap-options); None unsets."""

    name: str
    value: str | None


@dataclass(frozen=True)
class SetNodeStandby:
    """`node standby|unstandby NODE`: standby=on in the node's instance attributes (the node
    entry is created with `node_id` if the nodes section lacks it)."""

    node: str
    node_id: int
    standby: bool


Change = (
    ReplaceConfiguration
    | CreatePrimitive
    | DeleteResource
    | MoveResource
    | BanResource
    | ClearResource
    | SetTargetRole
    | AddLocation
    | AddColocation
    | AddOrder
    | RemoveConstraint
    | SetProperty
    | SetNodeStandby
)


@dataclass(frozen=True)
class EditResult:
    xml: str
    report: tuple[str, ...]


# ---- applying ------------------------------------------------------------------------------


def apply_change(xml: str, change: Change) -> EditResult:
    """`change` applied to the CIB `xml`: validated whole, in the normal form (`normalize`)."""
    if isinstance(change, ReplaceConfiguration):
        root = _parse(change.xml, change.source)
        report = ["configuration replaced"]
    else:
        root = _parse(xml, "<cib>")
        handler = _HANDLERS.get(type(change))
        if handler is None:
            raise CibError(f"unknown change {type(change).__name__}")
        report = handler(root, change)
    text = _serialize(root)
    parse_cib(text, _source(change))
    return EditResult(text, tuple(report))


def normalize(xml: str, source: str = "<cib>") -> str:
    """The form the CIB service keeps: validated, status section empty, indented. An edit that
    changes nothing returns its input unchanged only from this form."""
    return _serialize(_parse(xml, source))


def _serialize(root: ET.Element) -> str:
    for status in root.findall("status"):
        root.remove(status)
    ET.SubElement(root, "status")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode")


def _source(change: Change) -> str:
    return change.source if isinstance(change, ReplaceConfiguration) else "<cib>"


def _parse(xml: str, source: str) -> ET.Element:
    parse_cib(xml, source)  # refuse it whole, with the path, before touching anything
    return ET.fromstring(xml)


# ---- helpers ---------------------------------------------------------------------------------

_RESOURCE_TAGS = ("primitive", "group", "clone", "master", "bundle")


def _conf(root: ET.Element) -> ET.Element:
    conf = root.find("configuration")
    assert conf is not None  # parse_cib checked
    return conf


def _section(parent: ET.Element, tag: str) -> ET.Element:
    """`parent`'s child `tag`, created in the schema's order when missing."""
    found = parent.find(tag)
    if found is not None:
        return found
    order = CHILDREN.get(parent.tag, ())
    rank = order.index(tag) if tag in order else len(order)
    index = len(parent)
    for i, child in enumerate(parent):
        if child.tag in order and order.index(child.tag) > rank:
            index = i
            break
    el = ET.Element(tag)
    parent.insert(index, el)
    return el


def _used_ids(root: ET.Element) -> dict[str, str]:
    return {el.get("id", ""): el.tag for el in root.iter() if el.get("id")}


def _check_new_id(root: ET.Element, ident: str, what: str) -> None:
    if not ident or any(c.isspace() for c in ident) or ":" in ident:
        raise CibError(f"{what} '{ident}': not a usable id")
    tag = _used_ids(root).get(ident)
    if tag is not None:
        raise CibError(f"{what} '{ident}': the id is already used by a <{tag}>")


def _parents(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _resource(root: ET.Element, ident: str) -> ET.Element:
    for el in _conf(root).iter():
        if el.tag in _RESOURCE_TAGS and el.get("id") == ident:
            return el
    raise CibError(f"resource '{ident}': no such resource in /cib/configuration/resources")


def _nvpairs(parent: ET.Element, tag: str, set_id: str, pairs: Pairs, owner: str) -> None:
    """Set `pairs` in `parent`'s first `tag` set (created as `set_id`); nvpair ids
    `OWNER-TAG-NAME` as pcs makes them."""
    if not pairs:
        return
    nvset = parent.find(tag)
    if nvset is None:
        nvset = ET.Element(tag, id=set_id)
        parent.insert(_child_index(parent, tag), nvset)
    for name, value in pairs:
        _set_nvpair(nvset, name, value, f"{owner}-{tag}-{name}")


def _child_index(parent: ET.Element, tag: str) -> int:
    order = CHILDREN.get(parent.tag, ())
    rank = order.index(tag) if tag in order else len(order)
    for i, child in enumerate(parent):
        if child.tag in order and order.index(child.tag) > rank:
            return i
    return len(parent)


def _set_nvpair(nvset: ET.Element, name: str, value: str | None, ident: str) -> bool:
    """Set (None: remove) one nvpair; True when something changed."""
    for nv in nvset.findall("nvpair"):
        if nv.get("name") == name:
            if value is None:
                nvset.remove(nv)
                return True
            changed = nv.get("value") != value
            nv.set("value", value)
            return changed
    if value is None:
        return False
    ET.SubElement(nvset, "nvpair", id=ident, name=name, value=value)
    return True


def _pairs(pairs: Pairs, what: str) -> None:
    names = [k for k, _ in pairs]
    for k in names:
        if not k or any(c.isspace() for c in k):
            raise CibError(f"{what}: '{k}' is not a usable attribute name")
    dup = sorted({k for k in names if names.count(k) > 1})
    if dup:
        raise CibError(f"{what}: {', '.join(dup)} given more than once")


def _score(text: str, what: str) -> str:
    t = text.strip()
    if t.upper().lstrip("+-") == "INFINITY":
        return ("-" if t.startswith("-") else "") + "INFINITY"
    try:
        int(t)
    except ValueError:
        raise CibError(f"{what}: score '{text}' is not a number or INFINITY") from None
    return t


def _constraints(root: ET.Element) -> ET.Element:
    return _section(_conf(root), "constraints")


def describe_constraint(el: ET.Element) -> str:
    """`ID: what it says` for a constraint element (used by the list commands too)."""
    ident = el.get("id")
    if el.tag == "rsc_location":
        rules = el.findall("rule")
        if rules:
            rule = rules[0]
            node = cli_node(el) or "?"
            until = next((d.get("end") for d in rule.findall("date_expression")), None)
            tail = f" until {until}" if until else " (rule)"
            return f"{ident}: {el.get('rsc')} on {node} score {rule.get('score')}{tail}"
        return f"{ident}: {el.get('rsc')} on {el.get('node')} score {el.get('score')}"
    if el.tag == "rsc_colocation":
        return f"{ident}: {el.get('rsc')} with {el.get('with-rsc')} score {el.get('score')}"
    if el.tag == "rsc_order":
        first_action = el.get("first-action", "start")
        then_action = el.get("then-action", first_action)
        kind = el.get("kind", "Mandatory")
        return (
            f"{ident}: {first_action} {el.get('first')} then {then_action} {el.get('then')} "
            f"({kind})"
        )
    return f"{ident}: <{el.tag}>"


# ---- handlers ----------------------------------------------------------------------------------


def _create(root: ET.Element, c: CreatePrimitive) -> list[str]:
    parts = c.agent.split(":")
    if len(parts) == 3:
        klass, provider, typ = parts
    elif len(parts) == 2:
        (klass, typ), provider = parts, None
    else:
        raise CibError(f"resource '{c.id}': agent '{c.agent}' is not CLASS:PROVIDER:TYPE")
    if klass == "ocf" and not provider:
        raise CibError(f"resource '{c.id}': an ocf agent needs a provider (ocf:PROVIDER:TYPE)")
    if c.group and (c.clone or c.promotable):
        kind = "--promotable" if c.promotable else "--clone"
        raise CibError(f"resource '{c.id}': --group and {kind} do not go together")
    _check_new_id(root, c.id, "resource")
    _pairs(c.params, f"resource '{c.id}' parameters")
    _pairs(c.meta, f"resource '{c.id}' meta attributes")
    attrs = {"id": c.id, "class": klass}
    if provider:
        attrs["provider"] = provider
    attrs["type"] = typ
    prim = ET.Element("primitive", attrs)
    _nvpairs(prim, "instance_attributes", f"{c.id}-instance_attributes", c.params, c.id)
    _nvpairs(prim, "meta_attributes", f"{c.id}-meta_attributes", c.meta, c.id)
    ops = c.ops or (
        OpSpec(
            "monitor",
            (("interval", c.monitor_interval),)
            + ((("timeout", c.monitor_timeout),) if c.monitor_timeout else ()),
        ),
    )
    operations = ET.SubElement(prim, "operations")
    seen: set[str] = set()
    for op in ops:
        _pairs(op.attrs, f"resource '{c.id}' op {op.action}")
        values = dict(op.attrs)
        interval = values.pop("interval", "0s")
        op_id = values.pop("id", None) or f"{c.id}-{op.action}-interval-{interval}"
        if op_id in seen:
            raise CibError(f"resource '{c.id}': op {op.action} interval={interval} given twice")
        seen.add(op_id)
        _check_new_id(root, op_id, f"resource '{c.id}' op")
        ET.SubElement(
            operations, "op", {"id": op_id, "name": op.action, "interval": interval, **values}
        )
    resources = _section(_conf(root), "resources")
    report = [f"created resource {c.id} ({c.agent})"]
    if c.group:
        group = next(
            (g for g in _conf(root).iter("group") if g.get("id") == c.group),
            None,
        )
        if group is None:
            _check_new_id(root, c.group, "group")
            group = ET.SubElement(resources, "group", id=c.group)
            report.append(f"created group {c.group}")
        group.append(prim)
        report[0] += f" in group {c.group}"
    elif c.clone or c.promotable:
        clone_id = f"{c.id}-clone"
        _check_new_id(root, clone_id, "clone")
        clone = ET.SubElement(resources, "clone", id=clone_id)
        if c.promotable:
            flag = (("promotable", "true"),)
            _nvpairs(clone, "meta_attributes", f"{clone_id}-meta_attributes", flag, clone_id)
        clone.append(prim)
        report[0] += f" as {'promotable ' if c.promotable else ''}clone {clone_id}"
    else:
        resources.append(prim)
    return report


def _delete(root: ET.Element, c: DeleteResource) -> list[str]:
    el = _resource(root, c.id)
    parents = _parents(root)
    target = el
    parent = parents[target]
    # A primitive alone in its group or clone takes the wrapper with it, as pcs does.
    while parent.tag in ("group", "clone", "master") and (
        parent.tag != "group" or len(parent.findall("primitive")) == 1
    ):
        target, parent = parent, parents[parent]
    gone = {e.get("id") for e in target.iter() if e.tag in _RESOURCE_TAGS}
    report = [f"deleted resource {c.id}"]
    if target is not el:
        report[0] += f" (and {target.tag} {target.get('id')}, now empty)"
    parent.remove(target)
    report += _drop_references(root, gone)
    return report


def _drop_references(root: ET.Element, gone: set[str | None]) -> list[str]:
    report = []
    constraints = _conf(root).find("constraints")
    if constraints is None:
        return report
    for con in list(constraints):
        direct = {con.get(a) for a in ("rsc", "with-rsc", "first", "then")} - {None}
        if direct & gone:
            constraints.remove(con)
            report.append(f"removed constraint {describe_constraint(con)}")
            continue
        had_sets = bool(con.findall("resource_set"))
        for rs in list(con.findall("resource_set")):
            for ref in list(rs.findall("resource_ref")):
                if ref.get("id") in gone:
                    rs.remove(ref)
            if not rs.findall("resource_ref"):
                con.remove(rs)
        if had_sets and not con.findall("resource_set") and not direct:
            constraints.remove(con)
            report.append(f"removed constraint {con.get('id')} (its sets are empty)")
    tags = _conf(root).find("tags")
    for tag in tags.findall("tag") if tags is not None else ():
        for ref in list(tag.findall("obj_ref")):
            if ref.get("id") in gone:
                tag.remove(ref)
    return report


def _cli_location(
    root: ET.Element, ident: str, rsc: str, node: str, score: str, until: str | None, verb: str
) -> list[str]:
    _resource(root, rsc)
    constraints = _constraints(root)
    report = []
    for old in constraints.findall("rsc_location"):
        if old.get("id") == ident:
            constraints.remove(old)
            report.append(f"replaced {describe_constraint(old)}")
    _check_new_id(root, ident, "constraint")
    if until is None:
        con = ET.SubElement(
            constraints, "rsc_location", id=ident, rsc=rsc, role="Started", node=node, score=score
        )
    else:
        con = ET.SubElement(constraints, "rsc_location", id=ident, rsc=rsc, role="Started")
        rule = ET.SubElement(con, "rule", {"id": f"{ident}-rule", "score": score})
        rule.set("boolean-op", "and")
        ET.SubElement(
            rule,
            "expression",
            id=f"{ident}-expr",
            attribute="#uname",
            operation="eq",
            value=node,
            type="string",
        )
        ET.SubElement(rule, "date_expression", id=f"{ident}-lifetime", operation="lt", end=until)
    report.append(f"created {describe_constraint(con)}")
    if verb == "move":
        report.append(f"run `ringleader resource clear {rsc}` to remove it")
    return report


def _move(root: ET.Element, c: MoveResource) -> list[str]:
    return _cli_location(root, f"cli-prefer-{c.id}", c.id, c.node, "INFINITY", c.until, "move")


def _ban(root: ET.Element, c: BanResource) -> list[str]:
    ident = f"cli-ban-{c.id}-on-{c.node}"
    return _cli_location(root, ident, c.id, c.node, "-INFINITY", c.until, "ban")


def cli_node(el: ET.Element) -> str | None:
    """The node a cli-prefer/cli-ban constraint is about."""
    if el.get("node"):
        return el.get("node")
    for expr in el.iter("expression"):
        if expr.get("attribute") == "#uname":
            return expr.get("value")
    return None


def _clear(root: ET.Element, c: ClearResource) -> list[str]:
    _resource(root, c.id)
    constraints = _conf(root).find("constraints")
    report = []
    prefer, ban = f"cli-prefer-{c.id}", f"cli-ban-{c.id}-on-"
    for con in list(constraints) if constraints is not None else ():
        ident = con.get("id", "")
        if con.tag != "rsc_location" or con.get("rsc") != c.id:
            continue
        if ident != prefer and not ident.startswith(ban):
            continue
        if c.node is not None and cli_node(con) != c.node:
            continue
        constraints.remove(con)
        report.append(f"removed {describe_constraint(con)}")
    return report or [f"no move or ban constraints of {c.id} to remove"]


def _target_role(root: ET.Element, c: SetTargetRole) -> list[str]:
    el = _resource(root, c.id)
    if c.enabled:
        changed = False
        for meta in el.findall("meta_attributes"):
            changed |= _set_nvpair(meta, "target-role", None, "")
            if not len(meta):
                el.remove(meta)
        return [f"enabled {c.id}" if changed else f"{c.id} was not disabled"]
    meta = el.find("meta_attributes")
    if meta is None:
        meta = ET.Element("meta_attributes", id=f"{c.id}-meta_attributes")
        el.insert(_child_index(el, "meta_attributes"), meta)
    _set_nvpair(meta, "target-role", "Stopped", f"{c.id}-meta_attributes-target-role")
    return [f"disabled {c.id} (target-role=Stopped)"]


def _add_location(root: ET.Element, c: AddLocation) -> list[str]:
    _resource(root, c.rsc)
    score = _score(c.score, f"location {c.rsc} {c.node}")
    ident = f"location-{c.rsc}-{c.node}-{score}"
    _check_new_id(root, ident, "constraint")
    con = ET.SubElement(
        _constraints(root), "rsc_location", id=ident, rsc=c.rsc, node=c.node, score=score
    )
    return [f"created {describe_constraint(con)}"]


def _add_colocation(root: ET.Element, c: AddColocation) -> list[str]:
    _resource(root, c.rsc)
    _resource(root, c.with_rsc)
    if c.rsc == c.with_rsc:
        raise CibError(f"colocation {c.rsc} with {c.with_rsc}: a resource with itself")
    score = _score(c.score, f"colocation {c.rsc} {c.with_rsc}")
    ident = f"colocation-{c.rsc}-{c.with_rsc}-{score}"
    _check_new_id(root, ident, "constraint")
    con = ET.SubElement(_constraints(root), "rsc_colocation", id=ident, score=score)
    con.set("rsc", c.rsc)
    con.set("with-rsc", c.with_rsc)
    return [f"created {describe_constraint(con)}"]


def _add_order(root: ET.Element, c: AddOrder) -> list[str]:
    _resource(root, c.first)
    _resource(root, c.then)
    what = f"order {c.first} then {c.then}"
    if c.first == c.then:
        raise CibError(f"{what}: a resource before itself")
    for action in (c.first_action, c.then_action):
        if action not in _ACTIONS:
            raise CibError(f"{what}: action '{action}' is not one of {', '.join(_ACTIONS)}")
    if c.kind not in _KINDS:
        raise CibError(f"{what}: kind '{c.kind}' is not one of {', '.join(_KINDS)}")
    ident = f"order-{c.first}-{c.then}-{c.kind.lower()}"
    _check_new_id(root, ident, "constraint")
    con = ET.SubElement(_constraints(root), "rsc_order", id=ident, first=c.first, then=c.then)
    con.set("first-action", c.first_action)
    con.set("then-action", c.then_action)
    con.set("kind", c.kind)
    return [f"created {describe_constraint(con)}"]


def _remove_constraint(root: ET.Element, c: RemoveConstraint) -> list[str]:
    constraints = _conf(root).find("constraints")
    for con in list(constraints) if constraints is not None else ():
        if con.get("id") == c.id:
            if c.tag is not None and con.tag != c.tag:
                raise CibError(f"constraint '{c.id}': is a <{con.tag}>, not a <{c.tag}>")
            constraints.remove(con)
            return [f"removed {describe_constraint(con)}"]
    raise CibError(f"constraint '{c.id}': no such constraint in /cib/configuration/constraints")


def check_property(name: str, value: str | None) -> None:
    """Refuse an unknown cluster option or an impossible value, naming it."""
    if name not in KNOWN_PROPERTIES:
        known = ", ".join(sorted(KNOWN_PROPERTIES))
        raise CibError(f"property '{name}': not a cluster option (known: {known})")
    if value is None:
        return
    if name in _BOOLEAN_PROPERTIES and value.lower() not in _BOOLEANS:
        raise CibError(f"property '{name}': '{value}' is not a boolean (true or false)")
    choices = _CHOICES.get(name)
    if choices and value not in choices:
        raise CibError(f"property '{name}': '{value}' is not one of {', '.join(choices)}")


def _property(root: ET.Element, c: SetProperty) -> list[str]:
    check_property(c.name, c.value)
    crm_config = _section(_conf(root), "crm_config")
    props = next(
        (s for s in crm_config.findall("cluster_property_set") if s.get("id") == BOOTSTRAP),
        None,
    )
    if props is None:
        if c.value is None:
            return [f"{c.name} was not set"]
        props = ET.Element("cluster_property_set", id=BOOTSTRAP)
        crm_config.insert(0, props)
    changed = _set_nvpair(props, c.name, c.value, f"{BOOTSTRAP}-{c.name}")
    if c.value is None:
        return [f"unset {c.name}" if changed else f"{c.name} was not set"]
    return [f"set {c.name}={c.value}"]


BOOTSTRAP = "cib-bootstrap-options"


def _standby(root: ET.Element, c: SetNodeStandby) -> list[str]:
    nodes = _section(_conf(root), "nodes")
    node = next((n for n in nodes.findall("node") if n.get("uname") == c.node), None)
    if node is None:
        ident = str(c.node_id)
        _check_new_id(root, ident, f"node {c.node}")
        node = ET.SubElement(nodes, "node", id=ident, uname=c.node)
    ident = node.get("id", "")
    attrs = node.find("instance_attributes")
    if attrs is None:
        attrs = ET.Element("instance_attributes", id=f"nodes-{ident}")
        node.insert(0, attrs)
    if c.standby:
        _set_nvpair(attrs, "standby", "on", f"nodes-{ident}-standby")
        return [f"node {c.node}: standby"]
    _set_nvpair(attrs, "standby", None, "")
    if not len(attrs):
        node.remove(attrs)
    return [f"node {c.node}: not in standby"]


_HANDLERS = {
    CreatePrimitive: _create,
    DeleteResource: _delete,
    MoveResource: _move,
    BanResource: _ban,
    ClearResource: _clear,
    SetTargetRole: _target_role,
    AddLocation: _add_location,
    AddColocation: _add_colocation,
    AddOrder: _add_order,
    RemoveConstraint: _remove_constraint,
    SetProperty: _property,
    SetNodeStandby: _standby,
}
