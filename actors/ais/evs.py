"""What the ordering layer hands to the services above it: the extended-virtual-synchrony events.

Totem (actors/ais/totem) produces these; every service core (CPG, CLM, quorum, CKPT, EVT, MSG,
LCK) consumes them. Every node sees the same sequence of these events for the members it shares a
configuration with, which is what lets each service be a replicated state machine: apply the
agreed messages in order, react to configuration changes the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NodeId = int


@dataclass(frozen=True, order=True)
class RingId:
    """Identifies one regular configuration: its representative (lowest node id) and a sequence
    number that only grows, so a later ring always compares greater than an earlier one."""

    seq: int
    rep: NodeId

    def __str__(self) -> str:
        return f"{self.rep}.{self.seq}"


@dataclass(frozen=True)
class ConfigurationChange:
    """A transitional configuration (the survivors of the old ring, delivered first) or a regular
    one (the new ring). `joined` and `left` are relative to the previous regular configuration."""

    kind: Literal["transitional", "regular"]
    ring_id: RingId
    members: tuple[NodeId, ...]
    joined: tuple[NodeId, ...] = ()
    left: tuple[NodeId, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """One message delivered in total order.

    `ring_id` is the configuration it is delivered in (the transitional configuration's ring id
    is the id of the ring the message was sent in). `safe` is True when the sender asked for safe
    delivery, which is only given once every member holds the message.
    """

    ring_id: RingId
    sender: NodeId
    seq: int
    payload: object
    safe: bool = False


EvsEvent = ConfigurationChange | Delivery
