"""The fencer actor: `FencerCore` plus the IO — agent runs on threads, timers, peers, the store.

One per node. Clients `ask` it for everything: registry changes (`RegisterDevice`, ...) are
answered once applied here in agreed order (every node applies them: `fencing.registry`), reads
(`GetDevices`, `GetLevels`, `GetHistory`) at once. `FenceRequest`, `ConfirmDown` and `ListCapable`
carry a `reply_to`: a pykka future (in-process, see `call`), a Ref that gets the answer told, or
None to have the answer of an `ask` (how a command on another process asks: the ask's own reply
is kept until the result is there; give the ask a timeout as long as the fence may take). Peers'
fencers are reached through a `fencing.peers.PeerLink` (`Standalone` by default: a one-node
cluster, like `pacemaker-fenced -s`). Agents run through `run_agent` (`AgentLocator.run`
in-process, or an ask to the privileged child).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, get_args

import pykka

from actors.runtime.actor import Actor
from actors.runtime.timers import Timers
from fencing.agents import AgentLocator
from fencing.core import FencerCore
from fencing.device import make_device
from fencing.device_action import RunAgentFn, run_device_action
from fencing.messages import (
    Broadcast,
    CancelTimer,
    ChangeRegistry,
    ConfirmDown,
    DeviceAdded,
    DeviceOutcome,
    DeviceRan,
    DeviceRemoved,
    Effect,
    FenceRequest,
    Input,
    LevelAdded,
    LevelRemoved,
    ListCapable,
    Recorded,
    RegistryChange,
    RegistrySaved,
    Reply,
    RunDevice,
    Send,
    SetTimer,
    TimerFired,
)
from fencing.peers import LinkLost, PeerLink, Standalone
from fencing.store import FencingStore
from fencing.topology import Level

log = logging.getLogger("ringleader.fencer")

CORE_INPUTS = get_args(Input)

# ---- synchronous requests (answered by `ask`) -------------------------------------------------


@dataclass(frozen=True)
class RegisterDevice:
    """Add or replace a device; checked against the agent's meta-data. Answers the Device."""

    device_id: str
    agent: str
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnregisterDevice:
    device_id: str


@dataclass(frozen=True)
class AddLevel:
    level: Level


@dataclass(frozen=True)
class RemoveLevel:
    target: str
    index: int


@dataclass(frozen=True)
class GetDevices:
    pass


@dataclass(frozen=True)
class GetLevels:
    pass


@dataclass(frozen=True)
class GetMembers:
    """The nodes whose fencers this one sees (itself included), in order."""


@dataclass(frozen=True)
class GetHistory:
    target: str | None = None


@dataclass(frozen=True)
class SubscribeFencing:
    """Tell `ref` a `Recorded(event)` for every fencing event this node records from now on,
    whoever asked for it (Pacemaker's stonith notifications: the controller learns of a node
    fenced by an operator)."""

    ref: Any


@dataclass(frozen=True)
class SetNodeAttributes:
    """Node attributes, for `attrib%NAME=VALUE` topology levels."""

    node: str
    attributes: Mapping[str, str]


class Fencer(Actor):
    def __init__(
        self,
        node: str,
        store: FencingStore | None = None,
        locator: AgentLocator | None = None,
        run_agent: RunAgentFn | None = None,
        link: Callable[[Any], PeerLink] | None = None,
        query_timeout: float = 10.0,
        max_workers: int = 8,
    ) -> None:
        super().__init__()
        self.node = node
        self.store = store
        self.locator = locator or AgentLocator()
        self.run_agent = run_agent or self.locator.run
        self.core = FencerCore(node, uuid.uuid4().hex[:8], query_timeout)
        self._make_link = link or (lambda me: Standalone(node, me))
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fence")
        self._timers = Timers()
        self._handles: dict[Any, Any] = {}
        self._subscribers: list[Any] = []
        if store is not None:
            self.core.registry.load(store.load_devices(), store.load_levels(), store.load_version())
            self.core.load_history(store.load_history())

    def on_start(self) -> None:
        self.link = self._make_link(self.actor_ref)

    def on_stop(self) -> None:
        self._timers.close()
        close = getattr(getattr(self, "link", None), "close", None)
        if close is not None:
            close()  # leave the group: the others see this fencer go at once
        self._pool.shutdown(wait=True, cancel_futures=True)

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, (FenceRequest, ConfirmDown, ListCapable)) and (
            message.reply_to is None
        ):
            message = replace(message, reply_to=self.defer_reply())
        if isinstance(message, CORE_INPUTS):
            self._apply(self.core.handle(message, time.time()))
            return None
        match message:
            case RegisterDevice(device_id, agent, options):
                meta, aliases = self.locator.metadata(agent), self.locator.aliases(agent)
                self._change(DeviceAdded(make_device(device_id, agent, options, meta, aliases)))
                return None
            case UnregisterDevice(device_id):
                self._change(DeviceRemoved(device_id))
                return None
            case AddLevel(level):
                self._change(LevelAdded(level))
                return None
            case RemoveLevel(target, index):
                self._change(LevelRemoved(target, index))
                return None
            case LinkLost(reason):
                raise RuntimeError(f"fencer {self.node}: peer link lost: {reason}")
            case GetDevices():
                return sorted(self.core.devices.values(), key=lambda d: d.id)
            case GetLevels():
                return list(self.core.levels)
            case SubscribeFencing(ref):
                self._subscribers.append(ref)
                return None
            case GetMembers():
                return tuple(sorted(self.core.members))
            case GetHistory(target):
                return self.core.history_of(target)
            case SetNodeAttributes(node, attributes):
                self.core.attributes[node] = dict(attributes)
                return None
        log.warning("fencer %s: unexpected message %r", self.node, message)
        return None

    def _change(self, change: RegistryChange) -> None:
        """Broadcast `change`; the ask is answered when it is applied here (checked input
        only: nothing may raise after `defer_reply`)."""
        self._apply(self.core.handle(ChangeRegistry(change, self.defer_reply()), time.time()))

    def _apply(self, effects: list[Effect]) -> None:
        if self.store is not None:  # before any reply: what is reported is on disk
            registry = any(isinstance(e, RegistrySaved) for e in effects)
            history = any(isinstance(e, Recorded) for e in effects)
            if registry or history:
                with self.store.locked():
                    if registry:
                        reg = self.core.registry
                        devices = list(reg.devices.values())
                        self.store.save_registry(devices, reg.levels, reg.version)
                    if history:
                        self.store.save_history(self.core.history)
        for effect in effects:
            match effect:
                case Broadcast(payload):
                    self.link.broadcast(payload)
                case Send(node, payload):
                    self.link.send(node, payload)
                case RunDevice():
                    self._pool.submit(self._run_device, effect)
                case Reply(reply_to, result):
                    _answer(reply_to, result)
                case Recorded():
                    for ref in list(self._subscribers):
                        try:
                            ref.tell(effect)
                        except pykka.ActorDeadError:
                            self._subscribers.remove(ref)
                case RegistrySaved():
                    pass  # saved above
                case SetTimer(key, delay):
                    old = self._handles.pop(key, None)
                    if old is not None:
                        old.cancel()
                    self._handles[key] = self._timers.schedule(
                        delay, self.actor_ref, TimerFired(key)
                    )
                case CancelTimer(key):
                    handle = self._handles.pop(key, None)
                    if handle is not None:
                        handle.cancel()

    def _run_device(self, effect: RunDevice) -> None:
        try:
            outcome = run_device_action(effect.device, effect.action, effect.target, self.run_agent)
        except Exception as exc:  # noqa: BLE001 - a bug here must still answer, as a failure
            outcome = DeviceOutcome(False, f"fencer: {exc!r}")
        try:
            self.actor_ref.tell(DeviceRan(effect.call_id, outcome))
        except pykka.ActorDeadError:
            pass


def _answer(reply_to: Any, result: object) -> None:
    if reply_to is None:  # asked with a tell: nobody waits
        return
    if hasattr(reply_to, "set"):
        reply_to.set(result)
    else:
        reply_to.tell(result)


def call(ref: Any, make: Callable[[Any], object], timeout: float | None = None) -> Any:
    """Ask for an asynchronous answer in-process: `call(ref, lambda r: FenceRequest("n2",
    "off", r))` waits for the FenceEvent."""
    future = pykka.ThreadingFuture()
    ref.tell(make(future))
    return future.get(timeout=timeout)
