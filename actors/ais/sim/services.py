"""Seeded scenarios for the application services: CKPT, EVT, MSG and LCK on simulated nodes.

Each simulated node hosts the four service cores in one application (`ServiceApp`), as the
executive does on a real node; simulated client connections (`Workload`) make random calls at
random moments, and react to answers as an application would (take queued events, unlock a
granted lock after a while, get the next message), while the EVS scenario's faults run: loss,
duplication, reorder, partitions, crashes and restarts. After the calm, every live node reads
back every checkpoint section and subscribes late to the event channel. Then the services'
checkers judge the logs (`actors.ais.{lck,ckpt,evt,msg}.checker`):

- lock mutual exclusion (`check_lock_exclusion`);
- checkpoint durability (`check_ckpt_durability`), for writes whose replica survived: the
  acknowledgement of a node that later crashed counts only if a node that never crashed
  delivered the write (a write made and acknowledged only in a partition whose nodes all
  crashed is lost with every replica of it);
- event delivery per filter (`check_event_delivery`, complete when the membership never
  changed), and retention: every event still retained at the end, published by a surviving
  replica's reckoning, reaches each late subscriber;
- messages exactly once, to one queue of a round-robin group (`check_message_delivery`).

`run_services_scenario(seed)` is a pure function of its arguments, so a failing seed replays
exactly (`ringleader sim ais --seed N`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from actors.ais.ckpt.checker import check_ckpt_durability
from actors.ais.ckpt.core import CkptCore
from actors.ais.ckpt.messages import (
    CheckpointClose,
    CheckpointOpen,
    CreationAttributes,
    Overwrite,
    Read,
    ReadElement,
    SectionCreate,
    SectionDelete,
    WriteMode,
)
from actors.ais.effects import (
    Callback,
    CancelTimer,
    ClientGone,
    ClientRequest,
    Multicast,
    Reply,
    SetTimer,
    TimerFired,
)
from actors.ais.errors import AisError
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.evt.checker import check_event_delivery
from actors.ais.evt.core import EvtCore
from actors.ais.evt.messages import (
    EVENT_ID_LOST,
    ChannelOpen,
    Event,
    EventGet,
    EventsAvailable,
    Filter,
    FilterType,
    Publish,
    Published,
    Subscribe,
)
from actors.ais.lck.checker import check_lock_exclusion
from actors.ais.lck.core import LckCore
from actors.ais.lck.messages import (
    Lock,
    LockGrant,
    LockMode,
    LockResult,
    LockStatus,
    ResourceOpen,
    Unlock,
)
from actors.ais.msg.checker import check_message_delivery
from actors.ais.msg.core import MsgCore
from actors.ais.msg.messages import (
    GroupCreate,
    GroupInsert,
    GroupPolicy,
    Message,
    MessageGet,
    MessageSend,
    QueueAttributes,
    QueueOpen,
)
from actors.ais.sim.scenario import Outcome, pick_faults, script_faults, settle
from actors.ais.sim.simulator import Simulator
from actors.ais.sync.harness import LogEntry
from actors.ais.sync.replica import Operation
from actors.ais.totem.config import TotemConfig

SERVICES = ("ckpt", "evt", "msg", "lck")
CHECKPOINTS = ("cp0", "cp1")
SECTIONS = (b"s0", b"s1", b"s2")
CKPT_ATTRS = CreationAttributes(WriteMode.ALL_REPLICAS, 2048, 8, 256, retention_duration=1000.0)
CHANNEL = "bus"
PATTERNS = (b"a/x", b"a/y", b"b/x")
FILTERS = (
    Filter(FilterType.PREFIX, b"a/"),
    Filter(FilterType.SUFFIX, b"/x"),
    Filter(FilterType.EXACT, b"b/x"),
    Filter(FilterType.PASS_ALL),
)
GROUP = "pool"
QUEUE_ATTRS = QueueAttributes((120, 120, 120, 120), retention=1000.0)
RESOURCES = ("r0", "r1")
KEEP = 100.0
"""Retention of the events published to be retained: beyond the end of any run."""


@dataclass(frozen=True)
class ToService:
    """What the workload hands a node's `ServiceApp`: a client input for one service."""

    service: str
    item: ClientRequest | ClientGone


class Recorder:
    """Every incarnation's log of service inputs and effects (`LogEntry`, one step counter)."""

    def __init__(self) -> None:
        self.step = 0
        self.logs: dict[tuple[int, int], list[LogEntry]] = {}
        self.crashed: set[tuple[int, int]] = set()

    def add(self, node: int, inc: int, now: float, item: object, output: bool) -> None:
        self.step += 1
        self.logs.setdefault((node, inc), []).append(LogEntry(self.step, now, node, item, output))

    def by_node(self, keep: Callable[[tuple[int, int], LogEntry], bool] | None = None) -> dict:
        out: dict[int, list[LogEntry]] = {}
        for key, log in sorted(self.logs.items()):
            out.setdefault(key[0], []).extend(e for e in log if keep is None or keep(key, e))
        return out


class ServiceApp:
    """The four service cores of one node incarnation, as the executive hosts them: EVS
    events go to every core, client inputs and timers to theirs; everything is logged, and
    replies and callbacks go to the workload."""

    def __init__(self, node: int, inc: int, recorder: Recorder, workload: Workload) -> None:
        self.node, self.inc = node, inc
        self.cores = {
            "ckpt": CkptCore(node),
            "evt": EvtCore(node),
            "msg": MsgCore(node),
            "lck": LckCore(node),
        }
        self.recorder, self.workload = recorder, workload

    def handle(self, event: object, now: float = 0.0) -> list:
        if isinstance(event, ToService):
            targets, item = [self.cores[event.service]], event.item
        elif isinstance(event, TimerFired):
            targets, item = [self.cores[event.key[0]]], event
        else:
            targets, item = list(self.cores.values()), event
        self.recorder.add(self.node, self.inc, now, item, False)
        out = []
        for core in targets:
            for effect in core.handle(item, now):
                self.recorder.add(self.node, self.inc, now, effect, True)
                if isinstance(effect, Multicast | SetTimer | CancelTimer):
                    out.append(effect)
                else:
                    self.workload.answered(self.node, self.inc, effect)
        return out


@dataclass
class Conn:
    """One simulated client connection of one service on one node incarnation."""

    name: str
    service: str
    node: int
    inc: int
    handles: dict[str, int] = field(default_factory=dict)
    pending: dict[int, object] = field(default_factory=dict)
    filters: tuple[Filter, ...] = ()
    reading_back: bool = False
    retries: int = 0
    gone: bool = False


OPENS = (CheckpointOpen, ChannelOpen, QueueOpen, ResourceOpen)
MAX_RETRIES = 20


class Workload:
    """The applications: random calls (`act`), reactions to answers (`answered`).

    Connection slots per node incarnation and service: 0 and 1 make the random calls, 2 is the
    long-lived one (the queue's worker, the event subscriber), 3 reads back at the end."""

    def __init__(self, rng: random.Random, recorder: Recorder) -> None:
        self.rng = rng
        self.recorder = recorder
        self.sim: Simulator | None = None
        self.slots: dict[tuple[int, int, str, int], Conn] = {}
        self.by_name: dict[str, Conn] = {}
        self.filters: dict[int, tuple[Filter, ...]] = {}
        self.request_ids = 0
        self.counter = 0
        self.answers = 0

    # ---- plumbing -----------------------------------------------------------------------------

    def app(self, node: int, inc: int) -> list:
        """The simulator's `apps` factory: a fresh node incarnation."""
        if inc > 0:  # the clients of the previous life died with it; the new one starts over
            self.recorder.crashed.add((node, inc - 1))
            for conn in self.by_name.values():
                if (conn.node, conn.inc) == (node, inc - 1) and not conn.gone:
                    self.recorder.add(node, inc - 1, self.sim.now, ClientGone(conn.name), False)
            self._later(0.05, lambda: self.start_long_lived(node))
        return [ServiceApp(node, inc, self.recorder, self)]

    def _alive(self, node: int) -> int | None:
        n = self.sim.nodes.get(node)
        return None if n is None else n.log.inc

    def conn(self, node: int, service: str, slot: int) -> Conn | None:
        """The live connection in `slot` of the node's current incarnation (a new one after
        the last was closed); None while the node is down."""
        inc = self._alive(node)
        if inc is None:
            return None
        key = (node, inc, service, slot)
        conn = self.slots.get(key)
        if conn is None or conn.gone:
            conn = Conn(f"{service}-{node}.{inc}.{slot}.{len(self.by_name)}", service, node, inc)
            self.slots[key] = self.by_name[conn.name] = conn
        return conn

    def _send(self, conn: Conn, op: object) -> None:
        if self._alive(conn.node) != conn.inc or conn.gone:
            return
        self.request_ids += 1
        conn.pending[self.request_ids] = op
        request = ClientRequest(conn.name, self.request_ids, op)
        self.sim.to_app(conn.node, 0, ToService(conn.service, request))

    def _later(self, delay: float, fn: Callable[[], None]) -> None:
        self.sim.at(self.sim.now + delay, fn)

    def _close(self, conn: Conn) -> None:
        if self._alive(conn.node) == conn.inc and not conn.gone:
            conn.gone = True
            self.sim.to_app(conn.node, 0, ToService(conn.service, ClientGone(conn.name)))

    def _data(self) -> bytes:
        self.counter += 1
        return b"v%d" % self.counter

    # ---- random calls -------------------------------------------------------------------------

    def act(self, node: int, service: str) -> None:
        """One random call of `service` on `node` (nothing when the node is down)."""
        conn = self.conn(node, service, self.rng.randrange(2))
        if conn is not None:
            getattr(self, f"_act_{service}")(conn, self.rng)

    def _act_ckpt(self, conn: Conn, rng: random.Random) -> None:
        name = rng.choice(CHECKPOINTS)
        handle = conn.handles.get(name)
        if handle is None:
            self._send(conn, CheckpointOpen(name, CKPT_ATTRS, write=True, create=True))
            return
        section, roll = rng.choice(SECTIONS), rng.random()
        if roll < 0.35:
            self._send(conn, SectionCreate(handle, section, None, self._data()))
        elif roll < 0.7:
            self._send(conn, Overwrite(handle, section, self._data()))
        elif roll < 0.75:
            self._send(conn, SectionDelete(handle, section))
        elif roll < 0.95:
            self._send(conn, Read(handle, (ReadElement(section),)))
        elif roll < 0.98:
            del conn.handles[name]
            self._send(conn, CheckpointClose(handle))
        else:
            self._close(conn)

    def _act_evt(self, conn: Conn, rng: random.Random) -> None:
        handle = conn.handles.get(CHANNEL)
        if handle is None:
            self._send(conn, ChannelOpen(CHANNEL, create=True, publisher=True, subscriber=True))
        elif rng.random() < 0.02:
            self._close(conn)
        else:
            patterns = tuple(rng.choice(PATTERNS) for _ in range(rng.randint(1, 2)))
            retention = rng.choice((0.0, 0.0, 0.3, KEEP))
            data = self._data()
            self._send(conn, Publish(handle, patterns, rng.randint(0, 3), retention, "", data))

    def _act_msg(self, conn: Conn, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.1:
            self._send(conn, GroupCreate(GROUP, GroupPolicy.ROUND_ROBIN))
        elif roll < 0.25:
            self._send(conn, MessageSend(f"q{rng.randint(1, 3)}", Message(self._data())))
        else:
            self._send(conn, MessageSend(GROUP, Message(self._data(), rng.randint(0, 3))))

    def _act_lck(self, conn: Conn, rng: random.Random) -> None:
        name = rng.choice(RESOURCES)
        handle = conn.handles.get(name)
        if handle is None:
            self._send(conn, ResourceOpen(name, create=True))
        elif rng.random() < 0.03:
            self._close(conn)
        else:
            mode = LockMode.EX if rng.random() < 0.7 else LockMode.PR
            no_queue = rng.random() < 0.2
            timeout = rng.choice((None, 0.2, 1.0))
            invocation = self.request_ids if rng.random() < 0.3 else None
            self._send(conn, Lock(handle, mode, no_queue, False, 0, timeout, invocation))

    # ---- long-lived and final connections -----------------------------------------------------

    def start_long_lived(self, node: int) -> None:
        """`node`'s queue in the group with a worker getting from it, and its subscriber."""
        worker = self.conn(node, "msg", 2)
        subscriber = self.conn(node, "evt", 2)
        if worker is None or subscriber is None:
            return
        self._send(worker, QueueOpen(f"q{node}", QUEUE_ATTRS, create=True))
        subscriber.filters = self.filters[node]
        self._send(subscriber, ChannelOpen(CHANNEL, create=True, subscriber=True))

    def read_back(self, node: int) -> str | None:
        """Fresh connections on `node`: one opens every checkpoint and reads every section,
        one subscribes to everything (getting the retained events). Returns the latter's name."""
        reader, late = self.conn(node, "ckpt", 3), self.conn(node, "evt", 3)
        if reader is None or late is None:
            return None
        reader.reading_back = True
        for name in CHECKPOINTS:
            self._send(reader, CheckpointOpen(name))
        late.filters = (Filter(FilterType.PASS_ALL),)
        self._send(late, ChannelOpen(CHANNEL, create=True, subscriber=True))
        return late.name

    # ---- reactions ----------------------------------------------------------------------------

    def answered(self, node: int, inc: int, effect: object) -> None:
        """A reply or callback for a connection of node `node` incarnation `inc`."""
        conn = self.by_name.get(effect.conn)  # type: ignore[attr-defined]
        if conn is None or conn.gone:
            return
        if isinstance(effect, Reply):
            self.answers += 1
            op = conn.pending.pop(effect.request_id, None)
            self._later(0.0, lambda: self._on_reply(conn, op, effect.result))
        elif isinstance(effect, Callback):
            self._later(0.0, lambda: self._on_callback(conn, effect.payload))

    def _on_reply(self, conn: Conn, op: object, result: object) -> None:
        failed = isinstance(result, AisError)
        if failed and isinstance(op, (*OPENS, Subscribe, EventGet)):
            if conn.retries < MAX_RETRIES:  # TRY_AGAIN during a sync, BUSY, ...
                conn.retries += 1
                self._later(0.1, lambda: self._send(conn, op))
        elif isinstance(op, OPENS):
            conn.handles[op.name] = result.handle  # type: ignore[attr-defined]
            self._opened(conn, op, result.handle)  # type: ignore[attr-defined]
        elif isinstance(op, EventGet) and isinstance(result, Event):
            self._send(conn, EventGet())
        elif isinstance(op, MessageGet) and not (failed and result.code.name.endswith("HANDLE")):
            self._later(self.rng.uniform(0.0, 0.1), lambda: self._send(conn, op))
        elif isinstance(result, LockResult) and result.status is LockStatus.GRANTED:
            self._hold(conn, result.lock_id)

    def _opened(self, conn: Conn, op: object, handle: int) -> None:
        if conn.reading_back:
            for section in SECTIONS:
                self._send(conn, Read(handle, (ReadElement(section),)))
        elif isinstance(op, ChannelOpen) and conn.filters:
            self._send(conn, Subscribe(handle, conn.filters, 1))
        elif isinstance(op, QueueOpen):
            self._send(conn, GroupCreate(GROUP, GroupPolicy.ROUND_ROBIN))
            self._send(conn, GroupInsert(GROUP, op.name))
            self._send(conn, MessageGet(handle, 0.3))

    def _on_callback(self, conn: Conn, payload: object) -> None:
        if isinstance(payload, EventsAvailable):
            self._send(conn, EventGet())
        elif isinstance(payload, LockGrant) and payload.status is LockStatus.GRANTED:
            self._hold(conn, payload.lock_id)

    def _hold(self, conn: Conn, lock_id) -> None:
        self._later(self.rng.uniform(0.02, 0.3), lambda: self._send(conn, Unlock(lock_id)))


def retained_misses(recorder: Recorder, late: set[str]) -> list[str]:
    """Events acknowledged as published with retention beyond the run (`KEEP`), by a node
    that survived (or delivered at one that did), that a late subscriber (`late` connections,
    PASS_ALL) did not get, unless its queue overflowed (it got the lost-event notice)."""
    survivors = {k for k in recorder.logs if k not in recorder.crashed}
    applied_at_survivor: set[tuple[int, object, int]] = set()
    for key in survivors:
        for e in recorder.logs[key]:
            item = e.item
            if isinstance(item, Delivery) and isinstance(item.payload, Operation):
                op = item.payload
                if op.service == "evt" and op.request_id is not None:
                    applied_at_survivor.add((op.origin, op.conn, op.request_id))
    asked: dict[tuple[int, object, int], object] = {}
    kept: dict[int, str] = {}
    got: dict[str, set[int]] = {name: set() for name in late}
    for key, log in recorder.logs.items():
        for e in log:
            item = e.item
            if isinstance(item, ClientRequest) and not e.output:
                asked[(e.node, item.conn, item.request_id)] = item.op
            elif isinstance(item, Reply) and e.output:
                request = (e.node, item.conn, item.request_id)
                body = asked.get(request)
                if isinstance(item.result, Published) and isinstance(body, Publish):
                    alive = key in survivors or request in applied_at_survivor
                    if alive and body.retention >= KEEP:
                        kept[item.result.event_id] = item.conn
                elif isinstance(item.result, Event) and item.conn in got:
                    got[item.conn].add(item.result.event_id)
    return [
        f"late subscriber {name} missed retained events {sorted(set(kept) - ids)}"
        for name, ids in sorted(got.items())
        if set(kept) - ids and EVENT_ID_LOST not in ids  # a full queue drops, and says so
    ]


def run_services_scenario(
    seed: int,
    nodes: tuple[int, int] = (2, 5),
    duration: float = 2.0,
    config: TotemConfig | None = None,
    faults: tuple[str, ...] | None = None,
) -> Outcome:
    """Run one seeded service scenario and check it (see the module docstring)."""
    return simulate_services(seed, nodes, duration, config, faults)[0]


def simulate_services(
    seed: int,
    nodes: tuple[int, int] = (2, 5),
    duration: float = 2.0,
    config: TotemConfig | None = None,
    faults: tuple[str, ...] | None = None,
) -> tuple[Outcome, Recorder]:
    """`run_services_scenario`, also returning the logs."""
    rng = random.Random(seed)
    n = rng.randint(*nodes)
    faults, net = pick_faults(rng, faults)
    script: list[str] = []
    recorder = Recorder()
    workload = Workload(random.Random(rng.randrange(2**32)), recorder)
    sim = Simulator(n, rng.randrange(2**32), config, net, apps=workload.app)
    workload.sim = sim
    ids = sim.node_ids

    def log(when: float, what: str, fn) -> None:
        script.append(f"t={when:.3f} {what}")
        sim.at(when, fn)

    for node in ids:
        workload.filters[node] = tuple(rng.choice(FILTERS) for _ in range(rng.randint(1, 2)))
        sim.at(0.3, lambda node=node: workload.start_long_lived(node))
    for _ in range(rng.randint(80, 200)):
        when = rng.uniform(0.3, duration + 0.5)
        node, service = rng.choice(ids), rng.choice(SERVICES)
        sim.at(when, lambda node=node, service=service: workload.act(node, service))
    end = script_faults(sim, rng, faults, duration, log)
    live, settled = settle(sim, end)
    violations = [] if settled else [f"no single ring of {live} by t={sim.now:.1f}"]
    sim.run_until(sim.now + 0.5)  # the services sync after the ring settles
    from_step = recorder.step
    late = {name for name in map(workload.read_back, live) if name is not None}
    sim.run_until(sim.now + 2.0)
    recorder.crashed |= {(life.node, life.inc) for life in sim.logs if life.crashed}
    all_nodes = tuple(ids)
    everything = recorder.by_node()
    survivors = {k for k in recorder.logs if k not in recorder.crashed}
    delivered_at_survivor = {
        (e.item.payload.origin, e.item.payload.conn, e.item.payload.request_id)
        for k in survivors
        for e in recorder.logs[k]
        if isinstance(e.item, Delivery) and isinstance(e.item.payload, Operation)
    }

    def replica_survived(key: tuple[int, int], e: LogEntry) -> bool:
        """Keep every entry but a crashed life's acknowledgement (None) of a change that no
        survivor delivered."""
        if key in survivors or not (e.output and isinstance(e.item, Reply)):
            return True
        if e.item.result is not None:
            return True
        return (e.node, e.item.conn, e.item.request_id) in delivered_at_survivor

    stable = not recorder.crashed and all(  # one configuration all along: nothing excused
        sum(isinstance(e.item, ConfigurationChange) for e in log) <= 1
        for log in recorder.logs.values()
    )
    problems = {
        "lck": check_lock_exclusion(everything, all_nodes),
        "ckpt": check_ckpt_durability(recorder.by_node(replica_survived), from_step),
        "evt": check_event_delivery(everything, complete=stable),
        "msg": check_message_delivery(everything, all_nodes),
    }
    if settled:
        problems["evt"] += retained_misses(recorder, late)
    violations += [f"{service}: {p}" for service, found in problems.items() for p in found]
    return Outcome(seed, n, faults, violations, workload.answers, sim.now, script), recorder
