"""The per-process runtime: identity (node/process), keys, sockets and the actors it exposes.

Every actor that others may reach owns a ROUTER socket bound at an endpoint derived from the
process endpoint, and its own thread reads it: a remote ask costs no extra thread hop on either
side, which is what keeps it close to a raw ZeroMQ round trip. Callers reach it through a
per-thread DEALER channel (channel.py). The `_host` actor at the process endpoint itself answers
name look-ups (needed on tcp, where actor ports are picked by the kernel) and fault-plan changes.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass

import zmq

from actors.runtime.address import ActorAddress
from actors.runtime.timers import Timers
from transport.authkey import ClusterKeys
from transport.codec import DEFAULT_MAX_FRAME, Codec, RejectCounters
from transport.endpoint import Endpoint
from transport.faults import FaultPlan

log = logging.getLogger("ringleader.runtime")

HOST_ACTOR = "_host"
DEFAULT_ASK_TIMEOUT = 10.0

_context_lock = threading.Lock()
_context: zmq.Context | None = None
_current: ProcessHost | None = None
_hosts: dict[str, ProcessHost] = {}


def shared_context() -> zmq.Context:
    """One context per OS process, so inproc endpoints of several hosts can reach each other."""
    global _context
    with _context_lock:
        if _context is None or _context.closed:
            _context = zmq.Context()
        return _context


def current_host() -> ProcessHost:
    if _current is None:
        raise RuntimeError("no ProcessHost in this process: create one first")
    return _current


def host_named(process_key: str) -> ProcessHost | None:
    return _hosts.get(process_key)


@dataclass(frozen=True)
class Lookup:
    """Ask a process host where one of its actors listens."""

    name: str


@dataclass(frozen=True)
class SetFaults:
    """Replace the fault plan of a process (tests partition real processes with this)."""

    plan: FaultPlan


class ProcessHost:
    def __init__(
        self,
        *,
        node: str,
        process: str,
        endpoint: str | Endpoint,
        keys: ClusterKeys,
        peers: dict[str, str | Endpoint] | None = None,
        max_frame: int = DEFAULT_MAX_FRAME,
        ask_timeout: float = DEFAULT_ASK_TIMEOUT,
        make_current: bool = True,
    ) -> None:
        global _current
        ActorAddress(node, process, HOST_ACTOR)  # validates the names
        self.node = node
        self.process = process
        self.endpoint = Endpoint.parse(endpoint) if isinstance(endpoint, str) else endpoint
        self.keys = keys
        self.max_frame = max_frame
        self.ask_timeout = ask_timeout
        self.counters = RejectCounters()
        self.codec = Codec(keys.mac_key, max_frame=max_frame, counters=self.counters)
        self.faults = FaultPlan()
        self.timers = Timers()
        self.context = shared_context()
        self.peers: dict[str, Endpoint] = {
            key: Endpoint.parse(ep) if isinstance(ep, str) else ep
            for key, ep in (peers or {}).items()
        }
        self.peers[self.process_key] = self.endpoint
        self._lock = threading.Lock()
        self._local: dict[str, object] = {}  # name -> our Actor instance
        self._bound: dict[str, Endpoint] = {}  # name -> endpoint it listens on
        self._resolved: dict[ActorAddress, Endpoint] = {}
        self._channels: list = []
        self._msg_ids = itertools.count(1)
        self._thread_names = itertools.count(1)
        self.closed = False
        _hosts[self.process_key] = self
        if make_current or _current is None:
            _current = self
        from actors.runtime.host_actor import HostActor  # the host's own actor

        self.host_ref = HostActor.start_named(HOST_ACTOR, self, on_host=self)

    # identity ---------------------------------------------------------------------------
    @property
    def process_key(self) -> str:
        return f"{self.node}/{self.process}"

    def address(self, name: str) -> ActorAddress:
        return ActorAddress(self.node, self.process, name)

    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def thread_address(self) -> str:
        """Sender name for plain threads (not actors) that tell or ask."""
        t = threading.current_thread()
        name = getattr(t, "_rl_actor_address", None)  # an actor's thread: the actor's address
        if name is not None:
            return name
        # A plain thread gets one name per host: cached on the thread for all hosts, the name
        # from the first host would be claimed through later ones (and miss their fault rules).
        names = t.__dict__.setdefault("_rl_thread_names", {})
        name = names.get(self.process_key)
        if name is None:
            name = names[self.process_key] = f"{self.process_key}/thread-{next(self._thread_names)}"
        return name

    # local actors -----------------------------------------------------------------------
    def endpoint_for(self, name: str) -> Endpoint:
        return self.endpoint if name == HOST_ACTOR else self.endpoint.for_actor(name)

    def register(self, name: str, actor: object, bound: Endpoint) -> None:
        with self._lock:
            if name in self._local:
                raise ValueError(f"an actor named {name!r} already runs in {self.process_key}")
            self._local[name] = actor
            self._bound[name] = bound

    def unregister(self, name: str, actor: object) -> None:
        with self._lock:
            if self._local.get(name) is actor:
                del self._local[name]
                self._bound.pop(name, None)

    def local_actor(self, name: str):
        return self._local.get(name)

    def bound_endpoint(self, name: str) -> Endpoint | None:
        return self._bound.get(name)

    def local_names(self) -> list[str]:
        with self._lock:
            return sorted(self._local)

    # remote actors ----------------------------------------------------------------------
    def add_peer(self, process_key: str, endpoint: str | Endpoint) -> None:
        self.peers[process_key] = (
            Endpoint.parse(endpoint) if isinstance(endpoint, str) else endpoint
        )

    def endpoint_of(self, address: ActorAddress, *, timeout: float | None = None) -> Endpoint:
        """Where a remote actor listens: derived on ipc/inproc, looked up (and cached) on tcp."""
        from actors.runtime.errors import ActorUnreachable

        cached = self._resolved.get(address)
        if cached is not None:
            return cached
        base = self.peers.get(address.process_key)
        if base is None:
            raise ActorUnreachable(
                f"{address}: no endpoint known for process {address.process_key}"
            )
        if address.name == HOST_ACTOR or base.scheme != "tcp":
            found = base if address.name == HOST_ACTOR else base.for_actor(address.name)
        else:
            from actors.runtime.ref import RemoteRef

            host_ref = RemoteRef(ActorAddress(address.node, address.process, HOST_ACTOR), self)
            url = host_ref.ask(Lookup(address.name), timeout=timeout or self.ask_timeout).get()
            if url is None:
                raise ActorUnreachable(f"{address}: no actor {address.name!r} in that process")
            found = Endpoint.parse(url)
        self._resolved[address] = found
        return found

    def forget(self, address: ActorAddress) -> None:
        self._resolved.pop(address, None)

    def add_channel(self, channel) -> None:
        with self._lock:
            self._channels.append(channel)

    # shutdown ---------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> None:
        """Stop every local actor, then close all sockets. Idempotent."""
        global _current
        if self.closed:
            return
        for name in reversed(self.local_names()):
            actor = self._local.get(name)
            if actor is not None and name != HOST_ACTOR:
                try:
                    actor.actor_ref.stop(timeout=timeout)
                except Exception:  # noqa: BLE001 - already dead is fine
                    pass
        try:
            self.host_ref.stop(timeout=timeout)
        except Exception:  # noqa: BLE001
            pass
        self.closed = True
        self.timers.close()
        with self._lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.close()
        _hosts.pop(self.process_key, None)
        if _current is self:
            _current = next(iter(_hosts.values()), None)

    def __enter__(self) -> ProcessHost:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
