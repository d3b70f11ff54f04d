"""The service cores one executive hosts, and which of them a delivered payload is for."""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.ais.ckpt.core import CkptCore
from actors.ais.clm.core import ClmCore
from actors.ais.cpg.core import CpgCore
from actors.ais.evs import NodeId
from actors.ais.evt.core import EvtCore
from actors.ais.lck.core import LckCore
from actors.ais.msg.core import MsgCore
from actors.ais.quorum.config import QuorumConfig
from actors.ais.quorum.core import QuorumCore
from actors.ais.totem.config import TotemConfig

SERVICES = ("cpg", "clm", "quorum", "ckpt", "evt", "msg", "lck")

CPG_FLOW_CONTROL = 4096
"""In-flight CPG operations per node before mcast answers TRY_AGAIN. corosync's limit is in
bytes of a ring buffer; a count this size keeps the ring busy at full rate on loopback."""


@dataclass(frozen=True)
class ExecutiveSettings:
    """Everything the executive needs from the node configuration (picklable, for spawn)."""

    node_id: NodeId
    node_name: str
    address: str
    names: dict[NodeId, str]
    state_dir: str
    totem: TotemConfig = field(default_factory=TotemConfig)
    quorum: QuorumConfig | None = None


def build_services(settings: ExecutiveSettings, boot: float) -> dict[str, object]:
    node = settings.node_id
    quorum = settings.quorum or QuorumConfig(nodes=dict.fromkeys(settings.names, 1))
    return {
        "cpg": CpgCore(node, flow_control_limit=CPG_FLOW_CONTROL),
        "clm": ClmCore(node, settings.node_name, settings.address, boot),
        "quorum": QuorumCore(node, quorum),
        "ckpt": CkptCore(node),
        "evt": EvtCore(node),
        "msg": MsgCore(node),
        "lck": LckCore(node),
    }


class DeliveryRouter:
    """Which cores a delivered payload concerns: every core ignores payloads not its own, so
    skipping those cores changes nothing but saves a call per core on the hot path."""

    def __init__(self, services: dict[str, object]) -> None:
        self._services = services
        self._all = tuple(services.values())
        self._by_type: dict[type, tuple] = {}

    def cores_for(self, payload: object) -> tuple:
        service = getattr(payload, "service", None)
        if isinstance(service, str) and service in self._services:
            return (self._services[service],)
        kind = type(payload)
        cores = self._by_type.get(kind)
        if cores is None:
            parts = kind.__module__.split(".")
            name = parts[2] if len(parts) > 2 and parts[:2] == ["actors", "ais"] else None
            cores = (self._services[name],) if name in self._services else self._all
            self._by_type[kind] = cores
        return cores
