"""The local resource manager's core (sans-IO): queues, recurring monitors, history, reports.

Entry point: `LrmCore().handle(event, now) -> list[Effect]` with the inputs and effects of
`actors.crm.lrm.messages`; `now` is the LRM's clock in epoch seconds (history times), passed in
because the core never reads a clock. Rules:

- One operation at a time per resource (FIFO), resources in parallel: an op is handed to the
  executor only when its resource has nothing running.
- A recurring op (interval > 0) runs at once, then `interval` after each run ends (a timer);
  a tick that finds the op still queued or running is not doubled. Its requester and the
  watchers hear the first result and then only changes of (rc, status): a failure, a recovery.
  A new request for the same (resource, action, interval) replaces the old one silently.
- `stop` of a resource cancels its recurring ops first (as Pacemaker's controller does), and
  `CancelOp` cancels one; both report CANCELLED and drop the op's history entry.
- When the executor is lost, every op it was running ends as OCF_ERR_GENERIC / NOT_CONNECTED
  (never success); queued ops wait for `ExecutorReady`.
- A result for an unknown call id (late, after loss or delete) is ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

from actors.agents.digest import op_digest
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.crm.lrm.history import OpRecord, ResourceHistory, kept
from actors.crm.lrm.messages import (
    CancelOp,
    CancelTimer,
    DeleteResource,
    Effect,
    ExecResult,
    Execute,
    ExecutorLost,
    ExecutorReady,
    Input,
    OpRequest,
    Report,
    SetTimer,
    TimerFired,
    Unwatch,
    Watch,
)

RecurringKey = tuple[str, str, int]
"""(rsc_id, action, interval_ms): one recurring operation, also its timer key."""


@dataclass
class _Run:
    """One queued or running execution of a request."""

    call_id: int
    request: OpRequest
    queued_at: float
    started_at: float | None = None
    reported: bool = True  # False: finish silently (cancelled, replaced or deleted)


@dataclass
class _Resource:
    history: ResourceHistory
    queue: deque[_Run] = field(default_factory=deque)
    running: _Run | None = None


class LrmCore:
    def __init__(self) -> None:
        self._resources: dict[str, _Resource] = {}
        self._recurring: dict[RecurringKey, OpRequest] = {}
        self._inflight: dict[int, _Run] = {}
        self._watchers: list[Hashable] = []
        self._next_call = 1
        self.executor_up = True

    # ---- queries (the hosting actor reads these directly) ----------------------------------

    def history(self, rsc_id: str) -> ResourceHistory | None:
        res = self._resources.get(rsc_id)
        return res.history if res else None

    def histories(self) -> list[ResourceHistory]:
        """Every resource's history, for rebuilding the CIB status section."""
        return [res.history for _, res in sorted(self._resources.items()) if res.history.records()]

    def recurring(self) -> list[RecurringKey]:
        return sorted(self._recurring)

    def busy(self, rsc_id: str) -> bool:
        res = self._resources.get(rsc_id)
        return bool(res and (res.running or res.queue))

    # ---- the one entry point ----------------------------------------------------------------

    def handle(self, event: Input, now: float) -> list[Effect]:
        effects: list[Effect] = []
        match event:
            case OpRequest():
                self._request(event, now, effects)
            case ExecResult(call_id, result):
                self._finished(call_id, result, now, effects)
            case TimerFired(key):
                self._tick(key, now, effects)
            case CancelOp(rsc_id, action, interval_ms):
                self._cancel((rsc_id, action, interval_ms), now, effects)
            case DeleteResource(rsc_id):
                self._delete(rsc_id, now, effects)
            case Watch(watcher):
                if watcher not in self._watchers:
                    self._watchers.append(watcher)
            case Unwatch(watcher):
                if watcher in self._watchers:
                    self._watchers.remove(watcher)
            case ExecutorLost(reason):
                self.executor_up = False
                lost = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.NOT_CONNECTED, reason)
                for call_id in sorted(self._inflight):
                    if self._inflight[call_id].started_at is not None:
                        self._finished(call_id, lost, now, effects)
            case ExecutorReady():
                self.executor_up = True
                for rsc_id in sorted(self._resources):
                    self._dispatch(rsc_id, now, effects)
            case _:
                raise TypeError(f"LrmCore cannot handle {event!r}")
        return effects

    # ---- requests ---------------------------------------------------------------------------

    def _resource(self, req: OpRequest) -> _Resource:
        res = self._resources.get(req.rsc_id)
        if res is None:
            res = self._resources[req.rsc_id] = _Resource(ResourceHistory(req.rsc_id, req.spec))
        res.history.spec = req.spec
        return res

    def _enqueue(self, req: OpRequest, now: float, effects: list[Effect]) -> None:
        run = _Run(self._next_call, req, now)
        self._next_call += 1
        self._inflight[run.call_id] = run
        self._resource(req).queue.append(run)
        self._dispatch(req.rsc_id, now, effects)

    def _request(self, req: OpRequest, now: float, effects: list[Effect]) -> None:
        if req.action == "stop":
            for key in [k for k in self._recurring if k[0] == req.rsc_id]:
                self._cancel(key, now, effects)
        if req.interval_ms > 0:
            key = (req.rsc_id, req.action, req.interval_ms)
            if key in self._recurring:
                self._silence(key)
                effects.append(CancelTimer(key))
            self._recurring[key] = req
        self._enqueue(req, now, effects)

    def _dispatch(self, rsc_id: str, now: float, effects: list[Effect]) -> None:
        res = self._resources.get(rsc_id)
        if not self.executor_up or res is None or res.running or not res.queue:
            return
        run = res.running = res.queue.popleft()
        run.started_at = now
        req = run.request
        effects.append(
            Execute(
                run.call_id,
                req.rsc_id,
                req.spec,
                req.action,
                dict(req.params),
                dict(req.meta),
                req.interval_ms,
                req.timeout_ms,
            )
        )

    # ---- results ----------------------------------------------------------------------------

    def _finished(self, call_id: int, result: OpResult, now: float, effects: list[Effect]):
        run = self._inflight.get(call_id)
        if run is None or run.started_at is None:
            return  # unknown, late, or (impossibly) not yet sent: nothing to finish
        del self._inflight[call_id]
        req = run.request
        res = self._resources.get(req.rsc_id)
        if res is not None and res.running is run:
            res.running = None
        if run.reported and res is not None:
            self._record(run, result, now, res.history, effects)
        self._dispatch(req.rsc_id, now, effects)

    def _record(
        self,
        run: _Run,
        result: OpResult,
        now: float,
        hist: ResourceHistory,
        effects: list[Effect],
    ) -> None:
        req = run.request
        key = (req.rsc_id, req.action, req.interval_ms)
        previous = hist.recurring.get(key) if req.interval_ms else hist.last
        record = self._make_record(run, result, now, previous)
        if req.interval_ms:
            if self._recurring.get(key) is not req:
                return  # cancelled or replaced while it ran
            hist.recurring[key] = record
            changed = previous is None or (previous.rc, previous.status) != (
                record.rc,
                record.status,
            )
            effects.append(SetTimer(key, req.interval_ms))
            if not changed:
                return
        elif kept(req.action):
            hist.last = record
        if record.failed and kept(req.action):
            hist.last_failure = record
        self._report(req.requester, record, effects)

    def _make_record(
        self, run: _Run, result: OpResult, now: float, previous: OpRecord | None
    ) -> OpRecord:
        req = run.request
        started = run.started_at if run.started_at is not None else now
        last_run = int(started)
        changed = previous is None or previous.rc is not result.rc
        return OpRecord(
            rsc_id=req.rsc_id,
            spec=req.spec,
            action=req.action,
            interval_ms=req.interval_ms,
            call_id=run.call_id,
            rc=result.rc,
            status=result.status,
            exit_reason=result.exit_reason,
            last_run=last_run,
            last_rc_change=last_run if changed else previous.last_rc_change,
            exec_ms=result.exec_ms,
            queue_ms=max(0, int(round((started - run.queued_at) * 1000))),
            op_digest=op_digest(req.params, req.interval_ms, req.timeout_ms),
            expected_rc=req.expected_rc,
        )

    def _report(self, requester: Hashable | None, record: OpRecord, effects: list[Effect]):
        targets = [] if requester is None else [requester]
        targets += [w for w in self._watchers if w not in targets]
        effects.extend(Report(to, record) for to in targets)

    # ---- recurring ops ----------------------------------------------------------------------

    def _tick(self, key: Hashable, now: float, effects: list[Effect]) -> None:
        req = self._recurring.get(key)  # type: ignore[arg-type]
        if req is None:
            return
        if any(run.request is req for run in self._inflight.values()):
            return
        self._enqueue(req, now, effects)

    def _silence(self, key: RecurringKey) -> None:
        """Runs of the recurring op `key` finish unreported; queued ones are dropped."""
        req = self._recurring.pop(key)
        res = self._resources.get(key[0])
        for call_id, run in list(self._inflight.items()):
            if run.request is not req:
                continue
            run.reported = False
            if run.started_at is None:
                del self._inflight[call_id]
                if res is not None:
                    res.queue.remove(run)

    def _cancel(self, key: RecurringKey, now: float, effects: list[Effect]) -> None:
        req = self._recurring.get(key)
        if req is None:
            return
        self._silence(key)
        effects.append(CancelTimer(key))
        res = self._resources[key[0]]
        previous = res.history.recurring.pop(key, None)
        run = _Run(previous.call_id if previous else 0, req, now, started_at=now)
        cancelled = OpResult(OcfResult.OCF_SUCCESS, ExecStatus.CANCELLED)
        self._report(req.requester, self._make_record(run, cancelled, now, previous), effects)

    def _delete(self, rsc_id: str, now: float, effects: list[Effect]) -> None:
        for key in [k for k in self._recurring if k[0] == rsc_id]:
            self._silence(key)
            effects.append(CancelTimer(key))
        res = self._resources.pop(rsc_id, None)
        if res is None:
            return
        for run in res.queue:
            self._inflight.pop(run.call_id, None)
        if res.running is not None:
            # Keep the entry (empty) until the running op ends: one op at a time still holds.
            res.running.reported = False
            res.queue.clear()
            res.history = ResourceHistory(rsc_id, res.history.spec)
            self._resources[rsc_id] = res
