"""The base of the typed application-service clients (CKPT, EVT, MSG, LCK).

The replicated services answer TRY_AGAIN while a membership change is synchronising their state
(and for an operation that was delivered during one); such a request was applied nowhere, so
resending it is safe. These clients resend for up to `retry` seconds before the AisError is
raised, which is what an application would otherwise write around every call. Calls that wait
on the service (a lock, a get) take their own timeout plus the connection's for the answer.
"""

from __future__ import annotations

import threading
import time

from actors.ais.client.connection import Connection
from actors.ais.errors import AisError, AisErrorCode

FOREVER = min(threading.TIMEOUT_MAX, 1e9)
"""How long a call that waits without a timeout (SA_TIME_MAX) waits for its answer."""
RETRY = 10.0
"""Default seconds of resending on TRY_AGAIN."""


class RetryingConnection(Connection):
    """A `Connection` whose calls resend TRY_AGAIN for `retry` seconds (0: raise at once)."""

    def __init__(self, service: str, retry: float = RETRY, **where) -> None:
        super().__init__(service, **where)
        self.retry = retry

    def call(self, op: object, timeout: float | None = None) -> object:
        deadline = time.monotonic() + self.retry
        pause = 0.01
        while True:
            try:
                return super().call(op, timeout)
            except AisError as exc:
                if exc.code != AisErrorCode.TRY_AGAIN or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def waiting_call(self, op: object, wait: float | None) -> object:
        """A call the service answers only after `wait` seconds at most (None: ever)."""
        return self.call(op, FOREVER if wait is None else wait + self.timeout)
