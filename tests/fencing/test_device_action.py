"""Running a device action: exit codes per the fence-agents API, retries, off checked by status."""

from __future__ import annotations

import random

from actors.agents.execute import RunAgent
from actors.agents.results import ExecStatus, OcfResult, OpResult
from fencing.device import make_device
from fencing.device_action import run_device_action


def done(code: int, stdout: bytes = b"", stderr: bytes = b"") -> OpResult:
    return OpResult(
        OcfResult.from_exit(code), ExecStatus.DONE, exit_code=code, stdout=stdout, stderr=stderr
    )


class FakeAgent:
    """Answers per action from a script of results; records every request."""

    def __init__(self, **answers: list[OpResult]) -> None:
        self.answers = answers
        self.requests: list[RunAgent] = []

    def __call__(self, req: RunAgent) -> OpResult:
        self.requests.append(req)
        script = self.answers[req.action]
        return script.pop(0) if len(script) > 1 else script[0]

    def actions(self) -> list[str]:
        return [r.action for r in self.requests]


def device(**options: str):
    return make_device("dev", "fence_x", {"pcmk_host_map": "n1:4", **options})


def run(dev, action, agent, target="n1"):
    return run_device_action(dev, action, target, agent, sleep=lambda s: None)


def test_off_counts_only_once_status_says_off():
    agent = FakeAgent(off=[done(0)], status=[done(2)])
    outcome = run(device(), "off", agent)
    assert outcome.ok and agent.actions() == ["off", "status"]
    req = agent.requests[0]
    assert req.params == {"nodename": "n1", "port": "4"} and req.resource == "dev"
    assert 0 < req.timeout_ms <= 60_000


def test_an_agent_that_says_off_while_status_says_on_fails():
    agent = FakeAgent(off=[done(0)], status=[done(0)])
    outcome = run(device(), "off", agent)
    assert not outcome.ok and "still on" in outcome.reason


def test_an_off_that_status_cannot_confirm_fails():
    agent = FakeAgent(off=[done(0)], status=[done(1, stderr=b"no route to pdu\n")])
    outcome = run(device(pcmk_status_retries="0"), "off", agent)
    assert not outcome.ok and "could not confirm" in outcome.reason
    assert "no route to pdu" in outcome.reason


def test_reboot_is_not_checked_by_status():
    agent = FakeAgent(reboot=[done(0)], status=[done(0)])
    assert run(device(), "reboot", agent).ok and agent.actions() == ["reboot"]


def test_failures_are_retried_as_configured_then_reported_with_the_count():
    agent = FakeAgent(reboot=[done(1, stderr=b"Unable to connect\n")])
    outcome = run(device(pcmk_reboot_retries="3"), "reboot", agent)
    assert not outcome.ok and outcome.tries == 4 and agent.actions() == ["reboot"] * 4
    assert "exit code 1: Unable to connect (after 4 tries)" in outcome.reason


def test_a_retry_that_works_is_a_success():
    agent = FakeAgent(on=[done(1), done(0)])
    outcome = run(device(), "on", agent)
    assert outcome.ok and outcome.tries == 2


def test_a_timeout_or_a_missing_agent_is_not_retried():
    timeout = OpResult(
        OcfResult.OCF_ERR_GENERIC, ExecStatus.TIMEOUT, "stonith:fence_x off timed out after 1000ms"
    )
    agent = FakeAgent(off=[timeout])
    outcome = run(device(), "off", agent)
    assert not outcome.ok and "timed out" in outcome.reason and agent.actions() == ["off"]
    missing = OpResult(OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED, "not installed")
    agent = FakeAgent(reboot=[missing])
    assert not run(device(), "reboot", agent).ok and len(agent.requests) == 1


def test_status_exit_codes():
    assert run(device(), "status", FakeAgent(status=[done(0)])).power == "on"
    assert run(device(), "status", FakeAgent(status=[done(2)])).power == "off"
    unknown = run(device(pcmk_status_retries="0"), "status", FakeAgent(status=[done(1)]))
    assert not unknown.ok and unknown.power == ""


def test_list_output_and_untargeted_params():
    agent = FakeAgent(list=[done(0, stdout=b"4,n1\n5,n2\n")])
    outcome = run(device(), "list", agent, target="")
    assert outcome.ok and outcome.output == "4,n1\n5,n2\n"
    assert agent.requests[0].params == {}


def test_renamed_action_and_missing_action():
    agent = FakeAgent(off=[done(0)], status=[done(2)])
    assert run(device(pcmk_reboot_action="off"), "reboot", agent).ok
    assert agent.actions() == ["off", "status"]
    limited = make_device("d", "fence_x", {}).__class__("d", "fence_x", {}, frozenset({"off"}))
    outcome = run(limited, "on", FakeAgent())
    assert not outcome.ok and "has no on action" in outcome.reason


def test_off_and_reboot_wait_the_random_delay_first_other_actions_do_not():
    slept: list[float] = []
    dev = device(pcmk_delay_base="1s", pcmk_delay_max="3s")
    agent = FakeAgent(off=[done(0)], status=[done(2)], reboot=[done(0)], on=[done(0)])
    for action in ("off", "reboot", "on", "status"):
        run_device_action(dev, action, "n1", agent, sleep=slept.append, rng=random.Random(7))
    assert len(slept) == 2 and all(1.0 <= s <= 3.0 for s in slept)
