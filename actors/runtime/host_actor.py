"""The `_host` actor of every process: name look-ups, fault plans, frame counters."""

from __future__ import annotations

from dataclasses import dataclass

from actors.runtime.actor import Actor
from actors.runtime.host import Lookup, SetFaults
from transport.faults import FaultPlan


@dataclass(frozen=True)
class GetCounters:
    """How many frames this process dropped, by reason."""


@dataclass(frozen=True)
class ListActors:
    pass


class HostActor(Actor):
    def __init__(self, host) -> None:
        super().__init__()
        self._host = host

    def on_receive(self, message):
        host = self._host
        if isinstance(message, Lookup):
            bound = host.bound_endpoint(message.name)
            return bound.url if bound else None
        if isinstance(message, SetFaults):
            host.faults = message.plan if isinstance(message.plan, FaultPlan) else FaultPlan()
            return None
        if isinstance(message, GetCounters):
            return host.counters.snapshot()
        if isinstance(message, ListActors):
            return host.local_names()
        return super().on_receive(message)
