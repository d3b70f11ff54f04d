"""The LRM actor: `LrmCore` plus the IO — agent runs through the privileged child, stonith
resources through the fencer, timers, reports to requesters and watchers.

Clients (the controller) tell it the core's inputs with Refs of their own: `OpRequest(...,
requester=ref)`, `Watch(ref)`, `CancelOp`, `DeleteResource`; each result reaches them as an
`OpReport`. A client that is not one of the node's processes first tells `Introduce(ref,
endpoint)` so the LRM can reach it. `ask(RunOnce(request))` answers one operation's `OpReport`
(`ringleader resource exec`); `ask(GetHistory())` every resource's operation history (for the
controller to rebuild the CIB status section).

The actor is never blocked. An OCF/LSB operation is told to the privileged child as
`Submit(RunAgent, reply_to=us)` and its `AgentRan` comes back as a tell (no thread waits; a
timer gives up at the agent's timeout plus a grace). A stonith-class resource goes to the node's
fencer from a worker thread (start registers the device, stop unregisters it, monitor asks
whether it is registered). The privileged child is followed by a `ChildWatch`: its loss (or a
run that could not reach it) is `ExecutorLost` — what was running is reported failed,
NOT_CONNECTED, never succeeded — and its return `ExecutorReady`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, get_args

import pykka

from actors.agents.execute import AgentRan
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.agents.spec import AgentSpec, Standard
from actors.crm.lrm.core import LrmCore
from actors.crm.lrm.history import OpRecord
from actors.crm.lrm.messages import (
    CancelOp,
    CancelTimer,
    DeleteResource,
    ExecResult,
    Execute,
    ExecutorLost,
    ExecutorReady,
    Input,
    OpRequest,
    Report,
    SetTimer,
    TimerFired,
)
from actors.errors import UserError
from actors.privileged import agents_address
from actors.privileged.agents import Submit
from actors.privileged.client import ASK_GRACE
from actors.privileged.identity import ChildIdentity
from actors.privileged.watch import ChildWatch
from actors.runtime.actor import Actor
from actors.runtime.errors import ActorUnreachable
from actors.runtime.ref import Ref, resolve
from actors.runtime.timers import Timers
from fencing.fencer import GetDevices, RegisterDevice, UnregisterDevice
from fencing.process import fencer_address

log = logging.getLogger("ringleader.lrm")

# Everything is imported at the top: the process drops root after loading this module, and may
# not be able to read the Python installation afterwards.
CORE_INPUTS = get_args(Input)
FENCER_TIMEOUT = 30.0  # seconds for a register / unregister / list ask to the fencer


# ---- the actor's own messages -----------------------------------------------------------------


@dataclass(frozen=True)
class GetHistory:
    """Ask: every resource's history, as a tuple of `ResourceOps`."""


@dataclass(frozen=True)
class RunOnce:
    """Ask: run `request` once (a recurring one is cancelled after its first result) and
    answer its `OpReport`. A resource the LRM did not know is forgotten again afterwards."""

    request: OpRequest


@dataclass(frozen=True)
class Introduce:
    """A client outside the node's processes (a command, a test) says where the process of
    `ref` listens, so reports can reach it. Node processes cannot be redirected this way."""

    ref: Ref
    endpoint: str


@dataclass(frozen=True)
class ResourceOps:
    """One resource's `lrm_resource`: its agent and its `lrm_rsc_op` records, each with the
    id Pacemaker gives it (`web_last_0`, `web_last_failure_0`, `web_monitor_10000`)."""

    rsc_id: str
    spec: AgentSpec
    ops: tuple[tuple[str, OpRecord], ...]


@dataclass(frozen=True)
class OpReport:
    """An operation result, told to the op's requester and to the watchers."""

    node: str
    record: OpRecord


@dataclass(frozen=True)
class _Waiter:
    """The requester of a `RunOnce`: its reply is the deferred ask's."""

    number: int


@dataclass(frozen=True)
class _ChildUp:
    identity: ChildIdentity


@dataclass(frozen=True)
class _ChildLost:
    reason: str


@dataclass(frozen=True)
class _Overdue:
    """No answer from the privileged child for `call_id` within its timeout plus a grace."""

    call_id: int


@dataclass(frozen=True)
class _Ran:
    """A worker finished `call_id`; `generation`: the child watch's when it was sent to the
    privileged child (None: it went to the fencer)."""

    call_id: int
    result: OpResult
    generation: int | None


# ---- the actor --------------------------------------------------------------------------------


class LrmActor(Actor):
    def __init__(
        self,
        node: str,
        child: Ref | None = None,
        fencer: Ref | None = None,
        max_workers: int = 8,
        clock: Callable[[], float] = time.time,
        grace: float = ASK_GRACE,
    ) -> None:
        super().__init__()
        self.node = node
        self.core = LrmCore()
        self._child = child
        self._fencer = fencer
        self._clock = clock
        self._grace = grace  # beyond an op's timeout before the child counts as unreachable
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lrm-fencer")
        self._timers = Timers()
        self._handles: dict[Any, Any] = {}
        self._watch: ChildWatch | None = None
        self._waiters: dict[_Waiter, tuple[Any, OpRequest, bool]] = {}  # reply, req, forget
        # Runs at the child, by the call id it was given: (core call id, watch generation,
        # overdue timer). The id carries this actor's epoch, so an answer meant for an earlier
        # LRM (restarted while the child still ran its op) is not taken for one of ours.
        self._epoch = secrets.randbits(30) << 32
        self._at_child: dict[int, tuple[int, int, Any]] = {}
        self._next_waiter = 1

    def on_start(self) -> None:
        self._child = self._child or resolve(agents_address(self.node), host=self.host)
        self._fencer = self._fencer or resolve(fencer_address(self.node), host=self.host)
        self._node_peers = frozenset(self.host.peers)  # never redirected by `Introduce`
        self._feed(ExecutorLost("waiting for the privileged child"))  # until it answers
        me = self.actor_ref
        self._watch = ChildWatch(
            self._child,
            on_ready=lambda identity: _tell(me, _ChildUp(identity)),
            on_lost=lambda reason: _tell(me, _ChildLost(reason)),
        ).start()

    def on_stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()
        self._timers.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def on_receive(self, message: Any) -> Any:
        match message:
            case GetHistory():
                return tuple(
                    ResourceOps(h.rsc_id, h.spec, tuple(h.records())) for h in self.core.histories()
                )
            case RunOnce(request):
                waiter = _Waiter(self._next_waiter)
                self._next_waiter += 1
                forget = self.core.history(request.rsc_id) is None
                self._waiters[waiter] = (self.defer_reply(), request, forget)
                self._feed(replace(request, requester=waiter))
            case Introduce(ref, endpoint):
                key = ref.address.process_key
                if key not in self._node_peers and endpoint.startswith(("ipc://", "tcp://")):
                    self.host.add_peer(key, endpoint)
                    self.host.forget(ref.address)
            case AgentRan(child_call, result):
                entry = self._at_child.pop(child_call, None)
                if entry is None or not self._from_child():
                    return None  # late (after a loss), or not from our child
                call_id, generation, overdue = entry
                overdue.cancel()
                self._ran(call_id, result, generation)
            case _Overdue(child_call):
                entry = self._at_child.pop(child_call, None)
                if entry is not None:
                    why = "no answer from the privileged child in time"
                    result = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.NOT_CONNECTED, why)
                    self._ran(entry[0], result, entry[1])
            case _Ran(call_id, result, generation):
                self._ran(call_id, result, generation)
            case _ChildUp(identity):
                log.info("lrm %s: privileged child ready (pid %d)", self.node, identity.pid)
                self._feed(ExecutorReady())
            case _ChildLost(reason):
                self._lost(f"privileged child lost: {reason}")
            case ExecResult() | ExecutorLost() | ExecutorReady():
                log.warning("lrm %s: ignored %r from %s", self.node, message, self.sender)
            case _ if isinstance(message, CORE_INPUTS):
                self._feed(message)
            case _:
                return super().on_receive(message)
        return None

    def _ran(self, call_id: int, result: OpResult, generation: int | None) -> None:
        unreachable = result.status is ExecStatus.NOT_CONNECTED
        if unreachable and generation == self._watch.generation:
            self._lost(result.exit_reason)
            self._watch.suspect()  # when it answers again: ExecutorReady
        self._feed(ExecResult(call_id, result))

    def _from_child(self) -> bool:
        sender = self.sender
        return sender is None or sender.split("/")[:2] == [self.node, "privileged"]

    def _lost(self, reason: str) -> None:
        if self.core.executor_up:
            log.warning("lrm %s: %s", self.node, reason)
            for _, _, overdue in self._at_child.values():
                overdue.cancel()
            self._at_child.clear()  # failed below; their answers, if any, are late
            self._feed(ExecutorLost(reason))

    def _feed(self, event: Any) -> None:
        for effect in self.core.handle(event, self._clock()):
            match effect:
                case Execute() if _via_child(effect):
                    self._to_child(effect)
                case Execute():
                    self._pool.submit(self._to_fencer, effect)
                case Report(_Waiter() as waiter, record):
                    self._answer(waiter, record)
                case Report(to, record):
                    try:
                        to.tell(OpReport(self.node, record))
                    except Exception as exc:  # noqa: BLE001 - a bad requester must not kill us
                        log.warning("lrm %s: cannot report to %r: %s", self.node, to, exc)
                case SetTimer(key, delay_ms):
                    old = self._handles.pop(key, None)
                    if old is not None:
                        old.cancel()
                    self._handles[key] = self._timers.schedule(
                        delay_ms / 1000.0, self.actor_ref, TimerFired(key)
                    )
                case CancelTimer(key):
                    handle = self._handles.pop(key, None)
                    if handle is not None:
                        handle.cancel()

    def _answer(self, waiter: _Waiter, record: OpRecord) -> None:
        entry = self._waiters.pop(waiter, None)
        if entry is None:
            return  # a later run of a recurring op, or its cancellation
        reply, request, forget = entry
        if reply is not None:
            reply.set(OpReport(self.node, record))
        if request.interval_ms:
            self._feed(CancelOp(request.rsc_id, request.action, request.interval_ms))
        if forget and not any(req.rsc_id == request.rsc_id for _, req, _ in self._waiters.values()):
            self._feed(DeleteResource(request.rsc_id))

    def _to_child(self, effect: Execute) -> None:
        child_call = self._epoch | effect.call_id
        overdue = self._timers.schedule(
            effect.timeout_ms / 1000.0 + self._grace, self.actor_ref, _Overdue(child_call)
        )
        self._at_child[child_call] = (effect.call_id, self._watch.generation, overdue)
        run = replace(effect.to_run_agent(), call_id=child_call)
        self._child.tell(Submit(run, self.ref))

    # ---- worker threads ---------------------------------------------------------------------

    def _to_fencer(self, effect: Execute) -> None:
        try:
            result = self._stonith(effect)
        except Exception as exc:  # noqa: BLE001 - a bug here must still answer, as a failure
            result = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR, f"lrm: {exc!r}")
        _tell(self.actor_ref, _Ran(effect.call_id, result, None))

    def _stonith(self, effect: Execute) -> OpResult:
        """A stonith-class resource is a device of the node's fencer."""
        started = time.monotonic()
        try:
            if effect.action == "start":
                message = RegisterDevice(effect.rsc_id, effect.spec.type, dict(effect.params))
                self._fencer.ask(message, timeout=FENCER_TIMEOUT).get()
                rc = OcfResult.OCF_SUCCESS
            elif effect.action == "stop":
                self._fencer.ask(UnregisterDevice(effect.rsc_id), timeout=FENCER_TIMEOUT).get()
                rc = OcfResult.OCF_SUCCESS
            elif effect.action == "monitor":
                devices = self._fencer.ask(GetDevices(), timeout=FENCER_TIMEOUT).get()
                known = any(d.id == effect.rsc_id for d in devices)
                rc = OcfResult.OCF_SUCCESS if known else OcfResult.OCF_NOT_RUNNING
            else:
                why = f"stonith resources do not {effect.action}"
                return OpResult(OcfResult.OCF_ERR_UNIMPLEMENTED, ExecStatus.NOT_SUPPORTED, why)
        except ActorUnreachable as exc:
            why = f"fencer unreachable: {exc}"
            return OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR, why)
        except UserError as exc:
            return OpResult(OcfResult.OCF_ERR_CONFIGURED, ExecStatus.ERROR_HARD, str(exc))
        exec_ms = int((time.monotonic() - started) * 1000)
        return OpResult(rc, ExecStatus.DONE, exec_ms=exec_ms)


def _via_child(effect: Execute) -> bool:
    """Agents run at the privileged child; a stonith resource's device lives in the fencer
    (its agent's meta-data and validation still come from the agent)."""
    return effect.spec.standard is not Standard.STONITH or effect.action in (
        "meta-data",
        "validate-all",
    )


def _tell(ref: pykka.ActorRef, message: Any) -> None:
    try:
        ref.tell(message)
    except pykka.ActorDeadError:
        pass  # stopping: nothing is waiting for it
