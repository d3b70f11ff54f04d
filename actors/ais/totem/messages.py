"""Totem frames: what one node's core sends to others (the transport pickles and authenticates).

A process on the wire is a `Proc` = (node id, incarnation): a restarted node gets a higher
incarnation, so frames of its previous life are recognised and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.ais.evs import RingId

Proc = tuple[int, int]
"""(node id, incarnation)."""


@dataclass(frozen=True, slots=True)
class Mcast:
    """A packed frame of application messages, ordered by its ring sequence number `seq`.

    Message i of `payloads` has the ring-wide message number `first + i` (what `Delivery.seq`
    carries), so packing many messages into one frame keeps per-message numbers unique.
    """

    ring: RingId
    seq: int
    first: int
    sender: Proc
    payloads: tuple[object, ...]
    safe: bool = False
    prev: int = 0
    """`seq` of the sender's previous frame in this ring (0: none), so that after a lost frame
    the survivors can tell which later frames do not depend on it (see recovery)."""


@dataclass(frozen=True, slots=True)
class Token:
    """The ordering token of the operational ring (Totem's ORF token).

    `tseq` grows by one per hop so duplicates are ignored; `seq`/`msgs` are the highest frame /
    message numbers assigned; `aru` is the all-received-up-to frame number with `aru_addr` the
    process that last lowered it (None: everyone had everything); `rtr` lists frames someone
    misses; `fcc` counts frames broadcast during the last rotation (flow control).
    """

    ring: RingId
    tseq: int
    seq: int
    msgs: int
    aru: int
    aru_addr: Proc | None
    rtr: tuple[int, ...]
    fcc: int


@dataclass(frozen=True, slots=True)
class MergeDetect:
    """Broadcast now and then by a ring's representative so separate rings find each other."""

    ring: RingId
    sender: Proc


@dataclass(frozen=True, slots=True)
class Join:
    """A gathering process's view: who it considers (`procs`) and who it gave up on (`failed`)."""

    sender: Proc
    procs: frozenset[Proc]
    failed: frozenset[Proc]
    ring_seq: int


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """What one member of a forming ring brings from its old ring (filled in on rotation 1)."""

    proc: Proc
    old_ring: RingId | None
    aru: int
    high_seq: int


@dataclass(frozen=True, slots=True)
class CommitToken:
    """Installs a new ring in three rotations started by its representative (lowest member).

    Phase 1 collects every member's `MemberInfo`; phase 2 collects the old-ring frames some
    member of the same old ring may lack (`frames`); phase 3 installs the ring at each member,
    and when it is back at the representative the first `Token` starts.
    """

    ring: RingId
    members: tuple[Proc, ...]
    infos: tuple[MemberInfo | None, ...]
    frames: tuple[Mcast, ...]
    phase: int


Frame = Mcast | Token | MergeDetect | Join | CommitToken
