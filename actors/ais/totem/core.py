"""The totem core of one node: ordering and membership as a sans-IO state machine.

Entry points: `TotemCore(node, incarnation, config, ring_seq).start(now)` once, then
`handle(event, now) -> list[TotemEffect]` for every input (see `actors.ais.totem.effects`).
The protocol and how it meets each guarantee are described in the package docstring.
"""

from __future__ import annotations

from collections import deque

from actors.ais.effects import CancelTimer, Multicast, SetTimer, TimerFired
from actors.ais.evs import ConfigurationChange, Delivery, RingId
from actors.ais.totem.config import TotemConfig
from actors.ais.totem.effects import Send
from actors.ais.totem.messages import (
    CommitToken,
    Join,
    Mcast,
    MemberInfo,
    MergeDetect,
    Proc,
    Token,
)

GATHER, COMMIT, OPERATIONAL = "gather", "commit", "operational"
_RING_SEQ_STEP = 4  # as corosync: leaves room between ring ids
_PAST_RINGS = 16  # frames of our own recent rings arriving late are not a merge request


def _nodes(procs) -> tuple[int, ...]:
    return tuple(sorted(p[0] for p in procs))


class TotemCore:
    """One node's totem state machine; see the module docstring."""

    def __init__(
        self,
        node: int,
        incarnation: int = 0,
        config: TotemConfig | None = None,
        ring_seq: int = 0,
    ) -> None:
        self.me: Proc = (node, incarnation)
        self.cfg = config or TotemConfig()
        self.max_ring_seq = ring_seq
        """Highest ring sequence number seen; the host persists it across restarts (as corosync's
        ringid file) so a restarted node never reuses a ring id."""
        self.state = GATHER
        self.ring: RingId | None = None
        self.members: tuple[Proc, ...] = ()
        self._member_set: frozenset[Proc] = frozenset()
        self._next = node
        self._past_rings: deque[RingId] = deque(maxlen=_PAST_RINGS)
        self._max_inc: dict[int, int] = {node: incarnation}
        self._pending: deque[tuple[object, bool]] = deque()
        self._out: list = []
        # ring state
        self._store: dict[int, Mcast] = {}
        self._aru = 0
        self._high = 0
        self._delivered = 0
        self._freed = 0
        self._safe_point = 0
        self._prev_visit_aru = 0
        self._tseq = 0
        self._last_sent = 0
        self._my_last = 0
        self._stall_aru = -1
        self._stall = 0
        self._held: Token | None = None
        self._passed: Token | CommitToken | None = None
        # membership state
        self._procs: set[Proc] = {self.me}
        self._failed: set[Proc] = set()
        self._joins: dict[Proc, Join] = {}
        self._formable = False
        self._commit: CommitToken | None = None
        self._commit_seen: set[tuple[RingId, int]] = set()

    # ---- public -----------------------------------------------------------------------------

    @property
    def operational(self) -> bool:
        return self.state == OPERATIONAL

    @property
    def pending(self) -> int:
        """Local messages not yet multicast."""
        return len(self._pending)

    def start(self, now: float = 0.0) -> list:
        """Begin by gathering: find whoever is out there and form a ring with them."""
        self._enter_gather()
        return self._flush()

    def handle(self, event, now: float = 0.0) -> list:
        """Feed one input; returns the effects, in order. `now` is unused: every delay is
        relative and handed to the host as a timer."""
        kind = type(event)
        if kind is Mcast:
            self._on_mcast(event)
        elif kind is Token:
            self._on_token(event)
        elif kind is Multicast:
            self._pending.append((event.payload, event.safe))
            if self._held is not None:
                held, self._held = self._held, None
                self._out.append(CancelTimer("hold"))
                self._visit(held)
        elif kind is TimerFired:
            self._on_timer(event.key)
        elif kind is Join:
            self._on_join(event)
        elif kind is CommitToken:
            self._on_commit(event)
        elif kind is MergeDetect:
            self._on_merge_detect(event)
        else:
            raise TypeError(f"totem: unexpected input {event!r}")
        return self._flush()

    # ---- plumbing ---------------------------------------------------------------------------

    def _flush(self) -> list:
        out, self._out = self._out, []
        return out

    def _alive(self, proc: Proc) -> bool:
        """False for a stale incarnation; remembers the newest incarnation of every node."""
        cur = self._max_inc.get(proc[0], -1)
        if proc[1] < cur:
            return False
        if proc[1] > cur:
            self._max_inc[proc[0]] = proc[1]
        return True

    def _pass(self, frame: Token | CommitToken, dest: int) -> None:
        self._passed = frame
        self._out.append(Send(dest, frame))
        self._out.append(SetTimer("retransmit", self.cfg.token_retransmit))

    def _passed_on(self) -> None:
        """Something shows the successor got what we passed: stop resending it."""
        if self._passed is not None:
            self._passed = None
            self._out.append(CancelTimer("retransmit"))

    def _on_timer(self, key) -> None:
        cfg = self.cfg
        if key == "token":
            if self.state != GATHER:
                self._enter_gather()
        elif key == "retransmit":
            if self._passed is not None:
                dest = self._next
                if type(self._passed) is CommitToken:
                    members = self._passed.members
                    dest = members[(members.index(self.me) + 1) % len(members)][0]
                self._out.append(Send(dest, self._passed))
                self._out.append(SetTimer("retransmit", cfg.token_retransmit))
        elif key == "hold":
            if self._held is not None:
                held, self._held = self._held, None
                self._visit(held)
        elif key == "join":
            if self.state == GATHER:
                self._formable = True
                self._send_join()
                self._check_consensus()
        elif key == "consensus":
            if self.state == GATHER:
                self._failed |= self._procs - self._agreed()
                self._failed.discard(self.me)
                # Agreement must be renewed: a peer that agreed and then died (e.g. the
                # representative we were waiting for) is failed at the next timeout.
                self._joins = {}
                self._send_join()
                self._out.append(SetTimer("consensus", cfg.consensus))
                self._check_consensus()
        elif key == "merge":
            if self.state == OPERATIONAL and self.members[0] == self.me:
                self._out.append(Send(None, MergeDetect(self.ring, self.me)))
                self._out.append(SetTimer("merge", cfg.merge))

    # ---- operational: ordering --------------------------------------------------------------

    def _on_mcast(self, f: Mcast) -> None:
        if f.ring != self.ring:
            if (
                self.state == OPERATIONAL
                and f.sender not in self._member_set
                and f.ring not in self._past_rings
                and self._alive(f.sender)
            ):
                self._enter_gather({f.sender})
            return
        passed = self._passed
        if passed is not None and type(passed) is Token and f.seq > passed.seq:
            self._passed_on()
        seq = f.seq
        if seq <= self._aru or seq in self._store:
            return
        self._store[seq] = f
        if seq > self._high:
            self._high = seq
        if seq == self._aru + 1:
            self._advance_aru()
            if self.state == OPERATIONAL:
                self._deliver()

    def _advance_aru(self) -> None:
        aru, store = self._aru, self._store
        while aru + 1 in store:
            aru += 1
        self._aru = aru

    def _deliver(self) -> None:
        """Deliver in ring order up to the aru; a safe frame waits until everyone holds it."""
        d, store, limit, safe_point = self._delivered, self._store, self._aru, self._safe_point
        out, ring = self._out, self.ring
        while d < limit:
            f = store[d + 1]
            if f.safe and f.seq > safe_point:
                break
            d += 1
            sender, first, safe = f.sender[0], f.first, f.safe
            for i, payload in enumerate(f.payloads):
                out.append(Delivery(ring, sender, first + i, payload, safe))
        self._delivered = d

    def _on_token(self, t: Token) -> None:
        if self.state != OPERATIONAL or t.ring != self.ring or t.tseq <= self._tseq:
            return
        self._tseq = t.tseq
        self._passed_on()
        self._out.append(SetTimer("token", self.cfg.token))
        # Everyone held every frame up to the aru the token carried on two successive visits.
        safe = min(self._prev_visit_aru, t.aru)
        self._prev_visit_aru = t.aru
        if safe > self._safe_point:
            self._safe_point = safe
        if t.aru < t.seq and t.aru == self._stall_aru:
            self._stall += 1
            if self._stall >= self.cfg.fail_recv and t.aru_addr not in (None, self.me):
                self._enter_gather(fail={t.aru_addr})
                return
        else:
            self._stall_aru, self._stall = t.aru, 0
        self._deliver()
        self._free()
        if (
            not self._pending
            and not t.rtr
            and t.fcc == 0
            and t.aru == t.seq
            and self._delivered == t.seq
        ):
            self._held = t
            self._out.append(SetTimer("hold", self.cfg.hold))
            return
        self._visit(t)

    def _free(self) -> None:
        """Drop frames every member holds and we delivered: nobody can ask for them again."""
        upto = min(self._safe_point, self._delivered)
        store = self._store
        for seq in range(self._freed + 1, upto + 1):
            store.pop(seq, None)
        if upto > self._freed:
            self._freed = upto

    def _visit(self, t: Token) -> None:
        """Our turn with the token: answer retransmit requests, broadcast, update, pass on."""
        cfg, me, store, out, ring = self.cfg, self.me, self._store, self._out, self.ring
        rtr: list[int] = []
        resent = 0
        for s in t.rtr:
            f = store.get(s)
            if f is not None and resent < cfg.max_frames:
                out.append(Send(None, f))
                resent += 1
            else:
                rtr.append(s)
        fcc = max(0, t.fcc - self._last_sent)
        allowed = min(
            cfg.max_frames - resent,
            cfg.window - fcc - resent,
            cfg.max_outstanding - (t.seq - t.aru),
        )
        seq, msgs = t.seq, t.msgs
        sent = 0
        pending, pack = self._pending, cfg.pack
        while allowed > 0 and pending:
            safe = pending[0][1]
            payloads = []
            while pending and len(payloads) < pack and pending[0][1] == safe:
                payloads.append(pending.popleft()[0])
            seq += 1
            f = Mcast(ring, seq, msgs + 1, me, tuple(payloads), safe, self._my_last)
            self._my_last = seq
            msgs += len(payloads)
            store[seq] = f
            out.append(Send(None, f))
            allowed -= 1
            sent += 1
        if seq > self._high:
            self._high = seq
        self._advance_aru()
        my_aru = self._aru
        if my_aru < seq:
            asked = set(rtr)
            rtr.extend(s for s in range(my_aru + 1, seq + 1) if s not in store and s not in asked)
        aru, addr = t.aru, t.aru_addr
        if my_aru < aru or addr == me or addr is None:
            aru = my_aru
            addr = None if aru == seq else me
        self._last_sent = sent + resent
        self._deliver()
        self._pass(
            Token(ring, t.tseq + 1, seq, msgs, aru, addr, tuple(rtr), fcc + sent + resent),
            self._next,
        )

    # ---- membership: gather ------------------------------------------------------------------

    def _enter_gather(self, add=(), fail=()) -> None:
        out = self._out
        if self.state != GATHER:
            if self.state == OPERATIONAL:
                self._procs = set(self.members)
                self._failed = set()
            self._procs.add(self.me)
            self.state = GATHER
            self._joins = {}
            self._commit = None
            self._formable = False
            if self._held is not None:
                self._held = None
                out.append(CancelTimer("hold"))
            self._passed = None
            out.append(CancelTimer("retransmit"))
            out.append(CancelTimer("token"))
            out.append(CancelTimer("merge"))
        self._procs.update(add)
        self._failed.update(fail)
        self._mark_dead_incarnations()
        self._send_join()
        out.append(SetTimer("consensus", self.cfg.consensus))

    def _mark_dead_incarnations(self) -> None:
        max_inc = self._max_inc
        self._failed.update(p for p in self._procs if p[1] < max_inc.get(p[0], -1))
        self._failed.discard(self.me)

    def _send_join(self) -> None:
        join = Join(self.me, frozenset(self._procs), frozenset(self._failed), self.max_ring_seq)
        self._out.append(Send(None, join))
        self._out.append(SetTimer("join", self.cfg.join))

    def _on_join(self, j: Join) -> None:
        s = j.sender
        if not self._alive(s):
            return
        if self.state == OPERATIONAL:
            if s in self._member_set and j.ring_seq < self.ring.seq:
                return  # sent before the ring we are in was formed
            self._enter_gather({s})
        elif self.state == COMMIT:
            commit = self._commit
            if s in commit.members and j.ring_seq < commit.ring.seq:
                return
            self._enter_gather({s})
        if j.ring_seq > self.max_ring_seq:
            self.max_ring_seq = j.ring_seq
        if self.me in j.failed:
            # It gave up on us: let it form its ring, then merge with it as a fresh start
            # (failing it back instead makes two gatherers shun each other forever).
            return
        self._joins[s] = j
        procs, failed = self._procs, self._failed
        changed = False
        if s not in procs:
            procs.add(s)
            changed = True
        if not j.procs <= procs:
            procs |= j.procs
            changed = True
        new_failed = j.failed - failed - {self.me}
        if new_failed:
            failed |= new_failed
            changed = True
        if changed:
            self._mark_dead_incarnations()
            self._send_join()
            self._out.append(SetTimer("consensus", self.cfg.consensus))
        self._check_consensus()

    def _agreed(self) -> set[Proc]:
        procs, failed = self._procs, self._failed
        agreed = {self.me}
        for p, j in self._joins.items():
            if j.procs == procs and j.failed == failed:
                agreed.add(p)
        return agreed

    def _check_consensus(self) -> None:
        live = self._procs - self._failed
        if not self._formable and len(live) == 1:
            return
        if not live <= self._agreed() or min(live) != self.me:
            return
        members = tuple(sorted(live))
        seq = max(self.max_ring_seq, self.ring.seq if self.ring else 0) + _RING_SEQ_STEP
        self.max_ring_seq = seq
        infos: list[MemberInfo | None] = [None] * len(members)
        infos[0] = self._my_info()
        self._enter_commit()
        self._commit_seen = set()
        self._forward_commit(
            CommitToken(RingId(seq, self.me[0]), members, tuple(infos), (), 1), start=True
        )

    # ---- membership: commit, recovery, install ----------------------------------------------

    def _my_info(self) -> MemberInfo:
        return MemberInfo(self.me, self.ring, self._aru, self._high)

    def _enter_commit(self) -> None:
        self.state = COMMIT
        self._out.append(CancelTimer("join"))
        self._out.append(CancelTimer("consensus"))

    def _forward_commit(self, ct: CommitToken, start: bool = False) -> None:
        self._commit = ct
        self._out.append(SetTimer("token", self.cfg.token))
        members = ct.members
        nxt = members[(members.index(self.me) + 1) % len(members)]
        if nxt == self.me:
            self._on_commit(ct, local=True)
        else:
            self._pass(ct, nxt[0])

    def _on_commit(self, ct: CommitToken, local: bool = False) -> None:
        me = self.me
        if me not in ct.members:
            return
        key = (ct.ring, ct.phase)
        if key in self._commit_seen:
            return  # a retransmission of what we already handled
        cur = self._commit
        if cur is None or cur.ring != ct.ring:
            if ct.phase != 1 or self.state == OPERATIONAL:
                return
            if cur is not None and ct.ring < cur.ring:
                return
            if self.ring is not None and ct.ring <= self.ring:
                return
            if ct.infos[ct.members.index(me)] is not None:
                return  # one we gave up earlier: what it says of us may be stale
            self._enter_commit()
            self._commit_seen = set()
        self._commit_seen.add(key)
        if not local:
            self._passed_on()
        if ct.ring.seq > self.max_ring_seq:
            self.max_ring_seq = ct.ring.seq
        rep = ct.members[0] == me
        if ct.phase == 1:
            if rep:
                self._forward_commit(self._add_frames(_replace_phase(ct, 2)))
            else:
                infos = list(ct.infos)
                infos[ct.members.index(me)] = self._my_info()
                self._forward_commit(_replace_infos(ct, tuple(infos)))
        elif ct.phase == 2:
            if rep:
                ct = _replace_phase(ct, 3)
                self._install(ct)
                self._forward_commit(ct)
            else:
                self._forward_commit(self._add_frames(ct))
        elif ct.phase == 3:
            if rep:
                self._commit = None
                self._passed_on()
                self._on_token(Token(self.ring, 1, 0, 0, 0, None, (), 0))
            else:
                self._install(ct)
                self._forward_commit(ct)

    def _group(self, ct: CommitToken) -> list[MemberInfo]:
        """The members of the new ring that come from our old ring."""
        return [info for info in ct.infos if self.ring is not None and info.old_ring == self.ring]

    def _add_frames(self, ct: CommitToken) -> CommitToken:
        """Add the old-ring frames we hold that another member of our old ring may lack."""
        group = self._group(ct)
        if not group:
            return ct
        low = min(info.aru for info in group)
        high = max(info.high_seq for info in group)
        have = {f.seq for f in ct.frames if f.ring == self.ring}
        store = self._store
        extra = tuple(store[s] for s in range(low + 1, high + 1) if s in store and s not in have)
        if not extra:
            return ct
        return CommitToken(ct.ring, ct.members, ct.infos, ct.frames + extra, ct.phase)

    def _install(self, ct: CommitToken) -> None:
        """Finish the old ring (recovered frames, transitional configuration), start the new."""
        out, me = self._out, self.me
        old_ring = self.ring
        prev = self.members
        if old_ring is not None:
            group = self._group(ct)
            low = min(info.aru for info in group)
            high = max(info.high_seq for info in group)
            extra = {f.seq: f for f in ct.frames if f.ring == old_ring}
            store = self._store
            survivors = [info.proc for info in group]
            taken: set[int] = set()
            frames = []
            broken: set[Proc] = set()
            hole = 0
            for s in range(self._delivered + 1, high + 1):
                f = store[s] if s <= low else extra.get(s)
                if f is None:
                    hole = hole or s  # a frame no survivor holds: its sender failed
                elif hole and (
                    f.sender in broken or (f.prev > self._delivered and f.prev not in taken)
                ):
                    broken.add(f.sender)  # skip what follows a lost frame of the same sender
                else:
                    frames.append(f)
                    taken.add(s)
            transitional = ConfigurationChange(
                "transitional",
                old_ring,
                _nodes(survivors),
                (),
                _nodes(set(prev) - set(survivors)),
            )
            in_regular = True
            safe_point = self._safe_point
            for f in frames:
                if in_regular and ((f.safe and f.seq > safe_point) or (hole and f.seq > hole)):
                    in_regular = False
                    out.append(transitional)
                sender, first, safe = f.sender[0], f.first, f.safe
                for i, payload in enumerate(f.payloads):
                    out.append(Delivery(old_ring, sender, first + i, payload, safe))
            if in_regular:
                out.append(transitional)
            self._past_rings.append(old_ring)
        members = ct.members
        out.append(
            ConfigurationChange(
                "regular",
                ct.ring,
                _nodes(members),
                _nodes(set(members) - set(prev)),
                _nodes(set(prev) - set(members)),
            )
        )
        self.state = OPERATIONAL
        self.ring = ct.ring
        self.members = members
        self._member_set = frozenset(members)
        self._next = members[(members.index(me) + 1) % len(members)][0]
        self._store = {}
        self._aru = self._high = self._delivered = self._freed = 0
        self._safe_point = self._prev_visit_aru = self._tseq = self._last_sent = 0
        self._my_last = 0
        self._stall_aru, self._stall = -1, 0
        self._procs = {me}
        self._failed = set()
        self._joins = {}
        out.append(CancelTimer("join"))
        out.append(CancelTimer("consensus"))
        out.append(SetTimer("token", self.cfg.token))
        if members[0] == me:
            out.append(SetTimer("merge", self.cfg.merge))

    def _on_merge_detect(self, m: MergeDetect) -> None:
        if (
            self.state == OPERATIONAL
            and m.ring != self.ring
            and m.sender not in self._member_set
            and m.ring not in self._past_rings
            and self._alive(m.sender)
        ):
            self._enter_gather({m.sender})


def _replace_phase(ct: CommitToken, phase: int) -> CommitToken:
    return CommitToken(ct.ring, ct.members, ct.infos, ct.frames, phase)


def _replace_infos(ct: CommitToken, infos: tuple[MemberInfo | None, ...]) -> CommitToken:
    return CommitToken(ct.ring, ct.members, infos, ct.frames, ct.phase)
