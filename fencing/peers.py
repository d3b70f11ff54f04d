"""How a fencer reaches the other nodes' fencers: `broadcast` to all, `send` to one.

In a cluster this is CPG (agreed order, the sender included: `fencing.cpg_peers`). `Standalone`
is a one-node cluster (like `pacemaker-fenced -s`): what is broadcast or sent to this node comes
straight back.
`InProcessPeers` connects several fencers in one process (tests, simulations): a broadcast is
told to every fencer in node-name order. A link is made by `link(me)` once the fencer runs, `me`
being its own ref.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("ringleader.fencer")


@dataclass(frozen=True)
class LinkLost:
    """Told to the fencer by a link that lost its seat (the executive restarted, say): the
    fencer stops, so that its process is restarted and joins again."""

    reason: str


class PeerLink(Protocol):
    def broadcast(self, payload: object) -> None: ...

    def send(self, node: str, payload: object) -> None: ...


class Standalone:
    """A one-node cluster: everything comes back to this fencer."""

    def __init__(self, node: str, me: Any) -> None:
        self.node = node
        self._me = me

    def broadcast(self, payload: object) -> None:
        self._me.tell(payload)

    def send(self, node: str, payload: object) -> None:
        if node == self.node:
            self._me.tell(payload)
        else:
            log.warning("standalone fencer %s: dropped a message for %s", self.node, node)


class InProcessPeers:
    """Fencers of several nodes in one process; `link(node)` is what `Fencer(link=...)` takes.
    `leave(node)` cuts a node off (its messages and those to it are dropped)."""

    def __init__(self) -> None:
        self._refs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def link(self, node: str) -> Callable[[Any], PeerLink]:
        def make(me: Any) -> PeerLink:
            with self._lock:
                self._refs[node] = me
            return _Member(self, node)

        return make

    def leave(self, node: str) -> None:
        with self._lock:
            self._refs.pop(node, None)

    def members(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._refs))

    def _targets(self, sender: str, node: str | None) -> list[Any]:
        with self._lock:
            if sender not in self._refs:
                return []
            if node is None:
                return [self._refs[n] for n in sorted(self._refs)]
            return [self._refs[node]] if node in self._refs else []


class _Member:
    def __init__(self, peers: InProcessPeers, node: str) -> None:
        self._peers = peers
        self._node = node

    def broadcast(self, payload: object) -> None:
        for ref in self._peers._targets(self._node, None):
            ref.tell(payload)

    def send(self, node: str, payload: object) -> None:
        for ref in self._peers._targets(self._node, node):
            ref.tell(payload)
