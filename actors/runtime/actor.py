"""Our actor base class: a pykka ThreadingActor with a socket inbox, a name and death notices."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import pykka

from actors.runtime.address import ActorAddress
from actors.runtime.inbox import SocketInbox

log = logging.getLogger("ringleader.runtime")

_pending = threading.local()
_anonymous = itertools.count(1)


@dataclass(frozen=True)
class Watch:
    """Ask an actor to tell `watcher` a DeathNotice (carrying `tag`) when it stops or crashes."""

    watcher: Any  # a Ref
    tag: object = None


@dataclass(frozen=True)
class Unwatch:
    watcher: Any


@dataclass(frozen=True)
class DeathNotice:
    address: str
    reason: str  # "normal", or the exception (or exit) that ended the actor
    normal: bool
    tag: object = None


@dataclass(frozen=True)
class StopRequest:
    """Stop the actor after the messages already in its inbox (pykka's stop, sent over a wire)."""


class Actor(pykka.ThreadingActor):
    """Subclass this instead of pykka.ThreadingActor to make an actor reachable from anywhere.

    Without a ProcessHost in the process it behaves as a plain pykka actor.
    """

    actor_name: ClassVar[str | None] = None

    def _create_actor_inbox(self):  # type: ignore[override]
        return SocketInbox()

    @classmethod
    def start_named(
        cls, name: str | None, *args: Any, on_host=None, **kwargs: Any
    ) -> pykka.ActorRef:
        _pending.spec = (name, on_host)
        try:
            return cls.start(*args, **kwargs)
        finally:
            _pending.spec = None

    def _start_actor_loop(self) -> None:
        from actors.runtime import host as host_module

        name, host = getattr(_pending, "spec", None) or (None, None)
        _pending.spec = None
        name = name or self.actor_name or f"{type(self).__name__}-{next(_anonymous)}"
        host = host or host_module._current
        self._watchers: dict[Any, object] = {}
        self._death_reason: str | None = None
        self.host = host
        self.address = (
            ActorAddress(host.node, host.process, name)
            if host
            else ActorAddress("local", "local", name)
        )
        self.actor_inbox.actor_address = self.address
        if host is not None:
            try:
                self.actor_inbox.attach(host, name, self)
            except Exception:
                pykka.ActorRegistry.unregister(self.actor_ref)
                self.actor_inbox.close()
                raise
        super()._start_actor_loop()

    @property
    def sender(self) -> str | None:
        """Who sent the message being handled: "node/process/name" from its frame's header
        (authenticated by the frame's HMAC, so only a holder of the cluster key can claim a
        name), or None for a message from this process. Read it only in `on_receive`."""
        return getattr(self.actor_inbox.current, "sender", None)

    def defer_reply(self):
        """Answer the ask being handled later: returns its reply handle (None for a tell) and
        `on_receive`'s return value is no longer sent. Call `handle.set(value)` from this
        actor's thread (a remote asker's answer leaves through the actor's socket): have the
        worker tell the actor the answer, and set it there."""
        envelope = self.actor_inbox.current
        handle, envelope.reply_to = envelope.reply_to, None
        return handle

    @property
    def ref(self):
        from actors.runtime.ref import LocalRef

        return LocalRef(self.address, self.actor_ref)

    def _actor_loop(self) -> None:
        threading.current_thread()._rl_actor_address = str(self.address)  # type: ignore[attr-defined]
        try:
            super()._actor_loop()
        finally:
            if self.host is not None:
                self.host.unregister(self.address.name, self)
            self.actor_inbox.close()
            reason = self._death_reason or "normal"
            for watcher, tag in list(self._watchers.items()):
                try:
                    watcher.tell(DeathNotice(str(self.address), reason, reason == "normal", tag))
                except Exception:  # noqa: BLE001 - a dead watcher needs no notice
                    log.debug("%s: watcher %s is gone", self.address, watcher)

    def _actor_loop_teardown(self) -> None:
        # A Watch that arrived after the actor died still gets its notice (Erlang's noproc).
        for envelope in self.actor_inbox.pending():
            if isinstance(envelope.message, Watch):
                self._watchers[envelope.message.watcher] = envelope.message.tag
        super()._actor_loop_teardown()

    def _handle_receive(self, message: Any) -> Any:
        if isinstance(message, Watch):
            self._watchers[message.watcher] = message.tag
            return None
        if isinstance(message, Unwatch):
            self._watchers.pop(message.watcher, None)
            return None
        if isinstance(message, StopRequest):
            return self._stop()
        return super()._handle_receive(message)

    def _handle_failure(self, exception_type, exception_value, traceback) -> None:
        if self._death_reason is None:
            self._death_reason = (
                f"{getattr(exception_type, '__name__', exception_type)}: {exception_value}"
            )
            # kept where refs can see it once the actor is gone (LocalRef.watch of a dead actor)
            self.actor_inbox.death_reason = self._death_reason
        super()._handle_failure(exception_type, exception_value, traceback)
