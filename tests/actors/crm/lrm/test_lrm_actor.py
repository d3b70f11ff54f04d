"""The LRM actor of a real node, driving real agents through the privileged child: Dummy life
cycles, Stateful promote/demote, a long-lived process started by ocf:heartbeat:anything,
agents that hang, fork, flood or fail, a recurring monitor that notices a failure, the history
the controller rebuilds the CIB status from, and stonith resources without a fencer."""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path

import pytest
from support_agents_node import LrmClient, debian_agents_installed, wait_for

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec
from actors.crm.lrm.actor import GetHistory
from actors.crm.lrm.messages import CancelOp, OpRequest
from actors.runtime.procfs import pid_alive

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not debian_agents_installed(), reason="resource-agents not installed"),
]
OK, NOT_RUNNING = OcfResult.OCF_SUCCESS, OcfResult.OCF_NOT_RUNNING


def op(rsc, agent, action, params=None, **kw) -> OpRequest:
    return OpRequest(rsc, AgentSpec.parse(agent), action, params or {}, **kw)


@pytest.mark.parametrize("agent", ["ocf:heartbeat:Dummy", "ocf:pacemaker:Dummy"])
def test_dummy_life_cycle_and_history(client, work, agent):
    rsc = f"dummy-{agent.split(':')[1]}"
    params = {"state": str(work / "dummy.state")}
    expected = [
        ("monitor", NOT_RUNNING),
        ("start", OK),
        ("monitor", OK),
        ("stop", OK),
        ("monitor", NOT_RUNNING),
    ]
    seen = []
    for action, rc in expected:
        record = client.run(op(rsc, agent, action, params, expected_rc=rc))
        seen.append((record.action, record.rc))
        assert record.status is ExecStatus.DONE
    assert seen == expected
    history = {h.rsc_id: h for h in client.lrm.ask(GetHistory(), timeout=30).get()}
    ops = dict(history[rsc].ops)
    assert str(history[rsc].spec) == agent
    last = ops[f"{rsc}_last_0"]
    assert (last.action, last.rc, last.status) == ("monitor", NOT_RUNNING, ExecStatus.DONE)
    attrs = last.lrm_rsc_op_attrs()
    assert attrs["rc-code"] == "7" and attrs["op-status"] == "1" and len(attrs["op-digest"]) == 32
    assert int(attrs["call-id"]) > 0 and f"{rsc}_last_failure_0" not in ops


def test_stateful_promote_and_demote(client, work):
    agent = "ocf:pacemaker:Stateful"
    params = {"state": str(work / "stateful.state")}
    steps = [
        ("start", 0, OK),
        ("monitor", 10000, OK),
        ("promote", 0, OK),
        ("monitor", 11000, OcfResult.OCF_RUNNING_PROMOTED),
        ("demote", 0, OK),
        ("monitor", 10000, OK),
        ("stop", 0, OK),
        ("monitor", 0, NOT_RUNNING),
    ]
    for action, interval, rc in steps:
        record = client.run_once(op("stateful", agent, action, params, interval_ms=interval))
        assert (action, record.rc, record.status) == (action, rc, ExecStatus.DONE)


def test_anything_keeps_a_real_server_running_after_its_start(client, work):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (work / "hello.txt").write_text("served by an agent\n")
    params = {
        "binfile": sys.executable,
        "cmdline_options": f"-m http.server {port} --bind 127.0.0.1",
        "workdir": str(work),
        "pidfile": str(work / "http.pid"),
        "logfile": str(work / "http.log"),
    }
    agent = "ocf:heartbeat:anything"
    assert client.run(op("web", agent, "start", params)).rc is OK
    try:
        pid = int((work / "http.pid").read_text())

        def fetch():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello.txt", timeout=5) as r:
                    return r.read()
            except OSError:
                return None

        assert wait_for(fetch, what="the http server") == b"served by an agent\n"
        assert client.run(op("web", agent, "monitor", params)).rc is OK
        assert Path(f"/proc/{pid}/status").read_text().count("Uid:\t0\t0") == 1  # as root
    finally:
        assert client.run(op("web", agent, "stop", params)).rc is OK
    assert wait_for(lambda: not pid_alive(pid), what="the server to stop")
    assert fetch() is None


def test_a_hanging_agent_is_killed_at_its_timeout_with_its_children(client, work):
    pidfile = work / "hang.pid"
    record = client.run(
        op("hang", "ocf:test:hang", "start", {"pidfile": str(pidfile)}, timeout_ms=1500)
    )
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.TIMEOUT)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert len(pids) == 2
    assert wait_for(lambda: not any(pid_alive(p) for p in pids), what="the hung agent's group")


def test_an_agent_that_forks_and_exits_leaves_its_daemons_running(client, work):
    pidfile = work / "forker.pid"
    record = client.run(op("forker", "ocf:test:forker", "start", {"pidfile": str(pidfile)}))
    assert (record.rc, record.status) == (OK, ExecStatus.DONE)
    pids = [int(p) for p in pidfile.read_text().split()]
    try:
        assert len(pids) == 2 and all(pid_alive(p) for p in pids)
    finally:
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def test_megabytes_of_output_and_a_bad_return_code(client):
    record = client.run(op("loud", "ocf:test:megabytes", "start"))
    assert (record.rc, record.status) == (OK, ExecStatus.DONE)
    record = client.run(op("bad", "ocf:test:badrc", "start"))
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.DONE)
    assert record.exit_reason == "configured badly on purpose"
    history = {h.rsc_id: dict(h.ops) for h in client.lrm.ask(GetHistory(), timeout=30).get()}
    assert history["bad"]["bad_last_failure_0"].rc is OcfResult.OCF_ERR_GENERIC


def test_a_missing_agent_is_err_installed(client):
    record = client.run(op("ghost", "ocf:test:no-such-agent", "start"))
    assert (record.rc, record.status) == (OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED)


def test_a_recurring_monitor_reports_a_failure_to_a_watcher(node, client, work):
    from actors.crm.lrm.messages import Watch

    watcher = LrmClient(node, process="watcher")
    try:
        watcher.lrm.tell(Watch(watcher.inbox))
        state = work / "watched.state"
        params = {"state": str(state)}
        agent = "ocf:heartbeat:Dummy"
        assert client.run(op("watched", agent, "start", params)).rc is OK
        client.request(op("watched", agent, "monitor", params, interval_ms=300))

        def monitors(c):
            return [r for r in c.reports("watched") if r.action == "monitor"]

        first = wait_for(lambda: monitors(watcher), what="the first monitor result")[0]
        assert (first.rc, first.interval_ms) == (OK, 300)
        state.unlink()
        failed = wait_for(lambda: monitors(watcher)[1:], what="the failure")[0]
        assert (failed.rc, failed.status) == (NOT_RUNNING, ExecStatus.DONE)
        assert [r.rc for r in monitors(client)] == [OK, NOT_RUNNING]  # changes only
        client.lrm.tell(CancelOp("watched", "monitor", 300))
        cancelled = wait_for(lambda: monitors(client)[2:], what="the cancellation")[0]
        assert cancelled.status is ExecStatus.CANCELLED
    finally:
        watcher.close()


def test_stonith_resources_are_devices_of_the_fencer(client):
    from actors.config import BUILTIN_PROCESSES

    agent = "stonith:fence_dummy"
    params = {"pcmk_host_list": "node9"}
    if "fencer" not in {p.name for p in BUILTIN_PROCESSES}:  # no fencer: every op fails
        record = client.run(op("fence-x", agent, "start", params))
        assert (record.rc, record.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR)
        assert "fencer unreachable" in record.exit_reason
        return
    steps = [("monitor", NOT_RUNNING), ("start", OK), ("monitor", OK), ("stop", OK)]
    for action, rc in steps + [("monitor", NOT_RUNNING)]:
        record = client.run(op("fence-x", agent, action, params, expected_rc=rc))
        assert (action, record.rc, record.status) == (action, rc, ExecStatus.DONE)
