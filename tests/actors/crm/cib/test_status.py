"""The status section the DC writes, read back by the CIB parser and the scheduler."""

from __future__ import annotations

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec, Standard
from actors.crm.cib import parse_cib
from actors.crm.cib.status import (
    NodeStatus,
    PendingOp,
    apply_record,
    cib_with_status,
    is_failure,
)
from actors.crm.lrm.history import OpRecord
from actors.crm.scheduler import schedule

DUMMY = AgentSpec(Standard.OCF, "heartbeat", "Dummy")
CONFIG = (
    '<cib><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources>'
    '<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>'
    "</resources><constraints/></configuration><status/></cib>"
)


def record(action, rc=OcfResult.OCF_SUCCESS, interval=0, call=1, status=ExecStatus.DONE, exp=0):
    return OpRecord(
        "web", DUMMY, action, interval, call, rc, status, "", 100, 90, 3, 0, "abc", OcfResult(exp)
    )


def status_of(text):
    return parse_cib(text).node_states


def test_node_state_ops_and_attributes_round_trip():
    hist: dict = {}
    apply_record(hist, record("start", call=4))
    apply_record(hist, record("monitor", OcfResult.OCF_NOT_RUNNING, 10000, call=5))
    node = NodeStatus(
        "1",
        "n1",
        True,
        True,
        "member",
        "member",
        tuple(hist.values()),
        attributes={"fail-count-web#monitor_10000": "1", "last-failure-web#monitor_10000": "90"},
    )
    text = cib_with_status(
        CONFIG, [node], have_quorum=True, dc_uuid="1", cluster_nodes={"n1": 1, "n2": 2}
    )
    cib = parse_cib(text)
    assert cib.attribute("have-quorum") == "1" and cib.attribute("dc-uuid") == "1"
    assert [n.uname for n in cib.nodes] == ["n1", "n2"]  # missing cluster nodes added
    [state] = cib.node_states
    assert (state.in_ccm, state.crmd, state.join, state.expected) == (
        "true",
        "online",
        "member",
        "member",
    )
    assert dict(state.attributes)["fail-count-web#monitor_10000"] == "1"
    [web] = state.history
    assert (web.klass, web.provider, web.type) == ("ocf", "heartbeat", "Dummy")
    ops = {o.id: o for o in web.ops}
    assert set(ops) == {"web_last_0", "web_last_failure_0", "web_monitor_10000"}
    mon = ops["web_monitor_10000"]
    assert (mon.call_id, mon.rc_code, mon.op_status, mon.interval_ms, mon.operation) == (
        5,
        7,
        0,
        10000,
        "monitor",
    )  # op-status 0: Pacemaker's "done"
    assert mon.target_rc == 0 and mon.last_rc_change == 90 and mon.op_digest == "abc"
    view = {v.id: v for v in schedule(cib, None).resources}["web"]
    assert view.current == ("n1",) and view.failed


def test_cancelled_and_stopped_recurring_ops_leave_the_history():
    hist: dict = {}
    apply_record(hist, record("start", call=1))
    apply_record(hist, record("monitor", interval=10000, call=2))
    apply_record(hist, record("monitor", interval=10000, call=2, status=ExecStatus.CANCELLED))
    assert hist["web"].recurring == {}
    apply_record(hist, record("monitor", interval=10000, call=3))
    apply_record(hist, record("stop", call=4))
    assert hist["web"].recurring == {} and hist["web"].last.action == "stop"


def test_probe_results_are_news_not_failures():
    assert not is_failure(record("monitor", OcfResult.OCF_SUCCESS, exp=7))
    assert not is_failure(record("monitor", OcfResult.OCF_NOT_RUNNING, exp=7))
    assert is_failure(record("monitor", OcfResult.OCF_ERR_GENERIC, exp=7))
    assert is_failure(record("monitor", OcfResult.OCF_NOT_RUNNING, 10000))
    assert is_failure(record("start", OcfResult.OCF_SUCCESS, status=ExecStatus.TIMEOUT))


def test_pending_start_counts_as_started():
    node = NodeStatus(
        "1", "n1", True, True, "member", "member", pending=(PendingOp("web", DUMMY, "start", 0),)
    )
    cib = parse_cib(cib_with_status(CONFIG, [node], have_quorum=True))
    view = {v.id: v for v in schedule(cib, None).resources}["web"]
    assert view.current == ("n1",)


def test_lost_and_cleanly_down_nodes():
    hist: dict = {}
    apply_record(hist, record("start"))
    lost = NodeStatus("1", "n1", False, False, "down", "member", tuple(hist.values()))
    cib = parse_cib(cib_with_status(CONFIG, [lost], have_quorum=True))
    [n1] = schedule(cib, None).nodes
    assert n1.unclean and not n1.online
    down = NodeStatus("1", "n1", False, False, "down", "down")
    [n1] = schedule(parse_cib(cib_with_status(CONFIG, [down], have_quorum=True)), None).nodes
    assert not n1.unclean and not n1.online
