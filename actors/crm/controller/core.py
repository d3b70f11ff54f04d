"""The controller's core (sans-IO): one per node, the DC's loop on the elected one.

Every controller
- follows the crmd group's views and agreed messages, so it knows the DC (`election`), which
  nodes were members and left without being fenced or shutting down cleanly (they are unclean),
  and keeps a replica of every node's history and pending operations (every join reply and
  result is multicast): a new DC, after the old one died, knows what ran on it and on any other
  lost node, and so fences before recovering. Join replies also carry what the replier knows of
  lost nodes, for a DC that joined after they were lost;
- mirrors its own LRM's history and the operations it handed to it and has not heard back from,
  answers the DC's join requests with them, runs the operations the DC sends it and multicasts
  every result (`OpDone`).

The DC in addition
- runs join rounds (`join`) and, once every member has answered, builds the CIB it plans with:
  the CIB's configuration, a status section from the members' histories, node states and
  attributes (`actors.crm.cib.status`), have-quorum from the executive;
- runs the scheduler on every relevant change (configuration, result, membership, attribute,
  quorum), a short timer coalescing bursts, and executes the graph (`transition.engine`):
  resource operations go to the target node's controller, fencing to the local fencer, pseudo
  actions complete at once. An unexpected result aborts: in-flight actions are awaited, then it
  plans again from the new status;
- counts failures (fail-count-RSC#OP_INTERVAL, last-failure-RSC#OP_INTERVAL through the
  attribute manager), records a fenced node as cleanly down with its history cleared before the
  graph goes on (its resources are started elsewhere only after that), and lets a node that
  asked to shut down go once nothing runs there any more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from actors.agents.digest import op_digest
from actors.agents.duration import parse_ms
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.crm.attrd.core import incremented
from actors.crm.cib import CibError, parse_cib
from actors.crm.cib.model import Cib
from actors.crm.cib.status import (
    NodeStatus,
    PendingOp,
    apply_record,
    cib_with_status,
    is_failure,
)
from actors.crm.controller.election import Election
from actors.crm.controller.join import JoinRounds
from actors.crm.controller.messages import (
    AttributesUpdated,
    CancelLocal,
    CleanupRequest,
    ConfigUpdated,
    DeleteLocal,
    Delivered,
    ExecuteOp,
    Fence,
    FenceCompleted,
    ForgetResource,
    Forgotten,
    HistoryRefreshed,
    JoinReply,
    JoinRequest,
    LrmHistories,
    LrmResult,
    Mcast,
    NodeFenced,
    Note,
    OpCommand,
    OpDone,
    QuorumUpdated,
    RunOp,
    SetAttribute,
    SetTimer,
    ShutdownComplete,
    ShutdownGranted,
    ShutdownRequested,
    ShuttingDown,
    TimerFired,
    ViewChanged,
)
from actors.crm.controller.operations import STARTS, command_for, primitives, scheduler_digest
from actors.crm.lrm.history import OpRecord, ResourceHistory
from actors.crm.scheduler import Transition, Unsupported, schedule
from actors.crm.scheduler.options import ClusterOptions
from actors.crm.transition.engine import FENCE_TASKS, TransitionEngine, starts_after_fencing

REPLAN = "replan"  # timer keys: (REPLAN, seq); only the latest one counts
OpKey = tuple[str, str, int]  # (rsc, action, interval_ms)


def _key(command: OpCommand | OpRecord) -> OpKey:
    rsc = command.rsc_id
    return (rsc, command.action, command.interval_ms)


def _pending(command: OpCommand) -> PendingOp:
    return PendingOp(
        command.rsc_id, command.spec, command.action, command.interval_ms, command.expected_rc
    )


class _Dc:
    """What only the DC keeps."""

    def __init__(self, node: str) -> None:
        self.joins = JoinRounds(node)
        self.engine: TransitionEngine | None = None
        self.transition_id = 0
        self.dirty = True
        self.timer_due: float | None = None  # when the pending replan timer fires
        self.timer_seq = 0
        self.failures_in_row = 0
        self.shutdown_at: dict[str, int] = {}
        self.last_cib: str | None = None
        self.last_transition: Transition | None = None
        self.cib_model: Cib | None = None  # the CIB the current transition was planned from
        self.since = 0.0  # when this node became DC


class ControllerCore:
    def __init__(
        self,
        node: str,
        node_ids: Mapping[str, int],
        coalesce: float = 0.05,
        slack: float = 30.0,
        controller_grace: float = 15.0,
    ) -> None:
        self.node = node
        self.node_ids = dict(node_ids)
        self.coalesce = coalesce
        self.slack = slack
        self.election = Election(node, node_ids)
        self.ever_members: set[str] = set()
        self.down_clean: set[str] = set()
        self.config_xml: str | None = None
        self.attrs: dict[str, dict[str, str]] = {}
        self.quorate = False
        self.ring: frozenset[str] | None = None  # nodes in the totem ring, from the executive
        self.controller_grace = controller_grace
        self._left_at: dict[str, float] = {}
        self.shutting_down = False
        # this node's LRM, as its controller knows it
        self.local: dict[str, ResourceHistory] = {}
        self.local_known = False
        self.local_pending: dict[OpKey, OpCommand] = {}
        self._expiry: dict[OpKey, int] = {}  # the latest request per key, for its expiry timer
        self._op_seq = 0
        # every node's history and unanswered operations, replicated from the agreed stream
        self.histories: dict[str, dict[str, ResourceHistory]] = {}
        self.pending: dict[str, dict[OpKey, PendingOp]] = {}
        self._deferred_join: JoinRequest | None = None
        self.dc: _Dc | None = None
        self._model: Cib | None = None
        self._model_of: str | None = None
        self._now = 0.0

    # ---- queries ----------------------------------------------------------------------------

    @property
    def is_dc(self) -> bool:
        return self.dc is not None

    def node_statuses(self) -> list[NodeStatus]:
        """The status section's nodes, in configuration order (DC only)."""
        assert self.dc is not None
        members = set(self.election.members)
        out = []
        for name, nid in sorted(self.node_ids.items(), key=lambda kv: kv[1]):
            attrs = dict(self.attrs.get(name, {}))
            if name in self.dc.shutdown_at:
                attrs["shutdown"] = str(self.dc.shutdown_at[name])
            known = self.histories.get(name, {}).values()
            hist = tuple(self._for_scheduler(name, h) for h in known)
            pending = tuple(self.pending.get(name, {}).values())
            if name in members:
                joined = name in self.dc.joins.joined
                out.append(
                    NodeStatus(
                        str(nid),
                        name,
                        True,
                        True,
                        "member" if joined else "pending",
                        "member",
                        hist if joined else (),
                        pending if joined else (),
                        attrs,
                    )
                )
            elif name in self.ever_members and name not in self.down_clean:
                out.append(
                    NodeStatus(str(nid), name, False, False, "down", "member", hist, pending)
                )
            elif name in self.down_clean:
                out.append(NodeStatus(str(nid), name, False, False, "down", "down"))
            # never seen: no node_state, so startup-fencing decides (unclean by default)
        return out

    def _for_scheduler(self, node: str, hist: ResourceHistory) -> ResourceHistory:
        """A start's digest as the scheduler computes it (`operations.scheduler_digest`); a
        migrate_from is the start of a migrated resource."""
        last, model = hist.last, self._config_model()
        if last is None or last.action not in STARTS or model is None:
            return hist
        prim = primitives(model).get(hist.rsc_id)
        if prim is None:
            return hist
        digest = scheduler_digest(prim, model, node, last)
        if digest == last.op_digest:
            return hist
        return replace(hist, last=replace(last, op_digest=digest))

    def _config_model(self) -> Cib | None:
        if self.config_xml is None:
            return None
        if self._model_of != self.config_xml:
            try:
                self._model = parse_cib(self.config_xml, "cib")
            except CibError:
                self._model = None
            self._model_of = self.config_xml
        return self._model

    # ---- the one entry point ----------------------------------------------------------------

    def handle(self, event: object, now: float) -> list:
        fx: list = []
        self._now = now
        match event:
            case ViewChanged():
                self._view(event, now, fx)
            case Delivered(sender, payload):
                self._delivered(sender, payload, now, fx)
            case ConfigUpdated(xml):
                self.config_xml = xml
                self._changed(fx, "configuration changed")
            case AttributesUpdated(table):
                table = {n: dict(v) for n, v in table.items()}
                if table != self.attrs:
                    self.attrs = table
                    self._changed(fx, "attributes changed")
            case QuorumUpdated(quorate, ring):
                ring = None if ring is None else frozenset(ring)
                if (quorate, ring) != (self.quorate, self.ring):
                    self.quorate, self.ring = quorate, ring
                    self._changed(fx, "quorum or ring changed")
            case LrmResult(record):
                self._lrm_result(record, fx)
            case LrmHistories(histories, restarted):
                self._lrm_histories(histories, restarted, fx)
            case FenceCompleted(target, ok, reason):
                self._fenced(target, ok, reason, now, fx)
            case TimerFired(key):
                self._timer(key, now, fx)
            case ShutdownRequested():
                if not self.shutting_down:
                    self.shutting_down = True
                    fx.append(Mcast(ShuttingDown(self.node)))
            case _:
                raise TypeError(f"ControllerCore cannot handle {event!r}")
        return fx

    # ---- membership and election ------------------------------------------------------------

    def _view(self, event: ViewChanged, now: float, fx: list) -> None:
        for n in event.left:
            self._left_at[n] = now
            if n in self.election.shutting_down:
                self._mark_fenced(n)  # shut down cleanly: as down as a fenced node
        self.ever_members |= set(event.members)
        self.down_clean -= set(event.joined)
        self.election.view(event.members)
        if self.shutting_down:
            fx.append(Mcast(ShuttingDown(self.node)))  # for members that missed it
        self._dc_changed(now, fx)
        if self.dc is None:
            return
        for n in event.left:
            self.dc.joins.left(n)
            self._fail_in_flight(n, "node left", now, fx)
        if event.joined:
            self._join_round(event.joined, fx)
        self._changed(fx, "membership changed")

    def _dc_changed(self, now: float, fx: list) -> None:
        if self.election.is_dc and self.dc is None:
            self.dc = _Dc(self.node)
            self.dc.since = now
            fx.append(Note(f"{self.node} is the DC of {', '.join(self.election.members)}"))
            self._join_round((), fx)
        elif not self.election.is_dc and self.dc is not None:
            fx.append(Note(f"{self.node} is no longer the DC (now {self.election.dc})"))
            self.dc = None

    def _join_round(self, fresh, fx: list) -> None:
        assert self.dc is not None
        join_id = self.dc.joins.start(self.election.members, fresh)
        fx.append(Mcast(JoinRequest(self.node, join_id)))

    # ---- messages from the group ------------------------------------------------------------

    def _delivered(self, sender: str, payload: object, now: float, fx: list) -> None:
        match payload:
            case JoinRequest():
                if self.local_known:
                    self._join_reply(payload, fx)
                else:
                    self._deferred_join = payload
            case JoinReply(node, _, _, histories, pending, lost):
                self.histories[node] = {h.rsc_id: h for h in histories}
                self.pending[node] = {(p.rsc_id, p.action, p.interval_ms): p for p in pending}
                self._learn_lost(lost)
            case ExecuteOp(dc, node, command):
                if dc != self.election.dc:
                    return
                self.pending.setdefault(node, {})[_key(command)] = _pending(command)
                if node == self.node:
                    self.local_pending[_key(command)] = command
                    if command.action in ("promote", "demote"):
                        local = self.local.get(command.rsc_id)
                        for record in local.recurring.values() if local is not None else ():
                            fx.append(
                                CancelLocal(command.rsc_id, record.action, record.interval_ms)
                            )
                    fx.append(RunOp(command))
                    # The LRM enforces the agent's timeout: no answer well after it means the
                    # request was lost (an LRM restart between two polls), never left pending.
                    self._op_seq += 1
                    self._expiry[_key(command)] = self._op_seq
                    expiry = ("op", _key(command), self._op_seq)
                    fx.append(SetTimer(expiry, command.timeout_ms / 1000 + self.slack))
            case OpDone(node, record, _):
                apply_record(self.histories.setdefault(node, {}), record)
                self.pending.get(node, {}).pop(_key(record), None)
            case ForgetResource(dc, node, rsc_id):
                if node == self.node and dc == self.election.dc:
                    self.local.pop(rsc_id, None)
                    for key in [k for k in self.local_pending if k[0] == rsc_id]:
                        del self.local_pending[key]
                    fx.append(DeleteLocal(rsc_id))
                    fx.append(Mcast(Forgotten(self.node, rsc_id)))
            case Forgotten(node, rsc_id):
                self.histories.get(node, {}).pop(rsc_id, None)
                for key in [k for k in self.pending.get(node, {}) if k[0] == rsc_id]:
                    del self.pending[node][key]
            case HistoryRefreshed(node, histories):
                self.histories[node] = {h.rsc_id: h for h in histories}
            case ShuttingDown(node):
                self.election.shutdown_announced(node)
                self._dc_changed(now, fx)
                if self.dc is not None and node not in self.dc.shutdown_at:
                    self.dc.shutdown_at[node] = int(now)
                    self._changed(fx, f"{node} is shutting down")
            case ShutdownGranted(node):
                if node == self.node and self.shutting_down:
                    fx.append(ShutdownComplete())
            case NodeFenced(node):
                self._mark_fenced(node)
        if self.dc is not None:
            self._dc_delivered(payload, now, fx)

    def _learn_lost(self, lost) -> None:
        """A replier's lost nodes: lost here too unless known to be cleanly down or back."""
        for node, histories, pending in lost:
            if node in self.election.members or node in self.down_clean:
                continue
            if node not in self.ever_members:
                self.ever_members.add(node)
                self.histories[node] = {h.rsc_id: h for h in histories}
                self.pending[node] = {(p.rsc_id, p.action, p.interval_ms): p for p in pending}

    def lost_nodes(self) -> list[str]:
        members = set(self.election.members)
        return sorted(n for n in self.ever_members if n not in members | self.down_clean)

    def _mark_fenced(self, node: str) -> None:
        """Fenced: cleanly down, nothing runs there (Pacemaker clears its history)."""
        self.down_clean.add(node)
        self.histories[node] = {}
        self.pending[node] = {}
        self.attrs.pop(node, None)
        if self.dc is not None:
            self.dc.shutdown_at.pop(node, None)
            self.dc.dirty = True

    def _join_reply(self, request: JoinRequest, fx: list) -> None:
        fx.append(
            Mcast(
                JoinReply(
                    self.node,
                    request.dc,
                    request.join_id,
                    tuple(self.local.values()),
                    tuple(_pending(c) for c in self.local_pending.values()),
                    tuple(
                        (
                            n,
                            tuple(self.histories.get(n, {}).values()),
                            tuple(self.pending.get(n, {}).values()),
                        )
                        for n in self.lost_nodes()
                    ),
                )
            )
        )

    def _dc_delivered(self, payload: object, now: float, fx: list) -> None:
        """The DC's part, after the replica took the message in."""
        dc = self.dc
        assert dc is not None
        match payload:
            case JoinReply(node, to, join_id):
                if to == self.node and dc.joins.answered(node, join_id):
                    self._changed(fx, f"{node} joined")
            case OpDone(node, record, tag):
                self._op_done(node, record, tag, now, fx)
            case Forgotten(node, rsc_id):
                self._changed(fx, f"{rsc_id} forgotten on {node}")
            case HistoryRefreshed(node):
                self._changed(fx, f"{node}'s LRM restarted")
            case CleanupRequest(rsc_id, node):
                self._cleanup(rsc_id, node, fx)

    # ---- this node's LRM --------------------------------------------------------------------

    def _lrm_result(self, record: OpRecord, fx: list) -> None:
        apply_record(self.local, record)
        command = self.local_pending.pop(_key(record), None)
        fx.append(Mcast(OpDone(self.node, record, command.tag if command else None)))

    def _lrm_histories(self, histories, restarted: bool, fx: list) -> None:
        """The LRM's history as just read: adopted at first; later only when it shows the LRM
        restarted (told so, or it forgot resources we know: a restart the poll missed)."""
        known = {h.rsc_id for h in histories}
        if self.local_known and not restarted and set(self.local) <= known:
            return  # the same LRM: our mirror follows its reports
        restarted = self.local_known
        self.local = {h.rsc_id: h for h in histories}
        self.local_known = True
        if restarted:
            # What the old LRM was running has an unknown outcome: report it failed (the DC
            # re-probes), then the history as the new LRM has it.
            lost = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.NOT_CONNECTED, "LRM restarted")
            for command in list(self.local_pending.values()):
                fx.append(Mcast(OpDone(self.node, _lost_record(command, lost), command.tag)))
            self.local_pending.clear()
            fx.append(Mcast(HistoryRefreshed(self.node, tuple(self.local.values()))))
        if self._deferred_join is not None:
            self._join_reply(self._deferred_join, fx)
            self._deferred_join = None

    # ---- the DC's loop ----------------------------------------------------------------------

    def _changed(self, fx: list, why: str) -> None:
        dc = self.dc
        if dc is None:
            return
        dc.dirty = True
        if dc.engine is not None and not dc.engine.complete:
            dc.engine.abort(why)
        self._arm(fx)

    def _arm(self, fx: list, delay: float | None = None) -> None:
        """Plan after `delay` (default: the coalescing delay), unless a plan is due sooner."""
        dc = self.dc
        if dc is None:
            return
        delay = self.coalesce if delay is None else delay
        due = self._now + delay
        if dc.timer_due is not None and dc.timer_due <= due:
            return
        dc.timer_due, dc.timer_seq = due, dc.timer_seq + 1
        fx.append(SetTimer((REPLAN, dc.timer_seq), delay))

    def _timer(self, key, now: float, fx: list) -> None:
        dc = self.dc
        if key[0] == "op":
            command = self.local_pending.get(key[1])
            if command is not None and self._expiry.get(key[1]) == key[2]:
                del self.local_pending[key[1]]
                lost = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.TIMEOUT, "no LRM result")
                fx.append(Mcast(OpDone(self.node, _lost_record(command, lost), command.tag)))
            return
        if key[0] == REPLAN:
            if dc is not None and key[1] == dc.timer_seq:
                dc.timer_due = None
                self._plan(now, fx)
            return
        if dc is None or dc.engine is None or key[0] != "action" or key[1] != dc.engine.id:
            return
        self._completed(key[2], False, "timed out", now, fx)

    def cib(self, now: float | None = None) -> str | None:
        """The CIB the DC plans with: configuration + status (None before the first config)."""
        if self.dc is None or self.config_xml is None:
            return None
        return cib_with_status(
            self.config_xml,
            self.node_statuses(),
            self.quorate,
            self._node_id(self.node),
            self.node_ids,
        )

    def _node_id(self, name: str) -> str:
        return str(self.node_ids.get(name, name))

    def _plan(self, now: float, fx: list) -> None:
        dc = self.dc
        assert dc is not None
        if dc.engine is not None and not dc.engine.complete:
            assert dc.cib_model is not None  # what may still begin after an abort, then wait
            self._dispatch(dc.engine.start(), dc.cib_model, now, fx)
            self._after(now, fx)
            return  # planned again when the last in-flight action ends
        if not dc.dirty or not dc.joins.settled or self.config_xml is None:
            return
        if any(self.pending.get(n) for n in dc.joins.joined):
            return  # a previous DC's operations still running: their outcome decides the plan
        wait = max(self._deadtime_left(now), self._restarting_left(now))
        if wait > 0:
            self._arm(fx, wait)
            return
        dc.dirty = False
        text = self.cib(now)
        assert text is not None
        try:
            cib = parse_cib(text, "cib")
            transition = schedule(cib, dt.datetime.fromtimestamp(now, dt.UTC))
        except (CibError, Unsupported, ValueError) as exc:
            fx.append(Note(f"cannot plan: {exc}"))
            return
        dc.last_cib, dc.last_transition = text, transition
        dc.transition_id += 1
        devices = [p.id for p in primitives(cib).values() if p.klass == "stonith"]
        extra = starts_after_fencing(transition, devices)
        dc.engine = TransitionEngine(transition, dc.transition_id, extra)
        dc.cib_model = cib
        runnable = [a for a in transition.actions if a.runnable and not a.pseudo]
        if runnable:
            fx.append(Note(f"transition {dc.transition_id}: {len(runnable)} actions"))
        self._dispatch(dc.engine.start(), cib, now, fx)
        self._after(now, fx)

    def unseen(self) -> list[str]:
        """Configured nodes nobody here has seen: their state is unknown."""
        known = self.ever_members | self.down_clean | set(self.election.members)
        return sorted(n for n in self.node_ids if n not in known)

    def _restarting_left(self, now: float) -> float:
        """A node still in the ring whose controller left is restarting it (the supervisor
        respawns a crashed crm process): nothing is planned for `controller_grace` seconds, so
        it comes back to its resources instead of being fenced. Gone from the ring: lost."""
        if self.ring is None:
            return 0.0
        waits = [
            self._left_at.setdefault(n, now) + self.controller_grace - now
            for n in self.lost_nodes()
            if n in self.ring
        ]
        return max([0.0, *waits])

    def _deadtime_left(self, now: float) -> float:
        """Pacemaker's dc-deadtime: a new DC that has never seen some node gives it that long
        to show up before planning, since planning then fences it (startup-fencing)."""
        assert self.dc is not None
        if not self.unseen() or self.config_xml is None:
            return 0.0
        options = ClusterOptions.from_cib(parse_cib(self.config_xml, "cib"))
        try:
            deadtime = parse_ms(options.get("dc-deadtime") or "20s") / 1000
        except ValueError:
            deadtime = 20.0
        return max(0.0, self.dc.since + deadtime - now)

    def _dispatch(self, actions, cib: Cib, now: float, fx: list) -> None:
        dc = self.dc
        assert dc is not None and dc.engine is not None
        tid = dc.engine.id
        for action in actions:
            if action.rsc is None:
                if action.task in FENCE_TASKS and action.node:
                    fx.append(Fence(action.node, "reboot"))
                    timeout = parse_ms_option(cib, "stonith-timeout", 60000) / 1000
                    fx.append(SetTimer(("action", tid, action.id), timeout + self.slack))
                else:  # do_shutdown and other cluster actions: nothing to run here
                    dc.engine.completed(action.id, True)
                continue
            histories = [h for node in self.histories.values() for h in node.values()]
            tag = (self.node, tid, action.id)
            command = command_for(action, cib, histories, tag, dc.engine.actions.values())
            if command is None or action.node is None:
                self._completed(action.id, False, f"cannot run {action.key}", now, fx)
                continue
            fx.append(Mcast(ExecuteOp(self.node, action.node, command)))
            delay = command.timeout_ms / 1000 + self.slack
            fx.append(SetTimer(("action", tid, action.id), delay))

    def _completed(self, action_id: int, ok: bool, reason: str, now: float, fx: list) -> None:
        dc = self.dc
        assert dc is not None and dc.engine is not None
        more = dc.engine.completed(action_id, ok, reason)
        assert dc.cib_model is not None
        self._dispatch(more, dc.cib_model, now, fx)
        self._after(now, fx)

    def _after(self, now: float, fx: list) -> None:
        """A transition that ended: plan again if it changed anything; else the cluster is
        idle, and nodes shutting down with nothing left may go."""
        dc = self.dc
        assert dc is not None and dc.engine is not None
        engine = dc.engine
        if not engine.complete:
            return
        if engine.aborted:
            fx.append(Note(f"transition {engine.id} aborted: {engine.abort_reason}"))
            dc.failures_in_row += 1 if engine.failed else 0
            dc.dirty = True
        elif engine.did_work:
            dc.failures_in_row = 0
            dc.dirty = True
        if dc.dirty:
            backoff = min(5.0, self.coalesce * (2 ** min(dc.failures_in_row, 8)))
            self._arm(fx, backoff if dc.failures_in_row else None)
            return
        self._grant_shutdowns(fx)

    def _grant_shutdowns(self, fx: list) -> None:
        dc = self.dc
        assert dc is not None and dc.last_transition is not None
        busy = {n for nodes in dc.last_transition.current.values() for n in nodes}
        for node in sorted(dc.shutdown_at):
            if node in self.election.members and node not in busy and not self.pending.get(node):
                fx.append(Mcast(ShutdownGranted(node)))

    # ---- results ----------------------------------------------------------------------------

    def _op_done(self, node: str, record: OpRecord, tag, now: float, fx: list) -> None:
        dc = self.dc
        assert dc is not None
        if is_failure(record):
            self._count_failure(node, record, now, fx)
        dc.dirty = True  # planned again once this transition is over
        if dc.engine is None or dc.engine.complete:
            self._arm(fx)
        engine = dc.engine
        if tag is not None and engine is not None and tag[:2] == (self.node, engine.id):
            ok = record.status is ExecStatus.DONE and int(record.rc) == int(record.expected_rc)
            if record.action == "notify" and not ok:  # as Pacemaker: logged, never recovered
                fx.append(Note(f"{record.op_key} on {node}: notification failed, ignored"))
                ok = True
            reason = f"{record.op_key} on {node}: {record.rc.name} ({record.status.name})"
            self._completed(tag[2], ok, reason, now, fx)
        elif tag is None and is_failure(record):
            self._changed(fx, f"{record.op_key} failed on {node}")

    def _count_failure(self, node: str, record: OpRecord, now: float, fx: list) -> None:
        suffix = f"{record.rsc_id}#{record.action}_{record.interval_ms}"
        model = self.dc.cib_model if self.dc is not None else None
        fatal = record.action == "start" and (
            model is None or ClusterOptions.from_cib(model).flag("start-failure-is-fatal")
        )
        count = "INFINITY" if fatal else "++"
        mine = self.attrs.setdefault(node, {})
        name = f"fail-count-{suffix}"
        mine[name] = "INFINITY" if fatal else incremented(mine.get(name))
        mine[f"last-failure-{suffix}"] = str(int(now))
        fx.append(SetAttribute(node, name, count))
        fx.append(SetAttribute(node, f"last-failure-{suffix}", str(int(now))))

    def _fail_in_flight(self, node: str, reason: str, now: float, fx: list) -> None:
        dc = self.dc
        if dc is None or dc.engine is None:
            return
        for action in dc.engine.in_flight_on([node]):
            if action.rsc is not None:  # fencing the lost node goes on
                self._completed(action.id, False, f"{action.key} on {node}: {reason}", now, fx)

    def _fenced(self, target: str, ok: bool, reason: str, now: float, fx: list) -> None:
        dc = self.dc
        if dc is None:
            return
        if ok:
            # Cleanly down with nothing running, before anything after the fencing starts.
            self._mark_fenced(target)
            fx.append(Mcast(NodeFenced(target)))
        engine = dc.engine
        if engine is None:
            return
        for action in engine.in_flight_on([target]):
            if action.rsc is None and action.task in FENCE_TASKS:
                why = f"fencing {target} failed: {reason}" if not ok else ""
                self._completed(action.id, ok, why, now, fx)

    def _cleanup(self, rsc_id: str, node: str | None, fx: list) -> None:
        dc = self.dc
        assert dc is not None
        nodes = [node] if node else sorted(self.node_ids)
        for n in nodes:
            if rsc_id in self.histories.get(n, {}) and n in self.election.members:
                fx.append(Mcast(ForgetResource(self.node, n, rsc_id)))
            prefixes = (f"fail-count-{rsc_id}", f"last-failure-{rsc_id}")
            for name in list(self.attrs.get(n, {})):
                if any(name == p or name.startswith(p + "#") for p in prefixes):
                    del self.attrs[n][name]
                    fx.append(SetAttribute(n, name, None))
        self._changed(fx, f"cleanup of {rsc_id}")


def parse_ms_option(cib: Cib, name: str, default: int) -> int:
    text = ClusterOptions.from_cib(cib).get(name)
    try:
        return parse_ms(text) if text else default
    except ValueError:
        return default


def _lost_record(command: OpCommand, result: OpResult) -> OpRecord:
    return OpRecord(
        rsc_id=command.rsc_id,
        spec=command.spec,
        action=command.action,
        interval_ms=command.interval_ms,
        call_id=0,
        rc=result.rc,
        status=result.status,
        exit_reason=result.exit_reason,
        last_run=0,
        last_rc_change=0,
        exec_ms=0,
        queue_ms=0,
        op_digest=op_digest(command.params, command.interval_ms, command.timeout_ms),
        expected_rc=OcfResult(command.expected_rc),
    )
