"""References to actors that work the same wherever the actor runs."""

from __future__ import annotations

import threading
import time
from typing import Any

import pykka

from actors.runtime import host as host_module
from actors.runtime.actor import StopRequest, Unwatch, Watch
from actors.runtime.address import ActorAddress
from actors.runtime.channel import channel_for
from actors.runtime.errors import ActorUnreachable, AskTimeout
from actors.runtime.host import current_host


class Ref:
    """Where an actor is, and how to talk to it: `tell`, `ask` (a pykka Future), `stop`, `watch`.

    A Ref travels inside messages as its address and comes out on the other side as a Ref that
    reaches the same actor from there.
    """

    address: ActorAddress

    def tell(self, message: Any) -> None:
        raise NotImplementedError

    def ask(self, message: Any, *, timeout: float | None = None) -> pykka.Future:
        raise NotImplementedError

    def stop(self, *, timeout: float | None = None) -> None:
        try:
            self.ask(StopRequest(), timeout=timeout).get()
        except ActorUnreachable:
            pass

    def watch(self, watcher: Ref, tag: object = None) -> None:
        self.tell(Watch(watcher, tag))

    def unwatch(self, watcher: Ref) -> None:
        self.tell(Unwatch(watcher))

    def __reduce__(self):
        return (resolve, (str(self.address),))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.address}>"


class LocalRef(Ref):
    """An actor in this process: straight into its pykka inbox."""

    def __init__(self, address: ActorAddress, actor_ref: pykka.ActorRef) -> None:
        self.address = address
        self._ref = actor_ref

    def tell(self, message: Any) -> None:
        try:
            self._ref.tell(message)
        except pykka.ActorDeadError:
            pass  # as over the wire: a message to a dead actor is lost

    def ask(self, message: Any, *, timeout: float | None = None) -> pykka.Future:
        timeout = _timeout(timeout)
        try:
            inner = self._ref.ask(message, block=False)
        except pykka.ActorDeadError:
            return _failed(ActorUnreachable(f"{self.address} is dead"))
        return _Deadline(inner, str(self.address), timeout)

    @property
    def is_alive(self) -> bool:
        return self._ref.is_alive()

    def watch(self, watcher: Ref, tag: object = None) -> None:
        from actors.runtime.actor import DeathNotice

        try:
            self._ref.tell(Watch(watcher, tag))
        except pykka.ActorDeadError:
            # Dead already (a supervisor's child can die between its spawn and this watch): say
            # how it ended when we know, or a transient child that ended normally looks crashed.
            reason = getattr(self._ref.actor_inbox, "death_reason", None) or "normal"
            watcher.tell(DeathNotice(str(self.address), reason, reason == "normal", tag))


class RemoteRef(Ref):
    """An actor in another process or on another node: over a channel of the calling thread."""

    def __init__(self, address: ActorAddress, host=None) -> None:
        self.address = address
        self._host = host or current_host()
        self._target = str(address)
        self._routes = threading.local()  # this thread's (endpoint, channel, sender name)

    def _route(self, timeout: float | None = None):
        """The calling thread's way to the actor, cached until its channel closes or the
        endpoint is forgotten (a restarted tcp process listens on a new port)."""
        host = self._host
        route = getattr(self._routes, "route", None)
        if route is not None:
            endpoint, channel, sender = route
            if not channel.closed and host._resolved.get(self.address) is endpoint:  # noqa: SLF001
                return channel, sender
        endpoint = host.endpoint_of(self.address, timeout=timeout)
        channel = channel_for(host, endpoint)
        sender = host.thread_address()
        self._routes.route = (endpoint, channel, sender)
        return channel, sender

    def tell(self, message: Any) -> None:
        try:
            channel, sender = self._route()
        except ActorUnreachable:
            return
        channel.tell(sender, self.address.name, message)

    def ask(self, message: Any, *, timeout: float | None = None) -> pykka.Future:
        timeout = _timeout(timeout, self._host)
        try:
            channel, sender = self._route(timeout)
        except ActorUnreachable as exc:
            return _failed(exc)
        return channel.ask(sender, self.address.name, message, self._target, timeout)


def resolve(address: str | ActorAddress, host=None) -> Ref:
    """A Ref for an address: local actors of this process directly, everything else remotely."""
    if isinstance(address, str):
        address = ActorAddress.parse(address)
    host = host or host_module._current
    if host is None:
        raise RuntimeError(f"cannot reach {address}: no ProcessHost in this process")
    if address.process_key == host.process_key:
        actor = host.local_actor(address.name)
        if actor is not None:
            return LocalRef(address, actor.actor_ref)
    return RemoteRef(address, host)


def spawn(actor_class, *args: Any, name: str | None = None, on_host=None, **kwargs: Any) -> Ref:
    """Start an actor in this process under `name`, reachable as node/process/name."""
    actor_ref = actor_class.start_named(name, *args, on_host=on_host, **kwargs)
    return LocalRef(actor_ref.actor_inbox.actor_address, actor_ref)


def _timeout(timeout: float | None, host=None) -> float:
    if timeout is not None:
        return timeout
    h = host or host_module._current
    return h.ask_timeout if h else 10.0


def _failed(exc: Exception) -> pykka.Future:
    future = pykka.ThreadingFuture()
    future.set_exception((type(exc), exc, None))
    return future


class _Deadline(pykka.ThreadingFuture):
    """A local ask with the same deadline semantics as a remote one (made without arguments,
    as pykka's `map` and friends make derived futures, a plain pykka future)."""

    def __init__(
        self, inner: pykka.Future | None = None, target: str = "", timeout: float = 0.0
    ) -> None:
        super().__init__()
        self._inner = inner
        self._target = target
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout

    def get(self, *, timeout: float | None = None):
        if self._inner is None:
            return super().get(timeout=timeout)
        remaining = self._deadline - time.monotonic()
        if timeout is not None and timeout < remaining:
            try:  # a pykka.Timeout here is not the ask's deadline: the caller may get() again
                return self._inner.get(timeout=timeout)
            except pykka.ActorDeadError as exc:  # but a dead actor is unreachable either way
                raise ActorUnreachable(f"{self._target}: {exc}") from None
        try:
            return self._inner.get(timeout=max(remaining, 0.0))
        except pykka.Timeout:
            raise AskTimeout(
                f"no answer from {self._target} within {self._timeout:g} s: "
                "the actor is dead, unreachable or too busy"
            ) from None
        except pykka.ActorDeadError as exc:
            raise ActorUnreachable(f"{self._target}: {exc}") from None
