"""The fencer's core (sans-IO): one per node, like pacemaker-fenced.

Entry point: `FencerCore(node).handle(event, now) -> list[Effect]` with the messages of
`fencing.messages`; `now` is the node's clock in epoch seconds (history times). A request runs
as Pacemaker's remote fencing operation does:

1. The node that got the request (the origin) broadcasts a `Query`; every member (the origin
   included) answers with the devices it can run against the target, after its host checks
   (static list, the agent's `list` output, cached for a minute, or its `status`).
2. When every member answered, or the query timer fired, the origin makes a plan: the topology
   levels for the target by index, or without topology one device at a time (priority, then
   name). For each device it picks the executing node: itself if it can, else the first other
   capable node by name (a device runs where `rl_run_on` lets it, by default everywhere); the
   target itself only when no other node can and the device allows self-fencing
   (`rl_self_fence`).
3. The executor runs the device (`RunDevice`) and sends back `ExecuteResult`; every device of a
   level must succeed; a device that failed on one node is tried on the next capable one, then
   the level has failed and the next level runs; each run is an `Attempt`. A reboot through a
   level of several devices is all of them off, then all on; a failed `on` does not undo it.
4. The origin broadcasts `FenceDone`; every node records it in its history (`Recorded`), and the
   origin answers its clients only then, so a success is never reported before it is recorded.

Devices and levels are `fencing.registry.Registry`'s: changed through it, the same everywhere.

A request for a target and action already in progress (here, or at another origin whose `Query`
was seen) joins it; if that origin leaves, the request starts over here. An executor that leaves
the membership or does not answer within the device's budget fails its attempt. A node that joins
gets the history from the lowest-named member that was there before (`HistorySync`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from fencing.device import FENCE_ACTIONS, Device
from fencing.messages import (
    Attempt,
    Broadcast,
    CancelTimer,
    ChangeRegistry,
    ConfirmDown,
    DeviceAdded,
    DeviceOffer,
    DeviceRan,
    DeviceRemoved,
    Effect,
    Execute,
    ExecuteResult,
    FenceDone,
    FenceEvent,
    FenceRequest,
    FenceState,
    HistorySync,
    Input,
    LevelAdded,
    LevelRemoved,
    ListCapable,
    Membership,
    Query,
    QueryReply,
    Recorded,
    RegistrySync,
    RegistryUpdate,
    Reply,
    RunDevice,
    Send,
    SetTimer,
    TimerFired,
)
from fencing.registry import Registry
from fencing.topology import Level, levels_for

LIST_CACHE_SECONDS = 60.0
ATTEMPT_GRACE_SECONDS = 5.0


def parse_list_output(text: str) -> frozenset[str]:
    """Names in a fence agent's `list` output (`port,alias` per line): every word counts."""
    return frozenset(w for w in re.split(r"[\s,]+", text) if w)


@dataclass
class _Op:
    """A request this node is the origin of."""

    id: str
    target: str
    action: str
    client: str
    requested: float
    waiting: set[str]
    offers: list[DeviceOffer] = field(default_factory=list)
    plan: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    level_pos: int = 0
    device_pos: int = 0
    attempt: int = 0
    executing: tuple[str, str, int, str] | None = None  # (node, device, level, action)
    tried: set[str] = field(default_factory=set)  # nodes that failed the current step
    attempts: list[Attempt] = field(default_factory=list)
    querying: bool = True


@dataclass
class _Check:
    """Host checks running for one query."""

    target: str
    action: str | None
    dest: tuple  # ("peer", origin, op_id) or ("client", reply_to)
    pending: set[int] = field(default_factory=set)
    offers: list[DeviceOffer] = field(default_factory=list)


class FencerCore:
    def __init__(
        self,
        node: str,
        incarnation: str = "0",
        query_timeout: float = 10.0,
        history_limit: int = 500,
    ) -> None:
        self.node = node
        self.incarnation = incarnation
        self.query_timeout = query_timeout
        self.history_limit = history_limit
        self.registry = Registry(node, incarnation)
        self.attributes: dict[str, dict[str, str]] = {}
        self.members: tuple[str, ...] = (node,)
        self.history: list[FenceEvent] = []
        self._ops: dict[str, _Op] = {}
        self._waiters: dict[str, list[Hashable]] = {}
        self._next_op = 1
        self._calls: dict[int, tuple] = {}
        self._next_call = 1
        self._checks: dict[int, _Check] = {}
        self._next_check = 1
        self._lists: dict[str, tuple[float, frozenset[str]]] = {}
        self._remote: dict[str, tuple[str, str, str]] = {}  # op id -> (origin, target, action)
        self._joined: dict[str, list[FenceRequest]] = {}  # local requests waiting on a remote op

    # ---- registry: replicated through `handle(ChangeRegistry)`; these act on this node only ---

    @property
    def devices(self) -> dict[str, Device]:
        return self.registry.devices

    @property
    def levels(self) -> list[Level]:
        return self.registry.levels

    def register(self, device: Device) -> None:
        self._lists.pop(device.id, None)
        self.registry.apply(DeviceAdded(device))

    def unregister(self, device_id: str) -> bool:
        self._lists.pop(device_id, None)
        return self.registry.apply(DeviceRemoved(device_id)) is True

    def add_level(self, level: Level) -> None:
        self.registry.apply(LevelAdded(level))

    def remove_level(self, target: str, index: int) -> bool:
        return self.registry.apply(LevelRemoved(target, index)) is True

    def load_history(self, events: Iterable[FenceEvent]) -> None:
        self.history = list(events)[-self.history_limit :]

    def history_of(self, target: str | None = None) -> list[FenceEvent]:
        return [e for e in self.history if target is None or e.target == target]

    def pending(self) -> list[str]:
        """Ids of the requests this node is running as origin."""
        return sorted(self._ops)

    # ---- the one entry point ----------------------------------------------------------------

    def handle(self, event: Input, now: float) -> list[Effect]:
        effects: list[Effect] = []
        match event:
            case FenceRequest():
                self._request(event, now, effects)
            case ConfirmDown(target, reply_to, client):
                op_id = self._new_op_id()
                done = FenceEvent(
                    op_id, target, "off", self.node, client, FenceState.SUCCESS,
                    executor=self.node, devices=("operator",),
                    reason="confirmed down by the operator", requested=now, completed=now,
                )  # fmt: skip
                self._waiters[op_id] = [reply_to]
                effects.append(Broadcast(FenceDone(done)))
            case ListCapable(target, reply_to):
                self._start_check(target, None, ("client", reply_to), now, effects)
            case Membership(nodes, joined):
                self._membership(tuple(nodes), joined, now, effects)
            case ChangeRegistry():
                self.registry.request(event, effects)
            case RegistryUpdate():
                self.registry.update(event, effects)
                self._lists.clear()  # a replaced device may list other nodes
            case RegistrySync():
                self.registry.sync(event, effects)
                self._lists.clear()
            case Query(op_id, origin, target, action):
                if origin != self.node:
                    self._remote[op_id] = (origin, target, action)
                self._start_check(target, action, ("peer", origin, op_id), now, effects)
            case QueryReply(op_id, node, offers):
                op = self._ops.get(op_id)
                if op is not None and op.querying and node in op.waiting:
                    op.waiting.discard(node)
                    op.offers.extend(offers)
                    if not op.waiting:
                        effects.append(CancelTimer(("query", op_id)))
                        self._plan(op, now, effects)
            case Execute():
                self._execute(event, effects)
            case ExecuteResult():
                self._executed(event, now, effects)
            case FenceDone(done):
                self._record(done, effects)
            case HistorySync(events):
                known = {e.id for e in self.history}
                for done in events:
                    if done.id not in known:
                        known.add(done.id)
                        self.history.append(done)
                        effects.append(Recorded(done))
                self.history.sort(key=lambda e: e.completed)
                del self.history[: -self.history_limit]
            case DeviceRan(call_id, outcome):
                self._ran(call_id, outcome, now, effects)
            case TimerFired(key):
                self._timer(key, now, effects)
        return effects

    # ---- origin ------------------------------------------------------------------------------

    def _new_op_id(self) -> str:
        op_id = f"{self.node}.{self.incarnation}.{self._next_op}"
        self._next_op += 1
        return op_id

    def _request(self, req: FenceRequest, now: float, effects: list[Effect]) -> None:
        if req.action not in FENCE_ACTIONS:
            failed = FenceEvent(
                "", req.target, req.action, self.node, req.client, FenceState.FAILED,
                reason=f"unknown fence action {req.action!r} (off, on or reboot)",
                requested=now, completed=now,
            )  # fmt: skip
            effects.append(Reply(req.reply_to, failed))
            return
        for op in self._ops.values():
            if (op.target, op.action) == (req.target, req.action):
                self._waiters[op.id].append(req.reply_to)
                return
        for op_id, (_, target, action) in self._remote.items():
            if (target, action) == (req.target, req.action):
                self._waiters.setdefault(op_id, []).append(req.reply_to)
                self._joined.setdefault(op_id, []).append(req)
                return
        op = _Op(self._new_op_id(), req.target, req.action, req.client, now, set(self.members))
        self._ops[op.id] = op
        self._waiters[op.id] = [req.reply_to]
        effects.append(Broadcast(Query(op.id, self.node, op.target, op.action)))
        effects.append(SetTimer(("query", op.id), self.query_timeout))

    def _plan(self, op: _Op, now: float, effects: list[Effect]) -> None:
        op.querying = False
        levels = levels_for(self.levels, op.target, self.attributes.get(op.target))
        if levels:
            op.plan = [(lv.index, lv.devices) for lv in levels]
        else:
            best: dict[str, DeviceOffer] = {}
            for offer in op.offers:
                best.setdefault(offer.device, offer)
            ordered = sorted(best.values(), key=lambda o: (-o.priority, o.device))
            op.plan = [(0, (o.device,)) for o in ordered]
        if not op.plan:
            answered = len(self.members) - len(op.waiting)
            why = f"no device can fence {op.target} ({answered} of {len(self.members)} nodes asked)"
            self._finish(op, FenceState.FAILED, why, now, effects)
            return
        self._next_device(op, now, effects)

    def _choose(self, op: _Op, device: str) -> tuple[DeviceOffer | None, str]:
        """The node to run `device` next: not one that already failed this step."""
        capable = [o for o in op.offers if o.device == device and o.node not in op.tried]
        others = sorted(
            (o for o in capable if o.node != op.target),
            key=lambda o: (o.node != self.node, o.node),
        )
        if others:
            return others[0], ""
        own = [o for o in capable if o.node == op.target]
        if own and own[0].self_fence:
            return own[0], ""
        if own:
            return None, (
                f"only {op.target} itself can run {device}, and it does not allow self-fencing"
            )
        return None, f"no node can run {device} against {op.target}"

    @staticmethod
    def _steps(op: _Op, devices: tuple[str, ...]) -> list[tuple[str, str]]:
        """(device, action) runs of a level. A reboot through several devices is all of them
        off, then all on (as Pacemaker does: one device rebooting alone would not cut power)."""
        if op.action == "reboot" and len(devices) > 1:
            return [(d, "off") for d in devices] + [(d, "on") for d in devices]
        return [(d, op.action) for d in devices]

    def _next_device(self, op: _Op, now: float, effects: list[Effect]) -> None:
        while op.level_pos < len(op.plan):
            index, devices = op.plan[op.level_pos]
            steps = self._steps(op, devices)
            if op.device_pos >= len(steps):
                self._finish(op, FenceState.SUCCESS, "", now, effects)
                return
            device, action = steps[op.device_pos]
            offer, why = self._choose(op, device)
            if offer is None:
                if not op.tried:  # nobody could even try: say why
                    op.attempts.append(Attempt(index, device, "", action, False, why, now))
                op.level_pos += 1
                op.device_pos = 0
                op.tried = set()
                continue
            op.attempt += 1
            op.executing = (offer.node, device, index, action)
            effects.append(
                Send(
                    offer.node,
                    Execute(op.id, op.attempt, self.node, device, action, op.target),
                )
            )
            delay = offer.timeout_ms / 1000.0 + ATTEMPT_GRACE_SECONDS
            effects.append(SetTimer(("attempt", op.id, op.attempt), delay))
            return
        if len(op.plan) == 1 and op.attempts:
            why = op.attempts[-1].reason
        else:
            what = "fencing levels" if op.plan[0][0] else "devices"
            why = f"all {len(op.plan)} {what} failed"
        self._finish(op, FenceState.FAILED, why, now, effects)

    def _executed(self, res: ExecuteResult, now: float, effects: list[Effect]) -> None:
        op = self._ops.get(res.op_id)
        if op is None or op.executing is None or op.attempt != res.attempt:
            return
        effects.append(CancelTimer(("attempt", op.id, op.attempt)))
        self._attempt_done(op, res.ok, res.reason, now, effects)

    def _attempt_done(
        self, op: _Op, ok: bool, reason: str, now: float, effects: list[Effect]
    ) -> None:
        """Next step when it worked (or when the `on` half of a split reboot failed: the node
        is off, which is what counts); else the same device on another node, then the next
        level."""
        node, device, index, action = op.executing
        op.executing = None
        op.attempts.append(Attempt(index, device, node, action, ok, reason, now))
        if ok or (action == "on" and op.action == "reboot"):
            op.device_pos += 1
            op.tried = set()
        else:
            op.tried.add(node)
        self._next_device(op, now, effects)

    def _finish(
        self, op: _Op, state: FenceState, reason: str, now: float, effects: list[Effect]
    ) -> None:
        del self._ops[op.id]
        last = op.attempts[-1] if op.attempts else None
        if state is FenceState.SUCCESS:
            index = op.plan[op.level_pos][0]
            done = [a for a in op.attempts if a.ok and a.level == index]
            devices = tuple(dict.fromkeys(a.device for a in done))
            executor = done[-1].executor if done else ""
        else:
            devices = (last.device,) if last else ()
            executor = last.executor if last else ""
        event = FenceEvent(
            op.id, op.target, op.action, self.node, op.client, state,
            executor=executor, devices=devices, reason=reason,
            requested=op.requested, completed=now, attempts=tuple(op.attempts),
        )  # fmt: skip
        effects.append(Broadcast(FenceDone(event)))

    def _record(self, event: FenceEvent, effects: list[Effect]) -> None:
        if any(e.id == event.id for e in self.history):
            return
        self._remote.pop(event.id, None)
        self._joined.pop(event.id, None)
        self.history.append(event)
        del self.history[: -self.history_limit]
        effects.append(Recorded(event))
        for reply_to in self._waiters.pop(event.id, []):
            effects.append(Reply(reply_to, event))

    def _membership(
        self,
        nodes: tuple[str, ...],
        joined: tuple[str, ...] | None,
        now: float,
        effects: list[Effect],
    ) -> None:
        old = set(self.members)
        self.members = nodes if self.node in nodes else (self.node, *nodes)
        new = set(joined) if joined is not None else set(self.members) - old
        stayed = (old & set(self.members)) - new
        if self.history and stayed and self.node == min(stayed):
            for node in sorted(new & set(self.members)):
                effects.append(Send(node, HistorySync(tuple(self.history))))
        self.registry.membership(self.members, new & set(self.members), effects)
        for op_id, (origin, _, _) in list(self._remote.items()):
            if origin not in self.members:  # its result will never come: ask again ourselves
                del self._remote[op_id]
                self._waiters.pop(op_id, None)
                for req in self._joined.pop(op_id, []):
                    self._request(req, now, effects)
        for op in list(self._ops.values()):
            if op.querying:
                op.waiting &= set(self.members)
                if not op.waiting:
                    effects.append(CancelTimer(("query", op.id)))
                    self._plan(op, now, effects)
            elif op.executing and op.executing[0] not in self.members:
                effects.append(CancelTimer(("attempt", op.id, op.attempt)))
                why = f"{op.executing[0]} left the cluster while running {op.executing[1]}"
                self._attempt_done(op, False, why, now, effects)

    def _timer(self, key: Hashable, now: float, effects: list[Effect]) -> None:
        if not isinstance(key, tuple):
            return
        op = self._ops.get(key[1])
        if op is None:
            return
        if key[0] == "query" and op.querying:
            self._plan(op, now, effects)
        elif key[0] == "attempt" and op.executing and op.attempt == key[2]:
            node, device = op.executing[:2]
            why = f"{node} did not report the result of {device} in time"
            self._attempt_done(op, False, why, now, effects)

    # ---- every node: host checks and device runs ---------------------------------------------

    def _offer(self, device: Device, action: str | None) -> DeviceOffer:
        action = action or "off"
        budget = device.timeout_ms(action)
        if action in ("off", "reboot"):
            budget += device.delay_ms()[1]
        return DeviceOffer(device.id, self.node, device.priority, device.self_fence, budget)

    def _start_check(
        self, target: str, action: str | None, dest: tuple, now: float, effects: list[Effect]
    ) -> None:
        check_id = self._next_check
        self._next_check += 1
        check = _Check(target, action, dest)
        for device in sorted(self.devices.values(), key=lambda d: d.id):
            if not device.runs_on(self.node):
                continue
            if action and device.agent_action(action) not in device.agent_actions:
                continue
            how = device.host_check
            if how == "none" or (how == "static-list" and target in device.static_targets()):
                check.offers.append(self._offer(device, action))
            elif how == "dynamic-list":
                cached = self._lists.get(device.id)
                if cached and now - cached[0] < LIST_CACHE_SECONDS:
                    if self._listed(device, target, cached[1]):
                        check.offers.append(self._offer(device, action))
                else:
                    call = self._run(("check", check_id, device.id, "list"), device, "list", "")
                    check.pending.add(call.call_id)
                    effects.append(call)
            elif how == "status":
                call = self._run(("check", check_id, device.id, "status"), device, "status", target)
                check.pending.add(call.call_id)
                effects.append(call)
        self._checks[check_id] = check
        if not check.pending:
            self._check_done(check_id, effects)

    @staticmethod
    def _listed(device: Device, target: str, names: frozenset[str]) -> bool:
        return target in names or device.port_for(target) in names

    def _check_done(self, check_id: int, effects: list[Effect]) -> None:
        check = self._checks.pop(check_id)
        offers = tuple(check.offers)
        if check.dest[0] == "peer":
            _, origin, op_id = check.dest
            effects.append(Send(origin, QueryReply(op_id, self.node, offers)))
        else:
            effects.append(Reply(check.dest[1], offers))

    def _run(self, purpose: tuple, device: Device, action: str, target: str) -> RunDevice:
        call_id = self._next_call
        self._next_call += 1
        self._calls[call_id] = purpose
        return RunDevice(call_id, device, action, target)

    def _execute(self, req: Execute, effects: list[Effect]) -> None:
        device = self.devices.get(req.device)
        if device is None or not device.runs_on(self.node):
            why = f"device {req.device} is not registered on {self.node}"
            if device is not None:
                why = f"device {req.device} may not run on {self.node} (rl_run_on)"
            result = ExecuteResult(req.op_id, req.attempt, self.node, req.device, False, why)
            effects.append(Send(req.origin, result))
            return
        purpose = ("execute", req.op_id, req.attempt, req.origin, req.device)
        effects.append(self._run(purpose, device, req.action, req.target))

    def _ran(self, call_id: int, outcome, now: float, effects: list[Effect]) -> None:
        purpose = self._calls.pop(call_id, None)
        if purpose is None:
            return
        if purpose[0] == "execute":
            _, op_id, attempt, origin, device = purpose
            result = ExecuteResult(op_id, attempt, self.node, device, outcome.ok, outcome.reason)
            effects.append(Send(origin, result))
            return
        _, check_id, device_id, action = purpose
        check = self._checks.get(check_id)
        device = self.devices.get(device_id)
        if check is None:
            return
        check.pending.discard(call_id)
        if device is not None:
            if action == "list":
                capable = False
                if outcome.ok:
                    names = parse_list_output(outcome.output)
                    self._lists[device_id] = (now, names)
                    capable = self._listed(device, check.target, names)
            else:
                capable = outcome.ok and outcome.power in ("on", "off")
            if capable:
                check.offers.append(self._offer(device, check.action))
        if not check.pending:
            self._check_done(check_id, effects)
