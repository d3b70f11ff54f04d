"""Many totem cores in one process on a virtual clock and a virtual network with seeded faults.

A node is a totem core plus a list of *applications*: any object with
`handle(event, now) -> list[Effect]` (the `actors.ais.effects.ServiceCore` protocol, so the CPG,
CLM, quorum, ... cores plug in as they are). Every EVS event the core emits is logged and then
fed to each application in order; an application's `Multicast` goes back into the core (after
the effects being processed, so logs keep the core's order), its `SetTimer`/`CancelTimer` run on
the virtual clock, anything else it returns is kept in `Node.app_effects`; `to_app` feeds it
other inputs (client requests). Pass
`apps=lambda node_id, incarnation: [...]` to `Simulator` to host them.

Everything random comes from one `random.Random(seed)`, and the event queue breaks time ties by
insertion order, so a run is a pure function of its seed and script: a failing seed replays
exactly. Frames are handed over by reference: they are frozen, and the core never mutates one.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from actors.ais.effects import CancelTimer, Multicast, SetTimer, TimerFired
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.totem.config import TotemConfig
from actors.ais.totem.core import TotemCore
from actors.ais.totem.effects import Send


@dataclass(frozen=True)
class Faults:
    """Network faults, per frame and receiver: loss, duplication, and a uniform delay whose
    spread reorders frames. Frames a node sends itself are never lost."""

    loss: float = 0.0
    dup: float = 0.0
    delay: tuple[float, float] = (0.0001, 0.0005)


@dataclass(frozen=True)
class Payload:
    """A workload message: the `k`-th message submitted by incarnation `inc` of `node`."""

    node: int
    inc: int
    k: int


@dataclass
class IncarnationLog:
    """What one life of one node did: EVS events in order, payloads it submitted, how it ended."""

    node: int
    inc: int
    events: list = field(default_factory=list)
    sent: list = field(default_factory=list)
    crashed: bool = False


@dataclass
class Node:
    core: TotemCore
    log: IncarnationLog
    apps: list
    timers: dict = field(default_factory=dict)
    inbox: deque = field(default_factory=deque)
    busy: bool = False
    app_effects: list = field(default_factory=list)


_FRAME, _TIMER, _CALL = 0, 1, 2


class Simulator:
    """Runs nodes `1..n` on a virtual clock; see the module docstring."""

    def __init__(
        self,
        n: int,
        seed: int,
        config: TotemConfig | None = None,
        faults: Faults | None = None,
        apps: Callable[[int, int], list] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.config = config or TotemConfig()
        self.faults = faults or Faults()
        self.apps = apps
        self.now = 0.0
        self.node_ids = list(range(1, n + 1))
        self.nodes: dict[int, Node] = {}
        self.logs: list[IncarnationLog] = []
        self._incarnation = dict.fromkeys(self.node_ids, -1)
        self._ring_seq = dict.fromkeys(self.node_ids, 0)  # the persisted ringid file
        self._group: dict[int, int] = dict.fromkeys(self.node_ids, 0)
        self._queue: list = []
        self._tie = itertools.count()
        self._timer_gen = itertools.count()
        self.frames_sent = 0
        for node in self.node_ids:
            self.start(node)

    # ---- script -----------------------------------------------------------------------------

    def at(self, when: float, fn: Callable[[], None]) -> None:
        """Run `fn` at virtual time `when`."""
        heapq.heappush(self._queue, (when, next(self._tie), _CALL, fn, None, None))

    def start(self, node: int) -> None:
        """Start (or restart, as a new incarnation) `node`."""
        if node in self.nodes:
            return
        inc = self._incarnation[node] + 1
        self._incarnation[node] = inc
        core = TotemCore(node, inc, self.config, self._ring_seq[node])
        log = IncarnationLog(node, inc)
        self.logs.append(log)
        apps = self.apps(node, inc) if self.apps else []
        self.nodes[node] = Node(core, log, apps)
        self._apply(node, core.start(self.now))

    def crash(self, node: int) -> None:
        n = self.nodes.pop(node, None)
        if n is not None:
            n.log.crashed = True
            self._ring_seq[node] = n.core.max_ring_seq

    def partition(self, groups: list[list[int]]) -> None:
        """Only nodes in the same group hear each other (nodes not listed form one more group)."""
        self._group = dict.fromkeys(self.node_ids, len(groups))
        for i, group in enumerate(groups):
            for node in group:
                self._group[node] = i

    def heal(self) -> None:
        self._group = dict.fromkeys(self.node_ids, 0)

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults

    def submit(self, node: int, safe: bool = False) -> Payload | None:
        """Node `node` multicasts the next workload message (None when the node is down)."""
        n = self.nodes.get(node)
        if n is None:
            return None
        payload = Payload(node, n.log.inc, len(n.log.sent))
        n.log.sent.append(payload)
        self._feed(node, Multicast(payload, safe))
        return payload

    def multicast(self, node: int, message: Multicast) -> None:
        """Hand `message` to the node's core as a local send (unlogged, unlike `submit`)."""
        if node in self.nodes:
            self._feed(node, message)

    def to_app(self, node: int, index: int, event) -> None:
        """Feed any input (a `ClientRequest`, ...) to application `index` of `node`."""
        if node in self.nodes:
            self._feed_app(node, index, event)

    # ---- running ----------------------------------------------------------------------------

    def run_until(self, until: float) -> None:
        queue, nodes = self._queue, self.nodes
        while queue and queue[0][0] <= until:
            when, _, kind, a, b, c = heapq.heappop(queue)
            self.now = when
            if kind == _FRAME:
                if a in nodes and self._group[a] == self._group[c]:
                    self._feed(a, b)
            elif kind == _TIMER:
                n = nodes.get(a)
                if n is not None and n.timers.get(b[1]) == c and n.log.inc == b[0]:
                    del n.timers[b[1]]
                    key = b[1]
                    if type(key) is tuple and key[0] == "app":
                        self._feed_app(a, key[1], TimerFired(key[2]))
                    else:
                        self._feed(a, TimerFired(key))
            else:
                a()
        self.now = max(self.now, until)

    def run_while(self, busy: Callable[[], bool], step: float, limit: float) -> bool:
        """Run in `step`s until `busy()` is false or the clock reaches `limit`; True if settled."""
        while busy():
            if self.now >= limit:
                return False
            self.run_until(min(self.now + step, limit))
        return True

    # ---- plumbing ---------------------------------------------------------------------------

    def _feed(self, node: int, event) -> None:
        n = self.nodes[node]
        n.inbox.append(event)
        if n.busy:
            return
        n.busy = True
        try:
            while n.inbox and self.nodes.get(node) is n:
                self._apply(node, n.core.handle(n.inbox.popleft(), self.now))
        finally:
            n.busy = False

    def _apply(self, node: int, effects: list) -> None:
        n = self.nodes[node]
        for e in effects:
            kind = type(e)
            if kind is Send:
                self._send(node, e)
            elif kind is SetTimer:
                gen = next(self._timer_gen)
                n.timers[e.key] = gen
                heapq.heappush(
                    self._queue,
                    (self.now + e.delay, next(self._tie), _TIMER, node, (n.log.inc, e.key), gen),
                )
            elif kind is CancelTimer:
                n.timers.pop(e.key, None)
            elif kind is Delivery or kind is ConfigurationChange:
                n.log.events.append(e)
                for i in range(len(n.apps)):
                    self._feed_app(node, i, e)

    def _feed_app(self, node: int, index: int, event) -> None:
        n = self.nodes[node]
        for e in n.apps[index].handle(event, self.now):
            kind = type(e)
            if kind is Multicast:
                n.inbox.append(Multicast(e.payload, e.safe))
            elif kind is SetTimer:
                self._apply(node, [SetTimer(("app", index, e.key), e.delay)])
            elif kind is CancelTimer:
                n.timers.pop(("app", index, e.key), None)
            else:
                n.app_effects.append(e)
        if n.inbox and not n.busy:
            self._feed(node, n.inbox.popleft())

    def _send(self, src: int, e: Send) -> None:
        self.frames_sent += 1
        faults, rng, now, queue = self.faults, self.rng, self.now, self._queue
        lo, hi = faults.delay
        dests = [e.dest] if e.dest is not None else [d for d in self.node_ids if d != src]
        for dest in dests:
            if dest != src:
                if faults.loss and rng.random() < faults.loss:
                    continue
                copies = 2 if faults.dup and rng.random() < faults.dup else 1
            else:
                copies = 1
            for _ in range(copies):
                delay = lo + (hi - lo) * rng.random()
                heapq.heappush(queue, (now + delay, next(self._tie), _FRAME, dest, e.frame, src))
