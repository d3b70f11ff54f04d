"""The fencers of a cluster reach each other over CPG: the group `ringleader-fencer`.

`CpgPeers` is the `PeerLink` of a node's fencer. A broadcast is an agreed multicast to the group;
`send(node, ...)` is a multicast too, addressed to that node, which every other member drops.
Why not a direct tell to `node/fencer/fencer`? Because then the fencers' messages would have one
order, the views another: with everything on the group, each fencer sees queries, replies,
results and views in one agreed order (extended virtual synchrony), so "the executor left"
comes exactly where it happened relative to its result, at every member. It also needs no
address for the other nodes' fencer processes (whose port depends on each node's own
[processes] table). Fencing traffic is a handful of small messages per fence: the extra copies
cost nothing that matters. A message to this node itself is told to the fencer directly, as
`Standalone` does. What goes on the group is `Addressed` pickled to bytes here: the executive
passes bytes along and never needs the fencer's classes (an unprivileged executive may not even
be able to import what they import).

Group views become `Membership` (node names from the configuration's [[nodes]]): queries wait
only for the members, and a member that leaves mid-query or mid-execution is not waited for
(see `fencing.core`). Multicasts leave from a thread of their own, in order, so the fencer never
blocks on the executive. The link checks every `check_every` seconds that this process is
still a member of the group: an executive that restarted forgets its clients, and the fencer
must then stop (`LinkLost`) so its process is restarted and joins again.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pykka

from actors.ais.client.group import GroupLink, GroupMessage, GroupView
from actors.ais.cpg.messages import CpgMember
from actors.ais.errors import AisError
from fencing.messages import Membership
from fencing.peers import LinkLost
from transport import serialize

log = logging.getLogger("ringleader.fencer")

GROUP = "ringleader-fencer"


@dataclass(frozen=True)
class Addressed:
    """A fencer message on the group (pickled): for every member (`to` None) or for node `to`
    only."""

    sender: str
    to: str | None
    payload: object


def membership(view: GroupView, names: Mapping[int, str]) -> Membership:
    """A group view as the fencer core takes it: the member nodes and those that joined."""
    nodes = tuple(sorted({names.get(m.nodeid, f"node{m.nodeid}") for m in view.members}))
    joined = tuple(sorted({names.get(a.nodeid, f"node{a.nodeid}") for a in view.joined}))
    return Membership(nodes, joined)


class CpgPeers:
    def __init__(
        self,
        node: str,
        me: Any,
        names: Mapping[int, str],
        *,
        group: str = GROUP,
        retry: float = 10.0,
        check_every: float = 2.0,
        lost: Any = None,
        **where: Any,
    ) -> None:
        """`me`: the fencer's ref; `names`: node id -> name; `lost(reason)`: called once when
        the seat is gone (default: tell `me` a `LinkLost`); `where`: how to find the executive
        (`config=` a node config path, ...)."""
        self.node = node
        self._me = me
        self._names = dict(names)
        self._lost = lost or self._tell_lost
        self._check_every = check_every
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = threading.Event()
        self._in_view = threading.Event()
        self._gone = False
        self.link = GroupLink(group, _Inbound(self), retry=retry, **where)
        self._thread = threading.Thread(target=self._run, name="fencer-cpg", daemon=True)
        self._thread.start()

    # ---- PeerLink -----------------------------------------------------------------------------

    def broadcast(self, payload: object) -> None:
        self._outbox.put(Addressed(self.node, None, payload))

    def send(self, node: str, payload: object) -> None:
        if node == self.node:
            self._tell(payload)
        else:
            self._outbox.put(Addressed(self.node, node, payload))

    def close(self) -> None:
        self._closed.set()
        self._outbox.put(None)
        self._thread.join(5.0)
        self.link.close()

    # ---- inside -------------------------------------------------------------------------------

    def _deliver(self, message: object) -> None:
        """From the group's dispatch thread, in agreed order."""
        if isinstance(message, GroupMessage):
            try:
                data = serialize.loads(message.data) if isinstance(message.data, bytes) else None
            except Exception as exc:  # noqa: BLE001 - from another version: not for us
                log.warning("fencer %s: dropped a group message: %s", self.node, exc)
                return
            if isinstance(data, Addressed) and data.to in (None, self.node):
                self._tell(data.payload)
        elif isinstance(message, GroupView):
            self._in_view.set()  # views come only once we joined, and have us in them
            self._tell(membership(message, self._names))

    def _tell(self, message: object) -> None:
        try:
            self._me.tell(message)
        except pykka.ActorDeadError:
            pass  # the fencer is stopping: it closes this link

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                item = self._outbox.get(timeout=self._check_every)
            except queue.Empty:
                self._check()
                continue
            if item is None:
                return
            try:
                self.link.mcast(serialize.dumps(item))
            except AisError as exc:
                self._give_up(f"multicast refused: {exc}")

    def _check(self) -> None:
        """Still in the group? (only once we were seen in it)"""
        if not self._in_view.is_set() or self._gone:
            return
        try:
            members = self.link.client.membership_get(self.link.group)
        except AisError as exc:
            self._give_up(f"the executive does not answer: {exc}")
            return
        if CpgMember(self.link.node_id, os.getpid()) not in members:
            self._give_up("this fencer is no longer a member of the group")

    def _give_up(self, reason: str) -> None:
        if self._closed.is_set() or self._gone:
            return
        self._gone = True
        log.error("fencer %s: %s", self.node, reason)
        self._lost(reason)

    def _tell_lost(self, reason: str) -> None:
        self._tell(LinkLost(reason))


class _Inbound:
    """What GroupLink tells: handed to the link, which tells the fencer what is for it."""

    def __init__(self, peers: CpgPeers) -> None:
        self._peers = peers

    def tell(self, message: object) -> None:
        self._peers._deliver(message)
