"""The totem actor: one node's TotemCore and every service core, driven from one thread.

Inputs arrive in its inbox: totem frames from the peers' totem actors, its own timers, client
hellos, requests and finalizes, operator queries. Effects are carried out here: frames to the
peers (`PeerLinks`), timers on `host.timers`, EVS events into the service cores, their
multicasts back into totem, their replies and callbacks
told to the clients' mailboxes (a burst of them travels as one frame).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

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
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.executive.links import PeerLinks
from actors.ais.executive.messages import (
    BenchLoad,
    BenchPayload,
    BenchQuery,
    BenchReset,
    BenchResult,
    Finalize,
    GetEvsLog,
    GetRing,
    Hello,
    Notified,
    Replied,
    Request,
    RingView,
)
from actors.ais.executive.services import DeliveryRouter, ExecutiveSettings, build_services
from actors.ais.totem.core import TotemCore
from actors.ais.totem.effects import Send
from actors.ais.totem.messages import CommitToken, Join, Mcast, MergeDetect, Token
from actors.runtime.actor import Actor
from actors.runtime.procfs import pid_alive, start_time
from actors.runtime.ref import resolve

log = logging.getLogger("ringleader.executive")

FRAMES = (Mcast, Token, Join, CommitToken, MergeDetect)
MAILBOX = "mailbox"
"""The actor of a client process that takes the executive's answers (`actors.ais.client`)."""
LIVENESS_PERIOD = 0.5
"""How often the pids of connected clients are checked (a dead one becomes ClientGone)."""
STATE_FILE = "totem.json"
TRACE_ENV = "RINGLEADER_EVS_TRACE"
"""Set to 1 in the node supervisor's environment to keep every EVS event (see GetEvsLog)."""


@dataclass(frozen=True)
class _Timer:
    key: object
    gen: int


@dataclass
class _Client:
    pid: int
    started: int | None
    mailbox: object
    services: set


class TotemActor(Actor):
    """See the module docstring; one per executive, reachable as `<node>/executive/totem`."""

    def __init__(self, settings: ExecutiveSettings) -> None:
        super().__init__()
        self.settings = settings
        self._timers: dict[object, tuple[int, object]] = {}
        self._gen = 0
        self._totem_inputs: deque = deque()
        self._busy = False
        self._clients: dict[str, _Client] = {}
        self._cause: tuple = ()
        self._bench = _BenchCounters()
        self._evs_log: list | None = [] if os.environ.get(TRACE_ENV) == "1" else None

    # ---- life ---------------------------------------------------------------------------------

    def on_start(self) -> None:
        s = self.settings
        self._state_path = Path(s.state_dir) / STATE_FILE
        saved = self._load_state()
        incarnation = max(int(time.time() * 1000) % (1 << 62), saved.get("incarnation", -1) + 1)
        self._ring_seq_saved = saved.get("ring_seq", 0)
        self._save_state(incarnation, self._ring_seq_saved)
        self._incarnation = incarnation
        self.core = TotemCore(s.node_id, incarnation, s.totem, self._ring_seq_saved)
        self.services = build_services(s, time.time())
        self.router = DeliveryRouter(self.services)
        self.links = PeerLinks(self.host, s.node_id, s.names)
        self._ring: ConfigurationChange | None = None
        self._apply(self.core.start(time.monotonic()))
        self._schedule("_liveness", LIVENESS_PERIOD)
        log.info("node %s: totem started, incarnation %d", s.node_name, incarnation)

    def on_stop(self) -> None:
        if hasattr(self, "links"):
            self.links.close()
        for entry in self._timers.values():
            entry[1].cancel()

    def _load_state(self) -> dict:
        try:
            return json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return {}

    def _save_state(self, incarnation: int, ring_seq: int) -> None:
        tmp = self._state_path.with_name(f".{STATE_FILE}.tmp")
        try:
            tmp.write_text(json.dumps({"incarnation": incarnation, "ring_seq": ring_seq}))
            os.replace(tmp, self._state_path)
        except OSError as exc:
            log.warning("cannot save totem state in %s: %s", self._state_path, exc)

    # ---- inbox --------------------------------------------------------------------------------

    def on_receive(self, message):
        kind = type(message)
        result = None
        if kind in FRAMES:
            self._feed(message)
        elif kind is Request:
            self._request(message)
        elif kind is _Timer:
            self._timer(message)
        elif kind is Hello:
            self.host.add_peer(message.mailbox.address.process_key, message.endpoint)
            self.host.forget(message.mailbox.address)  # a client process key seen before
            self._clients[message.conn] = _Client(
                message.pid, start_time(message.pid), message.mailbox, set()
            )
        elif kind is Finalize:
            self._gone(message.conn)
        elif kind is GetRing:
            ring = self._ring
            result = RingView(
                self.settings.node_id,
                self.core.operational,
                ring.ring_id if ring else None,
                ring.members if ring else (),
                len(self._clients),
            )
        elif kind is GetEvsLog:
            log_ = self._evs_log
            result = None if log_ is None else (self.settings.node_id, self._incarnation, log_)
        elif kind is BenchLoad:
            self._bench_load(message)
        elif kind is BenchReset:
            result, self._bench = self._bench.delivered, _BenchCounters()
        elif kind is BenchQuery:
            result = self._bench.result()
        else:
            return super().on_receive(message)
        return result

    # ---- totem --------------------------------------------------------------------------------

    def _feed(self, event) -> None:
        """Feed totem one input; service multicasts raised meanwhile go in after, in order."""
        self._totem_inputs.append(event)
        if self._busy:
            return
        self._busy = True
        try:
            inputs, core = self._totem_inputs, self.core
            while inputs:
                self._apply(core.handle(inputs.popleft(), 0.0))
        finally:
            self._busy = False

    def _apply(self, effects: list) -> None:
        for e in effects:
            kind = type(e)
            if kind is Send:
                if e.dest == self.settings.node_id:
                    self.ref.tell(e.frame)
                else:
                    self.links.send(e.dest, e.frame)
            elif kind is Delivery:
                payload = e.payload
                if type(payload) is BenchPayload:
                    self._bench.delivered_one(payload)
                    continue
                if self._evs_log is not None:
                    self._evs_log.append(e)
                self._cause = (e.ring_id, e.seq)
                now = time.time()
                for core in self.router.cores_for(payload):
                    effects_out = core.handle(e, now)
                    if effects_out:
                        self._service_effects(core, effects_out)
            elif kind is SetTimer:
                self._schedule(e.key, e.delay)
            elif kind is CancelTimer:
                self._cancel(e.key)
            elif kind is ConfigurationChange:
                self._configuration(e)

    def _configuration(self, change: ConfigurationChange) -> None:
        if self._evs_log is not None:
            self._evs_log.append(change)
        log.warning(
            "node %s: %s configuration %s members %s joined %s left %s",
            self.settings.node_name,
            change.kind,
            change.ring_id,
            list(change.members),
            list(change.joined),
            list(change.left),
        )
        if change.kind == "regular":
            self._ring = change
            if self.core.max_ring_seq > self._ring_seq_saved:
                self._ring_seq_saved = self.core.max_ring_seq
                self._save_state(self._incarnation, self._ring_seq_saved)
        self._cause = (change.kind, change.ring_id)
        now = time.time()
        for core in self.services.values():
            effects_out = core.handle(change, now)
            if effects_out:
                self._service_effects(core, effects_out)

    # ---- services -----------------------------------------------------------------------------

    def _service_effects(self, core, effects: list) -> None:
        for e in effects:
            kind = type(e)
            if kind is Multicast:
                self._feed(e)
            elif kind is Callback:
                self._to_client(e.conn, Notified(e.conn, e.payload, self._cause))
            elif kind is Reply:
                self._to_client(e.conn, Replied(e.conn, e.request_id, e.result))
            elif kind is SetTimer:
                self._schedule(("svc", id(core), e.key), e.delay, core)
            elif kind is CancelTimer:
                self._cancel(("svc", id(core), e.key))

    def _request(self, req: Request) -> None:
        client = self._clients.get(req.conn)
        core = self.services.get(req.service)
        if client is None or core is None:
            why = "unknown service"
            if client is None:
                why = "connection unknown to this executive (restarted since?): open a new one"
            error = AisError(AisErrorCode.BAD_HANDLE, f"{req.service}: {why}")
            reply = Replied(req.conn, req.request_id, error)
            if client is not None:
                self._to_client(req.conn, reply)
            elif req.endpoint and "#" in req.conn:
                process_key = req.conn.rsplit("#", 1)[0]
                self.host.add_peer(process_key, req.endpoint)
                mailbox = resolve(f"{process_key}/{MAILBOX}", host=self.host)
                self.host.forget(mailbox.address)
                mailbox.tell(reply)
            return
        client.services.add(req.service)
        self._cause = ()
        effects = core.handle(ClientRequest(req.conn, req.request_id, req.op), time.time())
        if effects:
            self._service_effects(core, effects)

    def _gone(self, conn: str) -> None:
        client = self._clients.pop(conn, None)
        if client is None:
            return
        log.info("client %s (pid %d) gone", conn, client.pid)
        self._cause = ()
        now = time.time()
        for name in sorted(client.services):
            core = self.services[name]
            effects = core.handle(ClientGone(conn), now)
            if effects:
                self._service_effects(core, effects)

    def _to_client(self, conn: str, message: object) -> None:
        """Tell the client's mailbox (the runtime packs a burst of tells into one frame)."""
        client = self._clients.get(conn)
        if client is not None:
            client.mailbox.tell(message)

    # ---- timers -------------------------------------------------------------------------------

    def _schedule(self, key, delay: float, core=None) -> None:
        old = self._timers.get(key)
        if old is not None:
            old[1].cancel()
        self._gen += 1
        handle = self.host.timers.schedule(delay, self.ref, _Timer(key, self._gen))
        self._timers[key] = (self._gen, handle, core) if core is not None else (self._gen, handle)

    def _cancel(self, key) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old[1].cancel()

    def _timer(self, fired: _Timer) -> None:
        entry = self._timers.get(fired.key)
        if entry is None or entry[0] != fired.gen:
            return
        del self._timers[fired.key]
        key = fired.key
        if key == "_liveness":
            self._check_clients()
            self._schedule("_liveness", LIVENESS_PERIOD)
        elif type(key) is tuple and key[0] == "svc":
            core = entry[2]
            self._cause = ()
            effects = core.handle(TimerFired(key[2]), time.time())
            if effects:
                self._service_effects(core, effects)
        else:
            self._feed(TimerFired(key))

    def _check_clients(self) -> None:
        for conn, client in list(self._clients.items()):
            if not pid_alive(client.pid, client.started):
                self._gone(conn)

    # ---- benchmark ----------------------------------------------------------------------------

    def _bench_load(self, load: BenchLoad) -> None:
        me, data = self.settings.node_id, b"x" * load.size
        for k in range(load.count):
            self._feed(Multicast(BenchPayload(me, k, time.time(), data)))


class _BenchCounters:
    def __init__(self) -> None:
        self.delivered = 0
        self.first = 0.0
        self.last = 0.0
        self.latencies: list[float] = []

    def delivered_one(self, payload: BenchPayload) -> None:
        now = time.time()
        if not self.delivered:
            self.first = now
        self.delivered += 1
        self.last = now
        self.latencies.append(now - payload.stamp)

    def result(self) -> BenchResult:
        return BenchResult(self.delivered, self.first, self.last, tuple(self.latencies))
