"""The boundary between an AIS service core and its hosting actor: what goes in, what comes out.

Every service core (CPG, CLM, quorum, CKPT, EVT, MSG, LCK) is a sans-IO replicated state machine
with one entry point, `core.handle(event, now) -> list[Effect]` (`now`: the node's clock
reading, passed in because a core never reads a clock; cores without deadlines ignore it):

- inputs: the EVS events totem delivers (`actors.ais.evs.EvsEvent`), a `ClientRequest` from a
  local client connection, `ClientGone` when a client connection goes away (its process died or
  finalized), and `TimerFired` for a timer the core asked for;
- effects: `Multicast` (hand a payload to totem for agreed or safe delivery), `Reply` (answer one
  request), `Callback` (an asynchronous notification to a client connection, what the client
  library's dispatch delivers), `SetTimer` / `CancelTimer`.

The actor does the IO: it feeds inputs in order, sends multicasts through totem, writes replies
and callbacks to the ipc connection, and runs timers on its clock (or the simulator's). Effects
are returned in the order they must be performed.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from actors.ais.errors import AisError
from actors.ais.evs import EvsEvent

ConnId = Hashable
"""A local client connection, chosen by the hosting actor; unique within one executive."""


# ---- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRequest:
    """A library call from a local client connection; `op` is one of the service's request
    dataclasses. The reply echoes `request_id`, so the actor can match it to the waiting call."""

    conn: ConnId
    request_id: int
    op: object


@dataclass(frozen=True)
class ClientGone:
    """A client connection ended: finalize, or its process died (CPG reports that as PROCDOWN)."""

    conn: ConnId


@dataclass(frozen=True)
class TimerFired:
    """A timer set with `SetTimer(key, ...)` expired (and was not cancelled)."""

    key: Hashable


Input = EvsEvent | ClientRequest | ClientGone | TimerFired


# ---- effects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Multicast:
    """Order `payload` (a frozen dataclass) through totem; safe delivery when `safe`."""

    payload: object
    safe: bool = False


@dataclass(frozen=True)
class Reply:
    """The answer to `ClientRequest(conn, request_id, ...)`: a result value, or an AisError."""

    conn: ConnId
    request_id: int
    result: object = None

    @property
    def ok(self) -> bool:
        return not isinstance(self.result, AisError)


@dataclass(frozen=True)
class Callback:
    """An asynchronous notification for a client connection (a confchg, a message, a track
    notification); the client library hands it to the application in dispatch."""

    conn: ConnId
    payload: object


@dataclass(frozen=True)
class SetTimer:
    """Ask for `TimerFired(key)` after `delay` seconds; setting a key again restarts it."""

    key: Hashable
    delay: float


@dataclass(frozen=True)
class CancelTimer:
    """Forget the timer `key` if it is pending."""

    key: Hashable


Effect = Multicast | Reply | Callback | SetTimer | CancelTimer


class ServiceCore(Protocol):
    """What the hosting actor and the simulator need from every service core."""

    def handle(self, event: Input, now: float = 0.0) -> list[Effect]: ...
