"""The controller actor (`<node>/crm/controller`): `ControllerCore` plus its IO.

- the `ringleader-crmd` CPG group (GroupLink): views and agreed messages in, multicasts out;
- the local CIB (subscribed: `ConfigChanged`), attribute manager (subscribed: `Changed`), LRM
  (requester and watcher: `OpReport`; its history read every `LRM_POLL` seconds, so a
  restarted LRM is noticed and re-probed), fencer (`FenceRequest` with our ref: the
  `FenceEvent` comes back), executive (QuorumClient notifications);
- timers on the host's clock.

Asks: `GetStatus()` -> a dict with the DC's view (forwarded to the DC when this node is not it);
`Cleanup(rsc, node)` -> multicast to the DC. A stop request is held while the DC moves this
node's resources away (a clean `node stop`), for at most `SHUTDOWN_WAIT` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from actors.agents.results import OcfResult
from actors.ais.client.group import GroupLink, GroupMessage, GroupView
from actors.ais.client.quorum import QuorumClient
from actors.ais.quorum.messages import QuorumNotification, TrackFlags
from actors.config import load_config
from actors.crm.attrd import ATTRD_ACTOR
from actors.crm.attrd.actor import SubscribeAttributes, view_change
from actors.crm.attrd.core import Changed
from actors.crm.attrd.core import Set as SetAttr
from actors.crm.cib.messages import CIB_ACTOR, ConfigChanged, Subscribe
from actors.crm.controller import CRMD_GROUP
from actors.crm.controller import messages as m
from actors.crm.controller.core import ControllerCore
from actors.crm.lrm import lrm_address
from actors.crm.lrm.actor import GetHistory, OpReport, ResourceOps
from actors.crm.lrm.history import ResourceHistory
from actors.crm.lrm.messages import CancelOp, DeleteResource, OpRequest, Watch
from actors.runtime.actor import Actor, StopRequest
from actors.runtime.ref import resolve
from fencing.fencer import GetHistory as GetFenceHistory
from fencing.messages import FenceEvent, FenceRequest
from fencing.process import fencer_address
from transport import serialize

log = logging.getLogger("ringleader.controller")

CONNECT_RETRY = 0.5
LRM_POLL = 1.0  # seconds between checks that the LRM is the one we know
SHUTDOWN_WAIT = 4.0  # a clean stop waits this long for the DC to move resources away (the
# supervisor gives a process 5 s after SIGTERM)


@dataclass(frozen=True)
class GetStatus:
    forwarded: bool = False


@dataclass(frozen=True)
class Cleanup:
    rsc_id: str
    node: str | None = None


@dataclass(frozen=True)
class _Timer:
    key: object


@dataclass(frozen=True)
class _LrmBack:
    histories: tuple[ResourceHistory, ...]
    restarted: bool


class _Connect:
    pass


class _ShutdownTimeout:
    pass


def histories_from(resources: tuple[ResourceOps, ...]) -> tuple[ResourceHistory, ...]:
    """The LRM's `GetHistory` answer as `ResourceHistory` records."""
    out = []
    for res in resources:
        hist = ResourceHistory(res.rsc_id, res.spec)
        for record_id, record in res.ops:
            if record_id.endswith("_last_failure_0"):
                hist.last_failure = record
            elif record.interval_ms:
                hist.recurring[(record.action, record.interval_ms)] = record
            else:
                hist.last = record
        out.append(hist)
    return tuple(out)


class Controller(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self._config_path = config_path
        config = load_config(config_path)
        self._node = config.node
        self._names = {n.id: n.name for n in config.nodes}
        self.core = ControllerCore(self._node, {n.name: n.id for n in config.nodes})
        self._link: GroupLink | None = None
        self._members: tuple[str, ...] = ()
        self._quorum: QuorumClient | None = None
        self._stopping = threading.Event()
        self._held_stop: Any = None

    # ---- start and stop ---------------------------------------------------------------------

    def on_start(self) -> None:
        node = self._node
        self._cib = resolve(f"{node}/crm/{CIB_ACTOR}", host=self.host)
        self._attrd = resolve(f"{node}/crm/{ATTRD_ACTOR}", host=self.host)
        self._lrm = resolve(lrm_address(node), host=self.host)
        self._fencer = resolve(fencer_address(node), host=self.host)
        self._cib.tell(Subscribe(self.ref))
        self._attrd.tell(SubscribeAttributes(self.ref))
        threading.Thread(target=self._follow_lrm, name="controller-lrm", daemon=True).start()
        self.ref.tell(_Connect())

    def _connect(self) -> None:
        if self._link is None:
            try:
                self._link = GroupLink(CRMD_GROUP, self.ref, config=self._config_path)
            except Exception as exc:  # noqa: BLE001 - the executive is not serving yet
                log.debug("%s: controller cannot join %s yet: %s", self._node, CRMD_GROUP, exc)
                self.host.timers.schedule(CONNECT_RETRY, self.ref, _Connect())
                return
        if self._quorum is None:
            me = self.ref
            try:
                quorum = QuorumClient(notify=me.tell, config=self._config_path)
                quorum.trackstart(TrackFlags.CURRENT | TrackFlags.CHANGES)
                quorate = quorum.getquorate()
            except Exception as exc:  # noqa: BLE001 - as above
                log.debug("%s: no quorum service yet: %s", self._node, exc)
                self.host.timers.schedule(CONNECT_RETRY, self.ref, _Connect())
                return
            quorum.start_dispatch_thread()
            self._quorum = quorum
            self._feed(m.QuorumUpdated(quorate))

    def _follow_lrm(self) -> None:
        """Tell the actor the LRM's history when it first answers and whenever it answers
        again after not answering (restarted: what it ran before is unknown to it)."""
        answered, lost = False, False
        while not self._stopping.is_set():
            try:
                self._lrm.tell(Watch(self.ref))  # a restarted LRM has forgotten its watchers
                answer = self._lrm.ask(GetHistory(), timeout=5.0).get()
            except Exception:  # noqa: BLE001 - down or restarting: ask again
                lost = answered
            else:
                self.ref.tell(_LrmBack(histories_from(answer), lost))
                answered, lost = True, False
            self._stopping.wait(LRM_POLL)

    def _handle_receive(self, message: Any) -> Any:
        if isinstance(message, StopRequest) and self._held_stop is None and self._may_hold():
            # A clean stop: ask the DC to move what runs here first, then stop.
            self._held_stop = self.defer_reply() or True
            self._feed(m.ShutdownRequested())
            self.host.timers.schedule(SHUTDOWN_WAIT, self.ref, _ShutdownTimeout())
            return None
        return super()._handle_receive(message)

    def _may_hold(self) -> bool:
        return self._link is not None and len(self._members) > 1

    def _release(self) -> None:
        held, self._held_stop = self._held_stop, False
        if held not in (None, False, True):
            held.set(None)
        self._stop()

    def on_stop(self) -> None:
        self._stopping.set()
        if self._link is not None:
            self._link.close()
        if self._quorum is not None:
            try:
                self._quorum.finalize()
            except Exception:  # noqa: BLE001 - the executive may be gone already
                pass

    # ---- messages ---------------------------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        match message:
            case GroupView():
                members, joined, left = view_change(message, self._names, self._members)
                self._members = members
                self._feed(m.ViewChanged(members, joined, left))
            case GroupMessage(_, nodeid, _, data):
                if isinstance(data, bytes):
                    sender = self._names.get(nodeid, str(nodeid))
                    self._feed(m.Delivered(sender, serialize.loads(data)))
            case ConfigChanged(_, xml):
                self._feed(m.ConfigUpdated(xml))
            case Changed(table):
                self._feed(m.AttributesUpdated(table))
            case OpReport(_, record):
                self._feed(m.LrmResult(record))
            case _LrmBack(histories, restarted):
                self._feed(m.LrmHistories(histories, restarted))
            case FenceEvent():
                self._feed(m.FenceCompleted(message.target, message.ok, message.reason))
            case QuorumNotification(quorate, _, members):
                ring = tuple(self._names.get(n, str(n)) for n in members)
                self._feed(m.QuorumUpdated(quorate, ring))
            case _Timer(key):
                self._feed(m.TimerFired(key))
            case _Connect():
                self._connect()
            case _ShutdownTimeout():
                if self._held_stop:
                    log.warning("%s: stopping before the DC moved everything away", self._node)
                    self._release()
            case GetStatus(forwarded):
                return self._status(forwarded)
            case Cleanup(rsc_id, node):
                if self._link is None:
                    raise RuntimeError("the controller has not joined the cluster yet")
                self._link.mcast(serialize.dumps(m.CleanupRequest(rsc_id, node)))
                return self.core.election.dc
            case _:
                return super().on_receive(message)
        return None

    def _feed(self, event: object) -> None:
        for effect in self.core.handle(event, time.time()):
            self._do(effect)

    def _do(self, effect: object) -> None:
        match effect:
            case m.Mcast(payload):
                if self._link is not None:
                    self._link.mcast(serialize.dumps(payload))  # opaque to the executive
            case m.RunOp(c):
                self._lrm.tell(
                    OpRequest(
                        c.rsc_id,
                        c.spec,
                        c.action,
                        dict(c.params),
                        dict(c.meta),
                        c.interval_ms,
                        c.timeout_ms,
                        OcfResult(c.expected_rc),
                        requester=self.ref,
                    )
                )
            case m.DeleteLocal(rsc_id):
                self._lrm.tell(DeleteResource(rsc_id))
            case m.CancelLocal(rsc_id, action, interval_ms):
                self._lrm.tell(CancelOp(rsc_id, action, interval_ms))
            case m.Fence(target, action):
                log.warning("%s: fencing %s (%s)", self._node, target, action)
                self._fencer.tell(FenceRequest(target, action, self.ref, client="controller"))
            case m.SetAttribute(node, name, value):
                self._attrd.tell(SetAttr(node, name, value))
            case m.SetTimer(key, delay):
                self.host.timers.schedule(delay, self.ref, _Timer(key))
            case m.ShutdownComplete():
                if self._held_stop:
                    log.info("%s: resources moved away, stopping", self._node)
                    self._release()
            case m.Note(text):
                log.info("%s: %s", self._node, text)

    # ---- status -----------------------------------------------------------------------------

    def _status(self, forwarded: bool) -> dict:
        core = self.core
        dc = core.election.dc
        if not core.is_dc and dc is not None and not forwarded:
            try:
                ref = resolve(f"{dc}/crm/controller", host=self.host)
                return ref.ask(GetStatus(forwarded=True), timeout=5.0).get()
            except Exception as exc:  # noqa: BLE001 - the DC is unreachable: say what we know
                log.info("%s: DC %s does not answer: %s", self._node, dc, exc)
        try:
            fencing = self._fencer.ask(GetFenceHistory(None), timeout=3.0).get()
        except Exception:  # noqa: BLE001 - fencing history is optional in the status
            fencing = None
        return {
            "node": self._node,
            "dc": dc,
            "members": list(core.election.members),
            "quorate": core.quorate,
            "cib": core.cib(time.time()) if core.is_dc else None,
            "joined": sorted(core.dc.joins.joined) if core.dc else [],
            "fencing": list(fencing) if fencing is not None else None,
        }
