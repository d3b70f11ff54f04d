"""The LRM core: per-resource queues, recurring monitors, change-only reports, executor loss."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.agents.digest import op_digest
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.agents.spec import AgentSpec
from actors.crm.lrm.core import LrmCore
from actors.crm.lrm.messages import (
    CancelOp,
    CancelTimer,
    DeleteResource,
    ExecResult,
    Execute,
    ExecutorLost,
    ExecutorReady,
    OpRequest,
    Report,
    SetTimer,
    TimerFired,
    Watch,
)

DUMMY = AgentSpec.parse("ocf:heartbeat:Dummy")
OK = OpResult(OcfResult.OCF_SUCCESS, ExecStatus.DONE, exec_ms=12)
NOT_RUNNING = OpResult(OcfResult.OCF_NOT_RUNNING, ExecStatus.DONE)


def req(rsc="r1", action="start", interval=0, **kw) -> OpRequest:
    return OpRequest(rsc, DUMMY, action, interval_ms=interval, requester="ctl", **kw)


def of(effects, kind):
    return [e for e in effects if isinstance(e, kind)]


def test_one_op_at_a_time_per_resource_resources_in_parallel():
    lrm = LrmCore()
    e1 = lrm.handle(req("r1", "start"), 100.0)
    e2 = lrm.handle(req("r1", "monitor"), 100.0)
    e3 = lrm.handle(req("r2", "start"), 100.0)
    assert [(x.rsc_id, x.action) for x in of(e1 + e2 + e3, Execute)] == [
        ("r1", "start"),
        ("r2", "start"),
    ]
    first = of(e1, Execute)[0]
    after = lrm.handle(ExecResult(first.call_id, OK), 101.5)
    assert [(x.rsc_id, x.action) for x in of(after, Execute)] == [("r1", "monitor")]
    # the monitor waited 1.5 s in the queue
    mon = of(after, Execute)[0]
    done = lrm.handle(ExecResult(mon.call_id, NOT_RUNNING), 102.0)
    assert of(done, Report)[0].record.queue_ms == 1500


def test_one_shot_result_reported_to_requester_and_watchers_with_history():
    lrm = LrmCore()
    lrm.handle(Watch("w1"), 0)
    params = {"state": "/tmp/x", "fake": "a<b"}
    ex = of(lrm.handle(req(params=params, timeout_ms=30000), 50.0), Execute)[0]
    assert ex.params == params and ex.timeout_ms == 30000
    assert ex.to_run_agent().resource == "r1"
    reports = of(lrm.handle(ExecResult(ex.call_id, OK), 51.0), Report)
    assert [r.to for r in reports] == ["ctl", "w1"]
    rec = reports[0].record
    assert (rec.rc, rec.status, rec.call_id, rec.exec_ms) == (
        OcfResult.OCF_SUCCESS,
        ExecStatus.DONE,
        ex.call_id,
        12,
    )
    assert rec.op_digest == op_digest(params)
    hist = lrm.history("r1")
    assert hist.last == rec and hist.last_failure is None
    attrs = rec.lrm_rsc_op_attrs()
    assert attrs["operation_key"] == "r1_start_0" and attrs["rc-code"] == "0"
    assert [name for name, _ in hist.records()] == ["r1_last_0"]


def test_failure_goes_to_last_failure_and_expected_rc_is_honoured():
    lrm = LrmCore()
    probe = of(lrm.handle(req(action="monitor", expected_rc=OcfResult.OCF_NOT_RUNNING), 0), Execute)
    lrm.handle(ExecResult(probe[0].call_id, NOT_RUNNING), 1)
    assert lrm.history("r1").last_failure is None
    start = of(lrm.handle(req(), 2), Execute)[0]
    bad = OpResult(OcfResult.OCF_ERR_CONFIGURED, ExecStatus.DONE, "no such file")
    lrm.handle(ExecResult(start.call_id, bad), 3)
    hist = lrm.history("r1")
    assert hist.last_failure.rc is OcfResult.OCF_ERR_CONFIGURED
    assert hist.last_failure.exit_reason == "no such file"
    assert hist.last.last_rc_change == 2  # rc changed from the probe's


def run_tick(lrm, key, result, now):
    """Fire the monitor's timer and finish the run it starts; returns the effects."""
    ex = of(lrm.handle(TimerFired(key), now), Execute)
    assert len(ex) == 1
    return lrm.handle(ExecResult(ex[0].call_id, result), now + 0.1)


def test_recurring_monitor_reports_only_changes():
    lrm = LrmCore()
    lrm.handle(Watch("w"), 0)
    ex = of(lrm.handle(req(action="monitor", interval=10000), 10.0), Execute)[0]
    assert ex.interval_ms == 10000
    first = lrm.handle(ExecResult(ex.call_id, OK), 10.1)
    key = ("r1", "monitor", 10000)
    assert SetTimer(key, 10000) in first
    assert len(of(first, Report)) == 2
    quiet = run_tick(lrm, key, OK, 20.0)
    assert of(quiet, Report) == [] and SetTimer(key, 10000) in quiet
    assert lrm.history("r1").recurring[key].last_run == 20
    assert lrm.history("r1").recurring[key].last_rc_change == 10
    fail = run_tick(lrm, key, NOT_RUNNING, 30.0)
    assert [r.record.rc for r in of(fail, Report)] == [OcfResult.OCF_NOT_RUNNING] * 2
    assert lrm.history("r1").last_failure.rc is OcfResult.OCF_NOT_RUNNING
    assert of(run_tick(lrm, key, NOT_RUNNING, 40.0), Report) == []
    recovery = run_tick(lrm, key, OK, 50.0)
    assert [r.record.rc for r in of(recovery, Report)] == [OcfResult.OCF_SUCCESS] * 2
    assert lrm.history("r1").recurring[key].last_rc_change == 50
    digest = lrm.history("r1").recurring[key].op_digest
    assert digest == op_digest({}, 10000, 20000) != op_digest({})


def test_tick_while_monitor_still_queued_or_running_is_not_doubled():
    lrm = LrmCore()
    ex = of(lrm.handle(req(action="monitor", interval=1000), 0), Execute)[0]
    assert of(lrm.handle(TimerFired(("r1", "monitor", 1000)), 1), Execute) == []
    assert lrm.handle(ExecResult(ex.call_id, OK), 2)  # finishes normally
    assert not lrm.busy("r1")


def test_cancel_reports_cancelled_and_silences_the_running_tick():
    lrm = LrmCore()
    key = ("r1", "monitor", 5000)
    ex = of(lrm.handle(req(action="monitor", interval=5000), 0), Execute)[0]
    lrm.handle(ExecResult(ex.call_id, OK), 0.1)
    tick = of(lrm.handle(TimerFired(key), 5), Execute)[0]
    out = lrm.handle(CancelOp("r1", "monitor", 5000), 5.5)
    assert CancelTimer(key) in out
    assert [r.record.status for r in of(out, Report)] == [ExecStatus.CANCELLED]
    assert key not in lrm.history("r1").recurring
    late = lrm.handle(ExecResult(tick.call_id, NOT_RUNNING), 6)
    assert of(late, Report) == [] and of(late, SetTimer) == []
    assert of(lrm.handle(TimerFired(key), 10), Execute) == []
    assert lrm.recurring() == []


def test_stop_cancels_the_resources_recurring_ops_first():
    lrm = LrmCore()
    mon = of(lrm.handle(req(action="monitor", interval=5000), 0), Execute)[0]
    lrm.handle(ExecResult(mon.call_id, OK), 0.1)
    other = of(lrm.handle(req("r2", action="monitor", interval=5000), 0.2), Execute)[0]
    out = lrm.handle(req(action="stop"), 1)
    assert CancelTimer(("r1", "monitor", 5000)) in out
    assert [e.action for e in of(out, Execute)] == ["stop"]
    assert lrm.recurring() == [("r2", "monitor", 5000)]
    assert other.rsc_id == "r2"


def test_replacing_a_recurring_op_uses_the_new_parameters():
    lrm = LrmCore()
    first = of(lrm.handle(req(action="monitor", interval=5000, params={"a": "1"}), 0), Execute)[0]
    out = lrm.handle(req(action="monitor", interval=5000, params={"a": "2"}), 1)
    assert of(out, Execute) == []  # queued behind the running one
    nxt = of(lrm.handle(ExecResult(first.call_id, OK), 2), Execute)
    assert [e.params for e in nxt] == [{"a": "2"}]
    reports = of(lrm.handle(ExecResult(nxt[0].call_id, OK), 3), Report)
    assert reports[0].record.op_digest == op_digest({"a": "2"}, 5000, 20000)


def test_executor_lost_fails_inflight_never_succeeds_and_holds_the_queue():
    lrm = LrmCore()
    lrm.handle(Watch("w"), 0)
    start = of(lrm.handle(req("r1"), 0), Execute)[0]
    lrm.handle(req("r1", "monitor"), 0)  # queued behind start
    out = lrm.handle(ExecutorLost("privileged child died"), 1)
    recs = [r.record for r in of(out, Report)]
    assert {(r.rsc_id, r.action) for r in recs} == {("r1", "start")}
    assert all(r.rc is OcfResult.OCF_ERR_GENERIC for r in recs)
    assert all(r.status is ExecStatus.NOT_CONNECTED for r in recs)
    assert of(out, Execute) == []  # nothing is sent to a dead executor
    # the dead child's late "success" must not turn the failure into a success
    assert lrm.handle(ExecResult(start.call_id, OK), 2) == []
    assert lrm.history("r1").last.status is ExecStatus.NOT_CONNECTED
    assert of(lrm.handle(req("r2"), 2), Execute) == []
    resumed = lrm.handle(ExecutorReady(), 3)
    assert sorted((e.rsc_id, e.action) for e in of(resumed, Execute)) == [
        ("r1", "monitor"),
        ("r2", "start"),
    ]


def test_delete_forgets_history_but_keeps_one_op_at_a_time():
    lrm = LrmCore()
    start = of(lrm.handle(req("r1"), 0), Execute)[0]
    out = lrm.handle(DeleteResource("r1"), 1)
    assert out == []
    assert of(lrm.handle(req("r1", "monitor"), 2), Execute) == []  # start still runs
    after = lrm.handle(ExecResult(start.call_id, OK), 3)
    assert of(after, Report) == []
    assert [e.action for e in of(after, Execute)] == ["monitor"]
    assert lrm.history("r1").last is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["req", "mon", "stop", "cancel", "done", "fail", "tick", "lost", "up", "stray"]
            ),
            st.sampled_from(["r1", "r2"]),
            st.integers(0, 5),
        ),
        max_size=60,
    )
)
def test_invariants_under_any_event_order(steps):
    """Never two executions of one resource at once; never a success for a lost execution;
    stray results change nothing; once the executor answers everything, nothing stays busy."""
    lrm = LrmCore()
    running: dict[int, str] = {}
    lost: set[int] = set()
    now = 0.0
    for kind, rsc, n in steps:
        now += 1
        if kind == "req":
            out = lrm.handle(req(rsc, "start"), now)
        elif kind == "mon":
            out = lrm.handle(req(rsc, "monitor", interval=1000 * (1 + n % 2)), now)
        elif kind == "stop":
            out = lrm.handle(req(rsc, "stop"), now)
        elif kind == "cancel":
            out = lrm.handle(CancelOp(rsc, "monitor", 1000 * (1 + n % 2)), now)
        elif kind in ("done", "fail") and running:
            call_id = sorted(running)[n % len(running)]
            running.pop(call_id)
            out = lrm.handle(ExecResult(call_id, OK if kind == "done" else NOT_RUNNING), now)
        elif kind == "tick":
            out = lrm.handle(TimerFired((rsc, "monitor", 1000 * (1 + n % 2))), now)
        elif kind == "lost":
            lost |= set(running)
            running.clear()
            out = lrm.handle(ExecutorLost(), now)
        elif kind == "up":
            out = lrm.handle(ExecutorReady(), now)
        elif kind == "stray":
            call_id = n + 1  # may be queued, finished or unknown, but is not running
            out = [] if call_id in running else lrm.handle(ExecResult(call_id, OK), now)
        else:
            continue
        for e in of(out, Execute):
            assert e.rsc_id not in running.values(), "two ops at once on one resource"
            assert lrm.executor_up
            running[e.call_id] = e.rsc_id
        for r in of(out, Report):
            if r.record.call_id in lost and r.record.status is not ExecStatus.CANCELLED:
                assert r.record.status is ExecStatus.NOT_CONNECTED
        if kind == "stray":
            assert of(out, Report) == [] and of(out, Execute) == []
    pending = [e.call_id for e in of(lrm.handle(ExecutorReady(), now), Execute)]
    pending += list(running)
    while pending:
        out = lrm.handle(ExecResult(pending.pop(), OK), now)
        pending += [e.call_id for e in of(out, Execute)]
    assert not lrm.busy("r1") and not lrm.busy("r2")


def test_a_result_for_a_queued_op_that_was_never_sent_is_ignored():
    lrm = LrmCore()
    start = of(lrm.handle(req("r1"), 0), Execute)[0]
    lrm.handle(req("r1", "monitor"), 0)
    queued_call = start.call_id + 1
    assert lrm.handle(ExecResult(queued_call, OK), 1) == []
    nxt = of(lrm.handle(ExecResult(start.call_id, OK), 2), Execute)
    assert [(e.call_id, e.action) for e in nxt] == [(queued_call, "monitor")]
    assert of(lrm.handle(ExecResult(queued_call, OK), 3), Report)
    assert not lrm.busy("r1")
