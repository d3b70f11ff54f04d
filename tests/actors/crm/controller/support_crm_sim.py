"""A deterministic in-process cluster of controller, attribute manager and LRM cores.

N nodes, each with the real `ControllerCore`, `AttrdCore` and `LrmCore`; the scheduler is the
real one. What is simulated: the crmd and attrd CPG groups (one FIFO of deliveries, so every
member of a partition sees one order, views included: a view change first delivers everything in
flight), the agents (each node's `truth`: which resources are really active there, what an
agent's state file says), the fencer (a fenced node is powered off: its processes stop and its
truth is cleared), quorum (a partition holding more than half the nodes) and a virtual clock.

Faults: `crash` (the node stops; its resources stay active until it is fenced), `partition`,
`fail_resource` (the agent's state vanishes: the next monitor finds it stopped), `restart_lrm`,
`restart` (a fenced or crashed node boots again, empty). `check` raises on a broken guarantee;
it runs after every step.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import random
from collections import deque
from dataclasses import dataclass, field

from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.crm.attrd import core as attrd
from actors.crm.cib import parse_cib
from actors.crm.controller import messages as m
from actors.crm.controller.core import ControllerCore
from actors.crm.lrm import messages as lrm
from actors.crm.lrm.core import LrmCore
from actors.crm.scheduler import schedule


def cib_xml(nodes: list[str], resources: list[str], stonith: bool = True, extra: str = "") -> str:
    """A CIB with `resources` as ocf:heartbeat:Dummy primitives, each with a 10 s monitor."""
    node_xml = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(nodes, 1))
    prims = "".join(
        f'<primitive id="{r}" class="ocf" provider="heartbeat" type="Dummy">'
        f'<operations><op id="{r}-mon" name="monitor" interval="10s"/></operations></primitive>'
        for r in resources
    )
    return (
        '<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config>'
        '<cluster_property_set id="opts">'
        f'<nvpair id="o1" name="stonith-enabled" value="{"true" if stonith else "false"}"/>'
        "</cluster_property_set></crm_config>"
        f"<nodes>{node_xml}</nodes><resources>{prims}</resources>"
        f"<constraints>{extra}</constraints></configuration><status/></cib>"
    )


@dataclass
class SimNode:
    name: str
    ctl: ControllerCore
    attrd: attrd.AttrdCore
    lrm: LrmCore
    incarnation: int  # of the crm process (controller and attribute manager)
    lrm_incarnation: int
    alive: bool = True  # the crm process runs
    up: bool = True  # the machine runs (its LRM, and it is in the ring)
    view: tuple[str, ...] = ()
    ring: tuple[str, ...] = ()
    lrm_timers: dict = field(default_factory=dict)


class Violation(AssertionError):
    pass


class Sim:
    def __init__(self, n: int, resources: list[str], seed: int = 0, stonith: bool = True):
        self.rng = random.Random(seed)
        self.names = [f"node{i}" for i in range(1, n + 1)]
        self.ids = {name: i for i, name in enumerate(self.names, 1)}
        self.resources = resources
        self.config = cib_xml(self.names, resources, stonith)
        self.now = 1_000_000.0
        self.fifo: deque = deque()
        self.timers: list = []
        self._seq = itertools.count()
        self.truth: dict[str, set[str]] = {name: set() for name in self.names}
        self.fenced_unrebooted: set[str] = set()
        self.partitions: list[set[str]] = [set(self.names)]
        self.log: list[str] = []
        self.fence_log: list[tuple[str, float]] = []
        self.incarnations = itertools.count(1)
        self.nodes: dict[str, SimNode] = {}
        for name in self.names:
            self._boot(name)
        self._views()

    # ---- nodes --------------------------------------------------------------------------------

    def _boot(self, name: str) -> None:
        node = SimNode(
            name,
            ControllerCore(name, self.ids),
            attrd.AttrdCore(name),
            LrmCore(),
            next(self.incarnations),
            next(self.incarnations),
        )
        self.nodes[name] = node
        self._push(node, "ctl", m.ConfigUpdated(self.config))
        self._push(node, "ctl", m.LrmHistories(()))

    def members(self, name: str) -> tuple[str, ...]:
        part = next(p for p in self.partitions if name in p)
        return tuple(sorted((n for n in part if self.nodes[n].alive), key=self.ids.get))

    def ring(self, name: str) -> tuple[str, ...]:
        part = next(p for p in self.partitions if name in p)
        return tuple(sorted((n for n in part if self.nodes[n].up), key=self.ids.get))

    def _views(self) -> None:
        """Install the current partitions' views everywhere (after delivering what is queued)."""
        self.drain()
        for node in self.nodes.values():
            if not node.alive:
                continue
            members, ring = self.members(node.name), self.ring(node.name)
            if members != node.view:
                joined = tuple(n for n in members if n not in node.view)
                left = tuple(n for n in node.view if n not in members)
                node.view = members
                self._push(node, "ctl", m.ViewChanged(members, joined, left))
                self._push(node, "attrd", attrd.ViewChanged(members, left, joined))
            if ring != node.ring:
                node.ring = ring
                self._push(node, "ctl", m.QuorumUpdated(2 * len(ring) > len(self.names), ring))
        self.drain()

    # ---- the event loop -----------------------------------------------------------------------

    def _push(self, node: SimNode, part: str, event) -> None:
        self.fifo.append((node.name, node.incarnation, part, event))

    def _timer(self, delay: float, node: SimNode, part: str, event) -> None:
        due = self.now + delay
        heapq.heappush(
            self.timers, (due, next(self._seq), node.name, node.incarnation, part, event)
        )

    def _step(self) -> bool:
        if self.fifo:
            name, inc, part, event = self.fifo.popleft()
        elif self.timers:
            due, _, name, inc, part, event = heapq.heappop(self.timers)
            self.now = max(self.now, due)
        else:
            return False
        node = self.nodes[name]
        if part in ("lrm", "exec"):  # the LRM's own process: checks its incarnation itself
            if node.up:
                self._deliver(node, part, event)
        elif node.alive and node.incarnation == inc:
            self._deliver(node, part, event)
        self.check_active()
        return True

    def drain(self) -> None:
        while self.fifo:
            self._step()

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        while self.fifo or (self.timers and self.timers[0][0] <= end):
            if not self.fifo:
                self.check_dc()
            self._step()
        self.now = end
        self.check_dc()

    def _deliver(self, node: SimNode, part: str, event) -> None:
        if part == "ctl":
            self._ctl_effects(node, node.ctl.handle(event, self.now))
        elif part == "attrd":
            self._attrd_effects(node, node.attrd.handle(event))
        elif part == "lrm":
            lrm_inc, event = event
            if lrm_inc != node.lrm_incarnation:
                return
            if isinstance(event, tuple) and event[0] == "tick":
                self._lrm_tick(node, event[1], event[2])
            else:
                self._lrm_effects(node, node.lrm.handle(event, self.now))
        elif part == "exec":
            self._finish(node, event)
        elif part == "fence":
            self._fence(node, event)

    def _mcast(self, sender: SimNode, part: str, payload) -> None:
        for name in self.members(sender.name):
            self._push(
                self.nodes[name],
                part,
                (m.Delivered if part == "ctl" else attrd.Delivered)(sender.name, payload),
            )

    def _ctl_effects(self, node: SimNode, effects) -> None:
        for fx in effects:
            match fx:
                case m.Mcast(payload):
                    if isinstance(payload, m.ExecuteOp):
                        c = payload.command
                        self.log.append(
                            f"{self.now:.2f} {node.name}: {c.rsc_id}_{c.action}_{c.interval_ms}"
                            f" on {payload.node}"
                        )
                    self._mcast(node, "ctl", payload)
                case m.RunOp(c):
                    request = lrm.OpRequest(
                        c.rsc_id,
                        c.spec,
                        c.action,
                        c.params,
                        c.meta,
                        c.interval_ms,
                        c.timeout_ms,
                        OcfResult(c.expected_rc),
                        requester="ctl",
                    )
                    self._push(node, "lrm", (node.lrm_incarnation, request))
                case m.DeleteLocal(rsc_id):
                    self._push(node, "lrm", (node.lrm_incarnation, lrm.DeleteResource(rsc_id)))
                case m.Fence(target):
                    self._timer(0.2, node, "fence", target)
                case m.SetAttribute(n, name, value):
                    self._push(node, "attrd", attrd.Set(n, name, value))
                case m.SetTimer(key, delay):
                    self._timer(delay, node, "ctl", m.TimerFired(key))
                case m.ShutdownComplete():
                    self.log.append(f"{self.now:.2f} {node.name} shut down")
                    node.alive = node.up = False
                    self._views()
                case m.Note(text):
                    self.log.append(f"{self.now:.2f} {node.name}: {text}")

    def _attrd_effects(self, node: SimNode, effects) -> None:
        for fx in effects:
            match fx:
                case attrd.Broadcast(payload):
                    self._mcast(node, "attrd", payload)
                case attrd.Changed(table):
                    self._push(node, "ctl", m.AttributesUpdated(table))

    def _lrm_effects(self, node: SimNode, effects) -> None:
        for fx in effects:
            match fx:
                case lrm.Execute():
                    self._timer(
                        self.rng.uniform(0.01, 0.3), node, "exec", (node.lrm_incarnation, fx)
                    )
                case lrm.SetTimer(key, delay_ms):
                    token = object()
                    node.lrm_timers[key] = token
                    self._timer(
                        delay_ms / 1000, node, "lrm", (node.lrm_incarnation, ("tick", key, token))
                    )
                case lrm.CancelTimer(key):
                    node.lrm_timers.pop(key, None)
                case lrm.Report(_, record):
                    self._push(node, "ctl", m.LrmResult(record))

    def _finish(self, node: SimNode, event) -> None:
        """An agent ran: its result from the node's truth (what a Dummy agent would say)."""
        lrm_inc, ex = event
        if lrm_inc != node.lrm_incarnation:
            return
        active = self.truth[node.name]
        running = ex.rsc_id in active
        rc = OcfResult.OCF_SUCCESS
        if ex.action == "start":
            active.add(ex.rsc_id)
        elif ex.action == "stop":
            active.discard(ex.rsc_id)
        elif ex.action == "monitor":
            rc = OcfResult.OCF_SUCCESS if running else OcfResult.OCF_NOT_RUNNING
        result = OpResult(rc, ExecStatus.DONE)
        self._lrm_effects(node, node.lrm.handle(lrm.ExecResult(ex.call_id, result), self.now))

    def _fence(self, origin: SimNode, target: str) -> None:
        victim = self.nodes[target]
        self.fence_log.append((target, self.now))
        self.log.append(f"{self.now:.2f} {origin.name} fenced {target}")
        if victim.up:
            victim.alive = victim.up = False
            self._views()
        self.truth[target].clear()  # powered off: nothing runs there
        self.fenced_unrebooted.add(target)
        self._push(origin, "ctl", m.FenceCompleted(target, True))

    # the LRM's own timers come back through "lrm" with a token so cancelled ones lapse
    def _lrm_tick(self, node: SimNode, key, token) -> None:
        if node.lrm_timers.get(key) is token:
            del node.lrm_timers[key]
            self._lrm_effects(node, node.lrm.handle(lrm.TimerFired(key), self.now))

    # ---- faults -------------------------------------------------------------------------------

    def crash(self, name: str) -> None:
        """The node's processes die; whatever it ran stays active until it is fenced."""
        self.log.append(f"{self.now:.2f} crash {name}")
        self.nodes[name].alive = self.nodes[name].up = False
        self._views()

    def restart(self, name: str) -> None:
        """A dead node boots again (after fencing or a crash: a reboot, so nothing runs)."""
        self.log.append(f"{self.now:.2f} restart {name}")
        self.truth[name].clear()
        self.fenced_unrebooted.discard(name)
        self._boot(name)
        self._views()

    def partition(self, *groups: set[str]) -> None:
        self.log.append(f"{self.now:.2f} partition {groups}")
        self.partitions = [set(g) for g in groups]
        self._views()

    def heal(self) -> None:
        self.partitions = [set(self.names)]
        self._views()

    def crash_controller(self, name: str) -> None:
        """The crm process dies (controller, attribute manager); the node stays in the ring
        and its LRM keeps running what it runs."""
        self.log.append(f"{self.now:.2f} crm process of {name} dies")
        self.nodes[name].alive = False
        self._views()

    def restart_controller(self, name: str) -> None:
        self.log.append(f"{self.now:.2f} crm process of {name} restarts")
        node = self.nodes[name]
        node.ctl = ControllerCore(name, self.ids)
        node.attrd = attrd.AttrdCore(name)
        node.incarnation = next(self.incarnations)
        node.alive, node.view, node.ring = True, (), ()
        self._push(node, "ctl", m.ConfigUpdated(self.config))
        # what the LRM answers GetHistory with (a copy, as it would come over the wire)
        self._push(node, "ctl", m.LrmHistories(copy.deepcopy(tuple(node.lrm.histories()))))
        self._views()

    def fail_resource(self, name: str, rsc: str) -> None:
        self.log.append(f"{self.now:.2f} {rsc} vanishes on {name}")
        self.truth[name].discard(rsc)

    def restart_lrm(self, name: str, noticed: bool = True) -> None:
        """The LRM process restarts, empty; `noticed`: its controller saw it unreachable (else
        it finds out from the history it reads next)."""
        self.log.append(f"{self.now:.2f} LRM of {name} restarts")
        node = self.nodes[name]
        node.lrm = LrmCore()
        node.lrm_incarnation = next(self.incarnations)
        node.lrm_timers.clear()
        self._push(node, "ctl", m.LrmHistories((), restarted=noticed))

    # ---- guarantees ---------------------------------------------------------------------------

    def dcs(self) -> dict[frozenset, list[str]]:
        out: dict[frozenset, list[str]] = {}
        for part in self.partitions:
            alive = frozenset(n for n in part if self.nodes[n].alive)
            if alive:
                out[alive] = [n for n in sorted(alive) if self.nodes[n].ctl.is_dc]
        return out

    def check_dc(self) -> None:
        for part, dcs in self.dcs().items():
            if len(dcs) != 1:
                raise Violation(f"partition {sorted(part)} has DCs {dcs}\n" + self.tail())

    def check_active(self) -> None:
        for rsc in self.resources:
            where = [n for n in self.names if rsc in self.truth[n]]
            if len(where) > 1:
                raise Violation(f"{rsc} active on {where} at {self.now:.2f}\n" + self.tail())

    def converged(self) -> None:
        """One DC, idle, and every resource where a fresh plan puts it (and nowhere else)."""
        self.check_dc()
        [dcs] = [d for d in self.dcs().values()] if len(self.dcs()) == 1 else [[]]
        if len(dcs) != 1:
            raise Violation(f"not one partition with one DC: {self.dcs()}")
        dc = self.nodes[dcs[0]].ctl
        text = dc.cib(self.now)
        transition = schedule(parse_cib(text), None)
        pending = [a for a in transition.actions if a.runnable and not a.pseudo]
        if pending:
            raise Violation(f"not idle: {pending}\n" + self.tail())
        for rsc, target in transition.placement.items():
            where = sorted(n for n in self.names if rsc in self.truth[n])
            want = [target] if target else []
            if where != want:
                raise Violation(f"{rsc}: active on {where}, planned {want}\n" + self.tail())

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.log[-n:])
