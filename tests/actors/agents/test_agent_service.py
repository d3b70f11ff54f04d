"""The privileged child's agent service: replies from threads, stop kills what still runs."""

from __future__ import annotations

import queue

import pytest
from agent_procs import alive, wait_until

from actors.agents.execute import RunAgent
from actors.agents.results import ExecStatus, OcfResult
from actors.agents.service import AgentService
from actors.agents.spec import AgentSpec

pytestmark = pytest.mark.cluster


def test_replies_carry_the_callers_call_ids(agent_dirs):
    service = AgentService(agent_dirs, max_workers=4)
    replies: queue.Queue = queue.Queue()
    try:
        for call_id in (7, 7, 8):  # ids of two callers may overlap
            spec = AgentSpec.parse("ocf:test:badrc" if call_id == 8 else "ocf:test:envdump")
            service.submit(RunAgent(call_id, spec, "monitor"), replies.put)
        got = sorted((r.call_id, r.result.rc) for r in (replies.get(timeout=60) for _ in range(3)))
    finally:
        service.stop()
    assert got == [
        (7, OcfResult.OCF_SUCCESS),
        (7, OcfResult.OCF_SUCCESS),
        (8, OcfResult.OCF_ERR_GENERIC),
    ]


def test_stop_kills_running_agents_and_still_answers(agent_dirs, tmp_path):
    service = AgentService(agent_dirs, max_workers=2)
    replies: queue.Queue = queue.Queue()
    pidfile = tmp_path / "pids"
    hang = RunAgent(
        1, AgentSpec.parse("ocf:test:hang"), "start", params={"pidfile": str(pidfile)},
        timeout_ms=600000,
    )  # fmt: skip
    service.submit(hang, replies.put)
    assert wait_until(lambda: pidfile.exists() and len(pidfile.read_text().split()) == 2)
    assert len(service.running()) == 1
    service.stop()
    reply = replies.get(timeout=60)
    assert reply.call_id == 1 and reply.result.status is ExecStatus.ERROR
    assert "SIGKILL" in reply.result.exit_reason
    for pid in map(int, pidfile.read_text().split()):
        assert wait_until(lambda pid=pid: not alive(pid))
    service.submit(RunAgent(2, AgentSpec.parse("ocf:test:envdump"), "monitor"), replies.put)
    late = replies.get(timeout=10)
    assert late.call_id == 2 and late.result.status is ExecStatus.NOT_CONNECTED


def test_submit_launches_the_agent_before_it_returns(agent_dirs, tmp_path):
    """The launch happens on the caller's thread (no hand-off before the run); a request that
    cannot start is answered right there."""
    service = AgentService(agent_dirs, max_workers=2)
    replies: queue.Queue = queue.Queue()
    pidfile = tmp_path / "pids"
    hang = RunAgent(1, AgentSpec.parse("ocf:test:hang"), "start", params={"pidfile": str(pidfile)})
    try:
        service.submit(hang, replies.put)
        groups = [pgid for _, pgid in service._running.values()]  # noqa: SLF001
        assert len(groups) == 1 and groups[0] is not None and alive(groups[0])
        service.submit(RunAgent(2, AgentSpec.parse("ocf:test:nothere"), "monitor"), replies.put)
        missing = replies.get_nowait()
        assert missing.call_id == 2 and missing.result.status is ExecStatus.NOT_INSTALLED
    finally:
        service.stop()
    assert replies.get(timeout=60).call_id == 1
