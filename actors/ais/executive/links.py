"""Frames to the other nodes' totem actors: tells over the transport, never blocking totem.

On ipc a peer's actor endpoint is derived from its path, so a tell never waits. On tcp it must
be looked up (the actor port is the kernel's pick, and a restarted peer gets a new one): a
background thread looks every peer up now and then, and until a peer is known its frames are
dropped, which totem copes with like any loss.
"""

from __future__ import annotations

import logging
import threading

from actors.ais.evs import NodeId
from actors.runtime.address import ActorAddress
from actors.runtime.errors import ActorUnreachable
from actors.runtime.host import HOST_ACTOR, Lookup
from actors.runtime.ref import RemoteRef

log = logging.getLogger("ringleader.executive")

EXECUTIVE_PROCESS = "executive"
TOTEM_ACTOR = "totem"
LOOKUP_PERIOD = 1.0


def totem_address(node_name: str) -> str:
    return f"{node_name}/{EXECUTIVE_PROCESS}/{TOTEM_ACTOR}"


class PeerLinks:
    """Send totem frames to peers by node id (`send(None, frame)` is to every other node)."""

    def __init__(self, host, me: NodeId, names: dict[NodeId, str]) -> None:
        self._host = host
        self._addresses = {
            nid: ActorAddress(name, EXECUTIVE_PROCESS, TOTEM_ACTOR)
            for nid, name in names.items()
            if nid != me
        }
        self._refs = {nid: RemoteRef(addr, host) for nid, addr in self._addresses.items()}
        self._others = tuple(self._refs.values())
        self._stop = threading.Event()
        self._tcp = any(
            host.peers.get(addr.process_key) is not None
            and host.peers[addr.process_key].scheme == "tcp"
            for addr in self._addresses.values()
        )
        self._ready: set[NodeId] = set() if self._tcp else set(self._refs)
        self._known: dict[NodeId, str] = {}
        self._thread: threading.Thread | None = None
        if self._tcp:
            self._thread = threading.Thread(target=self._look_up, name="totem-links", daemon=True)
            self._thread.start()

    def send(self, dest: NodeId | None, frame: object) -> None:
        if dest is None:
            if not self._tcp:
                for ref in self._others:
                    ref.tell(frame)
                return
            for nid in tuple(self._ready):
                self._refs[nid].tell(frame)
        elif dest in self._ready:
            self._refs[dest].tell(frame)

    def close(self) -> None:
        self._stop.set()

    def _look_up(self) -> None:
        host = self._host
        while not self._stop.is_set():
            for nid, addr in self._addresses.items():
                if self._stop.is_set():
                    return
                hostref = RemoteRef(ActorAddress(addr.node, addr.process, HOST_ACTOR), host)
                try:
                    url = hostref.ask(Lookup(addr.name), timeout=LOOKUP_PERIOD).get()
                except ActorUnreachable:
                    url = None
                except Exception:  # noqa: BLE001 - a closing host; try again or stop
                    url = None
                if url is None:
                    self._ready.discard(nid)
                    continue
                if self._known.get(nid) != url:
                    self._ready.discard(nid)
                    host.forget(addr)
                    try:
                        host.endpoint_of(addr, timeout=LOOKUP_PERIOD)
                    except Exception:  # noqa: BLE001 - next round
                        continue
                    self._known[nid] = url
                self._ready.add(nid)
            self._stop.wait(LOOKUP_PERIOD)
