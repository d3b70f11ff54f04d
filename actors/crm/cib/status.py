"""The CIB's status section, rebuilt from what the cluster knows now (never read from disk).

The DC keeps, per node, the LRM's operation history (`actors.crm.lrm.history`), the operations
asked for and not yet answered, the node's membership state and its transient attributes, and
writes them as Pacemaker does: `node_state` (in_ccm, crmd, join, expected), `lrm_resources` with
one `lrm_rsc_op` per remembered operation, `transient_attributes` (fail-count-RSC#OP_INTERVAL,
last-failure-RSC#OP_INTERVAL, standby, shutdown, ...). The scheduler reads it back through
`parse_cib`, so what is written here is exactly what it decides on.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec, Standard
from actors.crm.lrm.history import OpRecord, ResourceHistory, kept

PENDING_RC = 193  # Pacemaker's PCMK_OCF_UNKNOWN: the result is not known yet


def pacemaker_op_status(status: ExecStatus) -> int:
    """Pacemaker's op-status number (PCMK_EXEC_DONE is 0, PENDING -1): ours is one higher."""
    return int(status) - 1


@dataclass(frozen=True)
class PendingOp:
    """An operation handed to a node's LRM whose result has not come back yet: a pending start
    counts as started, so a new DC never starts the resource a second time elsewhere."""

    rsc_id: str
    spec: AgentSpec
    action: str
    interval_ms: int
    expected_rc: int = 0


@dataclass(frozen=True)
class NodeStatus:
    """One node as the DC sees it."""

    id: str
    uname: str
    in_ccm: bool
    crmd: bool
    join: str  # member, pending, down
    expected: str  # member, down
    resources: tuple[ResourceHistory, ...] = ()
    pending: tuple[PendingOp, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


def apply_record(histories: MutableMapping[str, ResourceHistory], record: OpRecord) -> None:
    """Fold one reported result into a node's histories as its LRM did: recurring ops by key
    (dropped when cancelled), the rest as the last op, failures also as the last failure.
    Notifications are not recorded (as with Pacemaker: they say nothing of the resource)."""
    if not kept(record.action):
        return
    old = histories.get(record.rsc_id)
    if old is None:
        hist = ResourceHistory(record.rsc_id, record.spec)
    else:  # a copy: histories travel in messages and may be shared in-process
        hist = replace(old, recurring=dict(old.recurring))
    histories[record.rsc_id] = hist
    key = (record.action, record.interval_ms)
    if record.status is ExecStatus.CANCELLED:
        hist.recurring.pop(key, None)
        return
    if record.interval_ms:
        hist.recurring[key] = record
    else:
        hist.last = record
        if record.action == "stop" and record.rc is OcfResult.OCF_SUCCESS:
            hist.recurring.clear()  # the LRM cancels recurring ops before a stop
    if record.failed:
        hist.last_failure = record


def is_failure(record: OpRecord) -> bool:
    """Counts toward fail-count: not a cancellation, not a monitor whose executor went away
    before it answered (it says nothing of the resource, which is monitored again), and not a
    probe that merely found the resource stopped or running (that is news, not a failure)."""
    if record.status is ExecStatus.CANCELLED or not record.failed or not kept(record.action):
        return False
    if record.status is ExecStatus.NOT_CONNECTED and record.action == "monitor":
        return False
    probe = record.action == "monitor" and record.interval_ms == 0
    return not (
        probe
        and record.status is ExecStatus.DONE
        and record.rc
        in (OcfResult.OCF_SUCCESS, OcfResult.OCF_NOT_RUNNING, OcfResult.OCF_RUNNING_PROMOTED)
    )


def _key(expected_rc: int) -> str:
    return f"0:0:{expected_rc}:ringleader"


def _op_element(parent: ET.Element, record_id: str, record: OpRecord, node: str) -> None:
    attrs = record.lrm_rsc_op_attrs(record_id)
    status = pacemaker_op_status(record.status)
    key = _key(int(record.expected_rc))
    attrs.update(
        {
            "op-status": str(status),
            "transition-key": key,
            "transition-magic": f"{status}:{int(record.rc)};{key}",
            "on_node": node,
        }
    )
    ET.SubElement(parent, "lrm_rsc_op", attrs)


def _resource_element(parent: ET.Element, rsc_id: str, spec: AgentSpec) -> ET.Element:
    attrs = {"id": rsc_id, "class": str(spec.standard), "type": spec.type}
    if spec.standard is Standard.OCF:
        attrs["provider"] = spec.provider
    return ET.SubElement(parent, "lrm_resource", attrs)


def node_state_element(node: NodeStatus) -> ET.Element:
    state = ET.Element(
        "node_state",
        {
            "id": node.id,
            "uname": node.uname,
            "in_ccm": "true" if node.in_ccm else "false",
            "crmd": "online" if node.crmd else "offline",
            "join": node.join,
            "expected": node.expected,
        },
    )
    if node.attributes:
        transient = ET.SubElement(state, "transient_attributes", {"id": node.id})
        attrs = ET.SubElement(transient, "instance_attributes", {"id": f"status-{node.id}"})
        for name, value in sorted(node.attributes.items()):
            pair = {"id": f"status-{node.id}-{name}", "name": name, "value": value}
            ET.SubElement(attrs, "nvpair", pair)
    lrm = ET.SubElement(state, "lrm", {"id": node.id})
    rscs = ET.SubElement(lrm, "lrm_resources")
    entries: dict[str, ET.Element] = {}
    for hist in sorted(node.resources, key=lambda h: h.rsc_id):
        records = hist.records()
        if not records:
            continue
        entry = entries[hist.rsc_id] = _resource_element(rscs, hist.rsc_id, hist.spec)
        for record_id, record in records:
            _op_element(entry, record_id, record, node.uname)
    for n, op in enumerate(node.pending):
        entry = entries.get(op.rsc_id)
        if entry is None:
            entry = entries[op.rsc_id] = _resource_element(rscs, op.rsc_id, op.spec)
        key = _key(op.expected_rc)
        ET.SubElement(
            entry,
            "lrm_rsc_op",
            {
                "id": f"{op.rsc_id}_pending_{n}",
                "operation_key": f"{op.rsc_id}_{op.action}_{op.interval_ms}",
                "operation": op.action,
                "call-id": "-1",
                "rc-code": str(PENDING_RC),
                "op-status": "-1",
                "interval": str(op.interval_ms),
                "transition-key": key,
                "transition-magic": f"-1:{PENDING_RC};{key}",
                "on_node": node.uname,
            },
        )
    return state


def status_element(nodes: Iterable[NodeStatus]) -> ET.Element:
    status = ET.Element("status")
    for node in nodes:
        status.append(node_state_element(node))
    return status


def ensure_nodes(root: ET.Element, cluster_nodes: Mapping[str, int]) -> None:
    """Add a `<node>` entry for every cluster node the configuration does not list yet (as
    Pacemaker's controller records nodes when they join): standby and the like live there."""
    configuration = root.find("configuration")
    if configuration is None:
        configuration = ET.SubElement(root, "configuration")
    section = configuration.find("nodes")
    if section is None:
        section = ET.SubElement(configuration, "nodes")
    known = {n.get("uname") for n in section.findall("node")}
    known |= {n.get("id") for n in section.findall("node")}
    for name, nid in sorted(cluster_nodes.items(), key=lambda kv: kv[1]):
        if name not in known and str(nid) not in known:
            ET.SubElement(section, "node", {"id": str(nid), "uname": name})


def cib_with_status(
    config_xml: str,
    nodes: Iterable[NodeStatus],
    have_quorum: bool,
    dc_uuid: str | None = None,
    cluster_nodes: Mapping[str, int] | None = None,
) -> str:
    """The configuration's CIB with this status section and the DC's view of quorum (what the
    scheduler's no-quorum-policy reads); `cluster_nodes` (name -> id) are added to the
    configuration's nodes when missing."""
    root = ET.fromstring(config_xml)
    if cluster_nodes:
        ensure_nodes(root, cluster_nodes)
    for old in root.findall("status"):
        root.remove(old)
    root.append(status_element(nodes))
    root.set("have-quorum", "1" if have_quorum else "0")
    if dc_uuid is not None:
        root.set("dc-uuid", dc_uuid)
    return ET.tostring(root, encoding="unicode")
