"""Following the node's privileged child: lost when its process is gone, ready when it answers.

A thread of its own asks the child `Identify` until it answers (`on_ready`), then checks every
`period` that this very process still runs (`ChildIdentity.running`: pid and start time in
/proc); when it is gone, `on_lost`, and back to asking. `suspect()` (a run said NOT_CONNECTED)
forgets the child and asks again. `generation` changes at each loss, so `connected(generation)`
tells a run in flight that the child it was sent to is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from actors.privileged.identity import ChildIdentity, Identify
from actors.runtime.ref import Ref

log = logging.getLogger("ringleader.privileged")


class ChildWatch:
    def __init__(
        self,
        child: Ref,
        on_ready: Callable[[ChildIdentity], None],
        on_lost: Callable[[str], None],
        period: float = 0.1,
        ask_timeout: float = 2.0,
    ) -> None:
        self.child = child
        self._on_ready = on_ready
        self._on_lost = on_lost
        self._period = period
        self._ask_timeout = ask_timeout
        self._lock = threading.Lock()
        self._identity: ChildIdentity | None = None
        self._generation = 0
        self._suspect = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="child-watch", daemon=True)

    def start(self) -> ChildWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._suspect.set()
        self._thread.join(self._ask_timeout + 1.0)

    @property
    def identity(self) -> ChildIdentity | None:
        return self._identity

    @property
    def generation(self) -> int:
        return self._generation

    def connected(self, generation: int) -> bool:
        """The child known at `generation` is still the one we know (and known at all)."""
        with self._lock:
            return self._generation == generation and self._identity is not None

    def suspect(self) -> None:
        self._suspect.set()

    def _forget(self, why: str) -> None:
        with self._lock:
            self._identity = None
            self._generation += 1
        log.warning("privileged child lost: %s", why)
        self._on_lost(why)

    def _run(self) -> None:
        while not self._stop.is_set():
            identity = self._identity
            if identity is None:
                try:
                    identity = self.child.ask(Identify(), timeout=self._ask_timeout).get()
                except Exception as exc:  # noqa: BLE001 - not there (yet): ask again
                    log.debug("privileged child does not answer: %s", exc)
                    self._stop.wait(self._period)
                    continue
                self._suspect.clear()
                with self._lock:
                    self._identity = identity
                self._on_ready(identity)
            elif self._suspect.wait(self._period):
                self._suspect.clear()
                if not self._stop.is_set():
                    self._forget("a run could not reach it")
            elif not identity.running():
                self._forget(f"process {identity.pid} is gone")
