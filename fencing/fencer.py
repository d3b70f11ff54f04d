"""The fencer actor: `FencerCore` plus the IO — agent runs on threads, timers, peers, the store.

One per node. Clients ask it synchronous things (register, unregister, levels, devices, history)
with `ask`, and asynchronous ones (`FenceRequest`, `ConfirmDown`, `ListCapable`) with a
`reply_to`: a pykka future (in-process, see `call`) or a Ref that gets the answer told. Peers'
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
from dataclasses import dataclass, field
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
    DeviceOutcome,
    DeviceRan,
    Effect,
    Input,
    Recorded,
    Reply,
    RunDevice,
    Send,
    SetTimer,
    TimerFired,
)
from fencing.peers import PeerLink, Standalone
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
class GetHistory:
    target: str | None = None


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
        if store is not None:
            for device in store.load_devices():
                self.core.register(device)
            for level in store.load_levels():
                self.core.add_level(level)
            self.core.load_history(store.load_history())

    def on_start(self) -> None:
        self.link = self._make_link(self.actor_ref)

    def on_stop(self) -> None:
        self._timers.close()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, CORE_INPUTS):
            self._apply(self.core.handle(message, time.time()))
            return None
        match message:
            case RegisterDevice(device_id, agent, options):
                meta, aliases = self.locator.metadata(agent), self.locator.aliases(agent)
                device = make_device(device_id, agent, options, meta, aliases)
                self.core.register(device)
                self._save_registry()
                return device
            case UnregisterDevice(device_id):
                removed = self.core.unregister(device_id)
                self._save_registry()
                return removed
            case AddLevel(level):
                self.core.add_level(level)
                self._save_registry()
                return level
            case RemoveLevel(target, index):
                removed = self.core.remove_level(target, index)
                self._save_registry()
                return removed
            case GetDevices():
                return sorted(self.core.devices.values(), key=lambda d: d.id)
            case GetLevels():
                return list(self.core.levels)
            case GetHistory(target):
                return self.core.history_of(target)
            case SetNodeAttributes(node, attributes):
                self.core.attributes[node] = dict(attributes)
                return None
        log.warning("fencer %s: unexpected message %r", self.node, message)
        return None

    def _save_registry(self) -> None:
        if self.store is not None:
            with self.store.locked():
                self.store.save_devices(list(self.core.devices.values()))
                self.store.save_levels(list(self.core.levels))

    def _apply(self, effects: list[Effect]) -> None:
        if self.store is not None and any(isinstance(e, Recorded) for e in effects):
            with self.store.locked():  # before any reply: what is reported is on disk
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
                    pass  # saved above; the controller will be told here
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
