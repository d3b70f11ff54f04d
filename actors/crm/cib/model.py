"""The CIB as typed, frozen records: what the scheduler reads.

The source element tree is kept (`Cib.xml`) so that writing back is lossless: a CIB read and
written is the same document, including parts the scheduler does not interpret.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """A rule kept as its element: its meaning depends on the node and the time."""

    element: ET.Element = field(compare=False)
    score: str | None = None
    id: str = ""


@dataclass(frozen=True)
class NvSet:
    """One instance/meta/utilization attribute set, with its optional rule and precedence score."""

    id: str
    values: tuple[tuple[str, str], ...]
    rule: Rule | None = None
    score: int = 0


@dataclass(frozen=True)
class Op:
    name: str
    interval_ms: int
    id: str = ""
    role: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()  # the op's own instance_attributes

    def get(self, key: str, default: str | None = None) -> str | None:
        return dict(self.attrs).get(key, default)


@dataclass(frozen=True)
class Primitive:
    id: str
    klass: str
    provider: str | None
    type: str
    instance: tuple[NvSet, ...] = ()
    meta: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    ops: tuple[Op, ...] = ()
    template: str | None = None

    @property
    def agent(self) -> str:
        if self.provider:
            return f"{self.klass}:{self.provider}:{self.type}"
        return f"{self.klass}:{self.type}"


@dataclass(frozen=True)
class Group:
    id: str
    children: tuple[Primitive, ...]
    meta: tuple[NvSet, ...] = ()


@dataclass(frozen=True)
class Clone:
    id: str
    child: Primitive | Group
    meta: tuple[NvSet, ...] = ()
    promotable: bool = False


@dataclass(frozen=True)
class Bundle:
    id: str
    meta: tuple[NvSet, ...] = ()


Resource = Primitive | Group | Clone | Bundle


@dataclass(frozen=True)
class Node:
    id: str
    uname: str
    type: str = "member"
    attributes: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()


@dataclass(frozen=True)
class ResourceSet:
    id: str
    resources: tuple[str, ...]
    sequential: bool = True
    require_all: bool = True
    role: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class Location:
    id: str
    rsc: str | None
    rsc_pattern: str | None
    node: str | None
    score: str | None
    rules: tuple[Rule, ...] = ()
    role: str | None = None
    sets: tuple[ResourceSet, ...] = ()


@dataclass(frozen=True)
class Colocation:
    id: str
    rsc: str | None
    with_rsc: str | None
    score: str
    rsc_role: str | None = None
    with_rsc_role: str | None = None
    sets: tuple[ResourceSet, ...] = ()
    node_attribute: str | None = None


@dataclass(frozen=True)
class Order:
    id: str
    first: str | None
    then: str | None
    kind: str = "Mandatory"
    first_action: str = "start"
    then_action: str = "start"
    symmetrical: bool | None = None
    score: str | None = None
    sets: tuple[ResourceSet, ...] = ()
    require_all: bool = True  # false: any one instance of a first clone will do


@dataclass(frozen=True)
class Ticket:
    id: str
    ticket: str
    rsc: str | None
    loss_policy: str | None = None
    sets: tuple[ResourceSet, ...] = ()
    rsc_role: str | None = None  # Promoted: the ticket only gates promotion (unless stop)


@dataclass(frozen=True)
class OpRecord:
    """One `lrm_rsc_op`: an operation's last outcome on one node."""

    id: str
    operation: str
    call_id: int
    interval_ms: int
    rc_code: int
    op_status: int
    target_rc: int
    op_digest: str | None = None
    last_rc_change: int | None = None
    exit_reason: str | None = None
    on_node: str | None = None
    migrate_source: str | None = None
    migrate_target: str | None = None
    restart_digest: str | None = None  # digest of the parameters a reload cannot change
    force_restart: str | None = None  # those parameters' names, space separated
    secure_digest: str | None = None  # digest without the private parameters
    secure_params: str | None = None  # the private parameters' names, space separated
    feature_set: str | None = None  # crm_feature_set of the controller that recorded it


@dataclass(frozen=True)
class ResourceHistory:
    id: str
    klass: str | None
    provider: str | None
    type: str | None
    ops: tuple[OpRecord, ...]
    shutdown_lock: int | None = None  # locked to this node since (epoch s) its clean shutdown


@dataclass(frozen=True)
class NodeState:
    id: str
    uname: str | None
    in_ccm: str | None
    crmd: str | None
    join: str | None
    expected: str | None
    attributes: tuple[tuple[str, str], ...] = ()
    history: tuple[ResourceHistory, ...] = ()
    has_lrm: bool = False


@dataclass(frozen=True)
class Cib:
    xml: ET.Element = field(compare=False, repr=False)
    attributes: tuple[tuple[str, str], ...]
    crm_config: tuple[NvSet, ...]
    nodes: tuple[Node, ...]
    resources: tuple[Resource, ...]
    templates: tuple[Primitive, ...]
    locations: tuple[Location, ...]
    colocations: tuple[Colocation, ...]
    orders: tuple[Order, ...]
    tickets: tuple[Ticket, ...]
    rsc_defaults: tuple[NvSet, ...]
    op_defaults: tuple[NvSet, ...]
    fencing_levels: tuple[tuple[tuple[str, str], ...], ...]
    node_states: tuple[NodeState, ...]
    ticket_states: tuple[tuple[tuple[str, str], ...], ...] = ()
    tags: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def attribute(self, name: str, default: str | None = None) -> str | None:
        return dict(self.attributes).get(name, default)
