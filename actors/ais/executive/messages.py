"""What the executive and its clients say to each other, and what operators ask it.

A client connection is one handle (a `CpgClient`, `ClmClient`, ...) of an application process;
its id is a string unique on the node. Requests are tells, answered by tells to the client's
mailbox actor, so a service may answer late (a lock that waits) without holding a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.ais.evs import NodeId, RingId

ConnName = str
"""`<node>/<client process>#<n>`: one client handle, unique within its executive."""


@dataclass(frozen=True)
class Hello:
    """A new connection: who to answer (`mailbox`, a Ref, listening under `endpoint`, the
    client process's base endpoint) and which pid to watch for death."""

    conn: ConnName
    pid: int
    mailbox: object
    endpoint: str


@dataclass(frozen=True)
class Request:
    """One library call: `op` for `service` ("cpg", "clm", "quorum", "ckpt", ...).
    `endpoint` (the client process's) lets an executive that does not know the connection (it
    restarted since the Hello) answer BAD_HANDLE instead of leaving the caller waiting."""

    conn: ConnName
    request_id: int
    service: str
    op: object
    endpoint: str = ""


@dataclass(frozen=True)
class Finalize:
    """The connection is closed on purpose (the services see `ClientGone`)."""

    conn: ConnName


@dataclass(frozen=True)
class Replied:
    """The answer to `Request(conn, request_id, ...)`: a value or an `AisError`."""

    conn: ConnName
    request_id: int
    result: object


@dataclass(frozen=True)
class Notified:
    """A callback for the connection, with the EVS event that caused it: `(ring, seq)` for a
    delivery, `(kind, ring)` for a configuration change, `()` otherwise (tests check EVS)."""

    conn: ConnName
    payload: object
    cause: tuple = ()


@dataclass(frozen=True)
class GetRing:
    """Ask the totem actor for its `RingView`."""


@dataclass(frozen=True)
class RingView:
    node: NodeId
    operational: bool
    ring_id: RingId | None
    members: tuple[NodeId, ...]
    clients: int


@dataclass(frozen=True)
class GetEvsLog:
    """Ask for `(node, incarnation, events)`: every EVS event this executive emitted, when it
    was started with RINGLEADER_EVS_TRACE=1 (tests check EVS with it), else None."""


@dataclass(frozen=True)
class BenchLoad:
    """Benchmark: multicast `count` messages of `size` bytes from this executive, now."""

    count: int
    size: int


@dataclass(frozen=True)
class BenchPayload:
    """One benchmark message: `stamp` is the sender's wall clock when it was handed to totem."""

    sender: NodeId
    k: int
    stamp: float
    data: bytes


@dataclass(frozen=True)
class BenchResult:
    """What this executive delivered of the benchmark since the last `BenchReset`."""

    delivered: int
    first: float
    last: float
    latencies: tuple[float, ...]


@dataclass(frozen=True)
class BenchReset:
    """Forget the benchmark counters; answers with the delivery count so far."""


@dataclass(frozen=True)
class BenchQuery:
    """Ask for the `BenchResult`."""
