"""The LRM core driving real agents through the agent service (what the LRM actor will do)."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.service import AgentService
from actors.agents.spec import AgentDirs, AgentSpec
from actors.crm.lrm.core import LrmCore
from actors.crm.lrm.messages import (
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

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not Path("/usr/lib/ocf/resource.d/heartbeat/Dummy").exists(), reason="no resource-agents"
    ),
]
DUMMY = AgentSpec.parse("ocf:heartbeat:Dummy")


class Driver:
    """A minimal stand-in for the LRM actor: executes effects, keeps timers for the test."""

    def __init__(self) -> None:
        self.lrm = LrmCore()
        self.service = AgentService(AgentDirs(), max_workers=4)
        self.replies: queue.Queue = queue.Queue()
        self.reports: list[Report] = []
        self.timers: dict = {}
        self.outstanding = 0
        self.feed(Watch("controller"))

    def feed(self, event) -> None:
        for effect in self.lrm.handle(event, time.time()):
            if isinstance(effect, Execute):
                self.outstanding += 1
                self.service.submit(effect.to_run_agent(), self.replies.put)
            elif isinstance(effect, SetTimer):
                self.timers[effect.key] = effect.delay_ms
            elif isinstance(effect, Report):
                self.reports.append(effect)

    def settle(self) -> None:
        """Feed results back until nothing runs."""
        while self.outstanding:
            ran = self.replies.get(timeout=60)
            self.outstanding -= 1
            self.feed(ExecResult(ran.call_id, ran.result))

    def take(self) -> list[tuple[str, str, OcfResult]]:
        out = [(r.record.rsc_id, r.record.action, r.record.rc) for r in self.reports]
        self.reports.clear()
        return out


@pytest.fixture
def driver():
    d = Driver()
    yield d
    d.service.stop()


def test_dummy_resources_in_parallel_with_a_recurring_monitor(driver, tmp_path):
    params = {n: {"state": str(tmp_path / f"{n}.state")} for n in ("a", "b")}
    for rsc in ("a", "b"):
        driver.feed(OpRequest(rsc, DUMMY, "start", params[rsc], requester="ctl"))
        driver.feed(OpRequest(rsc, DUMMY, "monitor", params[rsc], interval_ms=10000))
    driver.settle()
    got = driver.take()
    assert ("a", "start", OcfResult.OCF_SUCCESS) in got and (
        "b",
        "start",
        OcfResult.OCF_SUCCESS,
    ) in got
    assert ("a", "monitor", OcfResult.OCF_SUCCESS) in got  # first result of the monitor
    key = ("a", "monitor", 10000)
    assert driver.timers[key] == 10000

    driver.feed(TimerFired(key))
    driver.settle()
    assert driver.take() == []  # unchanged: nothing reported

    Path(params["a"]["state"]).unlink()  # the resource fails behind the cluster's back
    driver.feed(TimerFired(key))
    driver.settle()
    assert driver.take() == [("a", "monitor", OcfResult.OCF_NOT_RUNNING)]

    driver.feed(OpRequest("a", DUMMY, "start", params["a"]))  # recovery
    driver.feed(TimerFired(key))
    driver.settle()
    assert driver.take() == [
        ("a", "start", OcfResult.OCF_SUCCESS),
        ("a", "monitor", OcfResult.OCF_SUCCESS),
    ]
    hist = driver.lrm.history("a")
    assert [name for name, _ in hist.records()] == [
        "a_last_0",
        "a_last_failure_0",
        "a_monitor_10000",
    ]
    assert hist.last.exec_ms >= 0 and hist.last.op_digest


def test_executor_loss_fails_the_running_op(driver, tmp_path):
    params = {"state": str(tmp_path / "c.state"), "op_sleep": "0"}
    driver.feed(OpRequest("c", DUMMY, "start", params, requester="ctl"))
    driver.feed(ExecutorLost("privileged child died"))
    assert driver.take() == [("c", "start", OcfResult.OCF_ERR_GENERIC)] * 2
    assert driver.lrm.history("c").last.status is ExecStatus.NOT_CONNECTED
    driver.settle()  # the late real answer changes nothing
    assert driver.take() == []
    driver.feed(ExecutorReady())
    driver.feed(OpRequest("c", DUMMY, "monitor", params, requester="ctl"))
    driver.settle()
    # the dead child's start did happen: the probe-like monitor finds it running
    assert driver.take() == [("c", "monitor", OcfResult.OCF_SUCCESS)] * 2
