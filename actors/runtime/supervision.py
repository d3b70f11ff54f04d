"""Supervisors in the spirit of Erlang/OTP: restart what dies, with back-off, within a limit.

A child is an actor in this process or an actor in a process of its own. When one dies the
supervisor restarts it after a back-off (tenacity's exponential wait over the recent restarts);
more than `max_restarts` restarts within `within` seconds means restarting does not help, so
the supervisor stops every child and dies itself with that reason: its own watchers (its parent
supervisor, or the node) get the death notice. That is the escalation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pykka
import tenacity

from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.process import ProcessHandle

log = logging.getLogger("ringleader.supervision")

Restart = Literal["permanent", "transient", "temporary"]


@dataclass(frozen=True)
class ChildSpec:
    """How to (re)start one child: `start()` returns a Ref (actor) or a ProcessHandle."""

    name: str
    start: Callable[[], Any]
    restart: Restart = "permanent"


@dataclass(frozen=True)
class ChildExited:
    name: str
    generation: int
    reason: str
    normal: bool


@dataclass(frozen=True)
class RestartChild:
    name: str
    generation: int


@dataclass(frozen=True)
class GetChildren:
    """Answered with {name: ChildStatus}."""


@dataclass(frozen=True)
class ChildStatus:
    name: str
    alive: bool
    restarts: int
    last_exit: str | None
    pid: int | None = None


class RestartIntensityExceeded(RuntimeError):
    pass


@dataclass
class _Child:
    spec: ChildSpec
    handle: Any = None
    generation: int = 0
    alive: bool = False
    restarts: int = 0
    last_exit: str | None = None
    history: deque = field(default_factory=deque)


class Supervisor(Actor):
    def __init__(
        self,
        children: list[ChildSpec],
        *,
        max_restarts: int = 3,
        within: float = 5.0,
        backoff: tenacity.wait.wait_base | None = None,
    ) -> None:
        super().__init__()
        self._children = {spec.name: _Child(spec) for spec in children}
        self._order = [spec.name for spec in children]
        self.max_restarts = max_restarts
        self.within = within
        self.backoff = backoff or tenacity.wait_exponential(multiplier=0.05, max=2.0)
        self._restarts_recent: deque[float] = deque()
        self._timers: list[threading.Timer] = []

    def on_start(self) -> None:
        for name in self._order:
            self._start(self._children[name])

    def on_stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for name in reversed(self._order):
            self._stop_child(self._children[name])

    def on_failure(self, *exc_info) -> None:
        self.on_stop()

    # children ---------------------------------------------------------------------------
    def _start(self, child: _Child) -> None:
        child.generation += 1
        handle = child.spec.start()
        child.handle = handle
        child.alive = True
        tag = (child.spec.name, child.generation)
        if isinstance(handle, ProcessHandle):
            threading.Thread(
                target=self._await_process,
                args=(handle, tag),
                daemon=True,
                name=f"watch-{child.spec.name}",
            ).start()
        else:
            handle.watch(self.ref, tag)

    def _await_process(self, handle: ProcessHandle, tag: tuple[str, int]) -> None:
        handle.join()
        code = handle.exitcode
        normal = code == 0
        reason = (
            "normal"
            if normal
            else (f"killed by signal {-code}" if code and code < 0 else f"exit code {code}")
        )
        try:
            self.actor_ref.tell(ChildExited(tag[0], tag[1], reason, normal))
        except pykka.ActorDeadError:
            pass  # the supervisor itself is gone: nobody to restart anything

    def _stop_child(self, child: _Child) -> None:
        if not child.alive or child.handle is None:
            return
        child.alive = False
        child.generation += 1  # whatever it reports now is stale
        try:
            child.handle.stop()
        except Exception as exc:  # noqa: BLE001
            log.warning("stopping %s: %s", child.spec.name, exc)

    # messages ---------------------------------------------------------------------------
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, DeathNotice) and isinstance(message.tag, tuple):
            name, generation = message.tag
            message = ChildExited(name, generation, message.reason, message.normal)
        if isinstance(message, ChildExited):
            return self._exited(message)
        if isinstance(message, RestartChild):
            child = self._children[message.name]
            if child.generation == message.generation and not child.alive:
                child.restarts += 1
                self._start(child)
            return None
        if isinstance(message, GetChildren):
            return {
                name: ChildStatus(
                    name,
                    c.alive,
                    c.restarts,
                    c.last_exit,
                    c.handle.pid if isinstance(c.handle, ProcessHandle) else None,
                )
                for name, c in self._children.items()
            }
        return super().on_receive(message)

    def _exited(self, event: ChildExited) -> None:
        child = self._children.get(event.name)
        if child is None or child.generation != event.generation or not child.alive:
            return
        child.alive = False
        child.last_exit = event.reason
        log.warning("child %s exited: %s", event.name, event.reason)
        policy = child.spec.restart
        if policy == "temporary" or (policy == "transient" and event.normal):
            return
        now = time.monotonic()
        recent = self._restarts_recent
        recent.append(now)
        while recent and now - recent[0] > self.within:
            recent.popleft()
        if len(recent) > self.max_restarts:
            raise RestartIntensityExceeded(
                f"{len(recent)} restarts within {self.within:g} s (limit {self.max_restarts}); "
                f"last: {event.name} {event.reason}"
            )
        delay = self._delay(len(recent))
        timer = threading.Timer(
            delay, self.actor_ref.tell, args=(RestartChild(event.name, child.generation),)
        )
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _delay(self, attempt: int) -> float:
        state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        return float(self.backoff(state))
