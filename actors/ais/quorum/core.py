"""The votequorum service core of one node, sans-IO.

Entry point: `QuorumCore(node, config).handle(event, now=0.0) -> list[Effect]` (see
`actors.ais.effects`): EVS events from totem, `ClientRequest`s whose `op` is one of the requests
in `actors.ais.quorum.messages`, `ClientGone`, and `TimerFired(LMS_TIMER)`.

How it works (votequorum's model):

- On every regular configuration each node multicasts its `NodeInfo` (votes, expected votes,
  quorate, waiting-for-all). A member's votes count once its info is known: members that were
  already in the previous configuration keep theirs, a newcomer counts from its first NodeInfo.
  Nodes that left count nothing, at once.
- Expected votes are the highest that any member advertises, and never below the votes present;
  they do not fall when nodes leave. They fall only by `SetExpected` (votequorum_setexpected) or
  by last man standing: when nodes left and the partition stayed quorate, a timer of
  `last_man_standing_window` starts (restarted by every further change); when it fires, the
  lowest member multicasts `ExpectedChange(total votes, ring)`, applied by every member still in
  that ring.
- wait_for_all: a node is never quorate until it has seen every expected vote at once, or it
  joins a partition whose members say they are quorate and done waiting.
- auto_tie_breaker, two_node: see `actors.ais.quorum.calculation`.

Clients tracking with CHANGES get a `QuorumNotification` whenever quorate or the member list
changes; CURRENT sends one at once.
"""

from __future__ import annotations

from actors.ais.effects import (
    Callback,
    ClientGone,
    ClientRequest,
    ConnId,
    Effect,
    Input,
    Multicast,
    Reply,
    SetTimer,
    TimerFired,
)
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evs import ConfigurationChange, Delivery, NodeId, RingId
from actors.ais.quorum.calculation import QuorumState, calculate, tie_breaker_node
from actors.ais.quorum.config import QuorumConfig
from actors.ais.quorum.messages import (
    ExpectedChange,
    GetInfo,
    GetQuorate,
    GetStatus,
    InfoFlags,
    NodeInfo,
    NodeQuorumInfo,
    QuorumNotification,
    QuorumStatus,
    SetExpected,
    SetVotes,
    TrackFlags,
    TrackStart,
    TrackStop,
    VotesChange,
)

LMS_TIMER = "quorum.last_man_standing"


class QuorumCore:
    """Votequorum on one node; see the module docstring."""

    def __init__(self, node: NodeId, config: QuorumConfig) -> None:
        self.node = node
        self.config = config
        self.votes = config.votes_of(node)
        self.expected_votes = config.initial_expected_votes
        self.waiting_for_all = config.waits_for_all
        self.ring_id: RingId | None = None
        self.members: tuple[NodeId, ...] = ()
        self.known: set[NodeId] = set(config.nodes) | {node}
        """Every node the cluster has known: the nodelist and every node ever seen."""
        self.infos: dict[NodeId, NodeInfo] = {}
        """The latest NodeInfo of each member whose votes count."""
        self.state = self._calculate()
        self.trackers: dict[ConnId, TrackFlags] = {}
        self._lms_armed = False
        self._reported: tuple[bool, tuple[NodeId, ...]] = (self.state.quorate, self.members)

    # -- entry point ---------------------------------------------------------------------------

    def handle(self, event: Input, now: float = 0.0) -> list[Effect]:
        """Feed one input; returns the effects to carry out, in order (`now` is unused: the
        only deadline is a timer effect)."""
        if isinstance(event, ConfigurationChange):
            return self._on_configuration(event) if event.kind == "regular" else []
        if isinstance(event, Delivery):
            return self._on_delivery(event)
        if isinstance(event, ClientRequest):
            return self._on_request(event)
        if isinstance(event, ClientGone):
            self.trackers.pop(event.conn, None)
            return []
        if isinstance(event, TimerFired) and event.key == LMS_TIMER:
            return self._on_lms_timer()
        return []

    # -- queries -------------------------------------------------------------------------------

    @property
    def quorate(self) -> bool:
        return self.state.quorate

    @property
    def flags(self) -> InfoFlags:
        flags = InfoFlags(0)
        for on, flag in (
            (self.config.two_node, InfoFlags.TWONODE),
            (self.state.quorate, InfoFlags.QUORATE),
            (self.config.waits_for_all, InfoFlags.WAIT_FOR_ALL),
            (self.config.last_man_standing, InfoFlags.LAST_MAN_STANDING),
            (self.config.auto_tie_breaker, InfoFlags.AUTO_TIE_BREAKER),
        ):
            if on:
                flags |= flag
        return flags

    def status(self) -> QuorumStatus:
        """What `ringleader quorum` shows (a member whose NodeInfo is not in yet: 0 votes)."""
        votes = self._member_votes()
        return QuorumStatus(
            node=self.node,
            ring_id=self.ring_id,
            members=tuple((n, votes.get(n, 0)) for n in self.members),
            expected_votes=self.expected_votes,
            highest_expected=self._highest_expected(),
            total_votes=self.state.total_votes,
            quorum=self.state.quorum,
            flags=self.flags,
        )

    def info(self, nodeid: NodeId) -> NodeQuorumInfo | None:
        if nodeid not in self.known:
            return None
        record = self.infos.get(nodeid)
        votes = self.votes if nodeid == self.node else (record.votes if record else 0)
        expected = (
            self.expected_votes if nodeid == self.node else (record.expected_votes if record else 0)
        )
        return NodeQuorumInfo(
            nodeid=nodeid,
            member=nodeid in self.members,
            votes=votes,
            expected_votes=expected,
            highest_expected=self._highest_expected(),
            total_votes=self.state.total_votes,
            quorum=self.state.quorum,
            flags=self.flags,
        )

    # -- arithmetic ----------------------------------------------------------------------------

    def _member_votes(self) -> dict[NodeId, int]:
        votes = {n: self.infos[n].votes for n in self.members if n in self.infos}
        if self.node in self.members:
            votes[self.node] = self.votes
        return votes

    def _highest_expected(self) -> int:
        advertised = [self.infos[n].expected_votes for n in self.members if n in self.infos]
        return max([self.expected_votes, *advertised])

    def _calculate(self) -> QuorumState:
        tie_breaker = None
        if self.config.auto_tie_breaker:
            tie_breaker = tie_breaker_node(self.config.auto_tie_breaker_node, self.known)
        return calculate(
            self._member_votes(),
            self._highest_expected(),
            two_node=self.config.two_node,
            waiting_for_all=self.waiting_for_all,
            tie_breaker=tie_breaker,
        )

    def _recalculate(self) -> list[Effect]:
        """Bring the state up to date with what is known; notify trackers of any change."""
        state = self._calculate()
        if self.waiting_for_all and state.total_votes >= state.expected_votes:
            self.waiting_for_all = False
            state = self._calculate()
        self.state = state
        self.expected_votes = state.expected_votes
        if not state.quorate and self._lms_armed:
            self._lms_armed = False  # nothing to lower while inquorate
        now = (state.quorate, self.members)
        if now == self._reported or self.ring_id is None:
            return []
        self._reported = now
        note = QuorumNotification(state.quorate, self.ring_id, self.members)
        return [
            Callback(conn, note)
            for conn, flags in self.trackers.items()
            if flags & (TrackFlags.CHANGES | TrackFlags.CHANGES_ONLY)
        ]

    def _my_info(self) -> NodeInfo:
        return NodeInfo(
            self.node, self.votes, self.expected_votes, self.state.quorate, self.waiting_for_all
        )

    # -- totem events --------------------------------------------------------------------------

    def _on_configuration(self, change: ConfigurationChange) -> list[Effect]:
        previous = set(self.members)
        self.ring_id = change.ring_id
        self.members = tuple(sorted(change.members))
        self.known |= set(change.members)
        self.infos = {
            n: info for n, info in self.infos.items() if n in previous & set(self.members)
        }
        effects = self._recalculate()
        if (
            self.config.last_man_standing
            and self.state.quorate
            and (self._lms_armed or previous - set(self.members))
        ):
            self._lms_armed = True
            effects.append(SetTimer(LMS_TIMER, self.config.last_man_standing_window))
        effects.append(Multicast(self._my_info()))
        return effects

    def _on_delivery(self, delivery: Delivery) -> list[Effect]:
        payload = delivery.payload
        if isinstance(payload, NodeInfo):
            if payload.nodeid not in self.members or payload.nodeid == self.node:
                return []
            self.infos[payload.nodeid] = payload
            if self.waiting_for_all and payload.quorate and not payload.waiting_for_all:
                self.waiting_for_all = False  # joining a partition that is up and running
            return self._recalculate()
        if isinstance(payload, ExpectedChange):
            if payload.ring_id is not None and payload.ring_id != self.ring_id:
                return []  # a last-man-standing decision for a configuration that is gone
            self._set_expected(payload.expected_votes)
            return self._recalculate()
        if isinstance(payload, VotesChange):
            if payload.nodeid == self.node:
                self.votes = payload.votes
            elif payload.nodeid in self.infos:
                old = self.infos[payload.nodeid]
                self.infos[payload.nodeid] = NodeInfo(
                    old.nodeid,
                    payload.votes,
                    old.expected_votes,
                    old.quorate,
                    old.waiting_for_all,
                )
            return self._recalculate()
        return []

    def _set_expected(self, expected: int) -> None:
        """Every member now expects `expected` votes (lowering is allowed here only)."""
        self.expected_votes = expected
        self.infos = {
            n: NodeInfo(i.nodeid, i.votes, expected, i.quorate, i.waiting_for_all)
            for n, i in self.infos.items()
        }

    def _on_lms_timer(self) -> list[Effect]:
        if not self._lms_armed or not self.state.quorate or not self.members:
            return []
        self._lms_armed = False
        if self.node != min(self.members):
            return []
        return [Multicast(ExpectedChange(max(self.state.total_votes, 1), self.ring_id))]

    # -- client requests -----------------------------------------------------------------------

    def _on_request(self, req: ClientRequest) -> list[Effect]:
        op = req.op

        def reply(result: object = None) -> list[Effect]:
            return [Reply(req.conn, req.request_id, result)]

        if isinstance(op, GetQuorate):
            return reply(self.state.quorate)
        if isinstance(op, GetStatus):
            return reply(self.status())
        if isinstance(op, GetInfo):
            nodeid = self.node if op.nodeid is None else op.nodeid
            info = self.info(nodeid)
            if info is None:
                return reply(AisError(AisErrorCode.NOT_EXIST, f"quorum: unknown node {nodeid}"))
            return reply(info)
        if isinstance(op, TrackStart):
            return self._track_start(req, op)
        if isinstance(op, TrackStop):
            if self.trackers.pop(req.conn, None) is None:
                return reply(AisError(AisErrorCode.NOT_EXIST, "quorum: not tracking"))
            return reply()
        if isinstance(op, SetExpected):
            return self._set_expected_request(req, op)
        if isinstance(op, SetVotes):
            return self._set_votes_request(req, op)
        detail = f"quorum: unknown request {type(op).__name__}"
        return reply(AisError(AisErrorCode.INVALID_PARAM, detail))

    def _track_start(self, req: ClientRequest, op: TrackStart) -> list[Effect]:
        flags = TrackFlags(op.flags)
        if not flags or (TrackFlags.CHANGES in flags and TrackFlags.CHANGES_ONLY in flags):
            error = AisError(AisErrorCode.BAD_FLAGS, f"quorum: track flags {flags!r}")
            return [Reply(req.conn, req.request_id, error)]
        effects: list[Effect] = [Reply(req.conn, req.request_id)]
        if flags & (TrackFlags.CHANGES | TrackFlags.CHANGES_ONLY):
            self.trackers[req.conn] = flags
        if TrackFlags.CURRENT in flags and self.ring_id is not None:
            note = QuorumNotification(self.state.quorate, self.ring_id, self.members)
            effects.append(Callback(req.conn, note))
        return effects

    def _set_expected_request(self, req: ClientRequest, op: SetExpected) -> list[Effect]:
        votes = self._member_votes()
        would = calculate(votes, op.expected_votes, two_node=self.config.two_node)
        if op.expected_votes < 1 or would.quorum > would.total_votes:
            detail = (
                f"quorum: expected_votes {op.expected_votes} would leave quorum "
                f"{would.quorum} above the {would.total_votes} votes present"
            )
            return [Reply(req.conn, req.request_id, AisError(AisErrorCode.INVALID_PARAM, detail))]
        return [Reply(req.conn, req.request_id), Multicast(ExpectedChange(op.expected_votes))]

    def _set_votes_request(self, req: ClientRequest, op: SetVotes) -> list[Effect]:
        nodeid = self.node if op.nodeid is None else op.nodeid
        if nodeid not in self.members:
            error = AisError(AisErrorCode.NOT_EXIST, f"quorum: node {nodeid} is not a member")
            return [Reply(req.conn, req.request_id, error)]
        if op.votes < 0:
            error = AisError(AisErrorCode.INVALID_PARAM, f"quorum: votes {op.votes} < 0")
            return [Reply(req.conn, req.request_id, error)]
        return [Reply(req.conn, req.request_id), Multicast(VotesChange(nodeid, op.votes))]
