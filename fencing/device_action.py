"""Run one device action through its fence agent: retries within the budget, exit codes read as
the fence-agents API says, and an `off` checked with `status` before it counts.

Exit codes (FenceAgentAPI): off / on / reboot / list / monitor: 0 success, anything else failure;
status: 0 the target is on, 2 it is off, anything else unknown. A timeout is a failure, never a
success. An off or reboot first waits `pcmk_delay_base` plus a random part up to `pcmk_delay_max`.
`pcmk_<action>_retries` more tries are made while `pcmk_<action>_timeout` (the whole
budget) lasts; a missing agent is not retried. After an `off` that says success, the agent's
`status` must say off (when the agent has `status`): an agent that claims success while the node is
still on fails the attempt, so a node is never reported fenced when it is not. A reboot is not
checked this way: the node being on again afterwards is what a reboot is for.

`run_agent(RunAgent) -> OpResult` is how the agent is run: `execute` in this process, or an ask to
the node's privileged child.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from tenacity import Retrying, retry_if_result, stop_after_attempt, stop_after_delay, wait_fixed

from actors.agents.execute import RunAgent
from actors.agents.results import ExecStatus, OpResult
from fencing.device import Device
from fencing.messages import DeviceOutcome

RunAgentFn = Callable[[RunAgent], OpResult]
_TARGETED = ("off", "on", "reboot", "status")
_NOT_RETRIED = (ExecStatus.NOT_INSTALLED, ExecStatus.INVALID, ExecStatus.TIMEOUT)


def why(result: OpResult) -> str:
    """A failed run in a few words: the timeout, or the exit code and the agent's last words."""
    if result.status is not ExecStatus.DONE:
        return result.exit_reason or result.status.name.lower()
    text = f"exit code {result.exit_code}"
    lines = [ln.strip() for ln in result.stderr.decode(errors="replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return f"{text}: {lines[-1][:200]}" if lines else text


def interpret(agent: str, action: str, result: OpResult) -> DeviceOutcome:
    """An agent run's OpResult as the fence-agents API means it."""
    done = result.status is ExecStatus.DONE
    if action == "status":
        power = {0: "on", 2: "off"}.get(result.exit_code) if done else None
        if power:
            return DeviceOutcome(True, power=power)
        return DeviceOutcome(False, f"{agent} status: {why(result)}")
    if done and result.exit_code == 0:
        return DeviceOutcome(True, output=result.stdout.decode(errors="replace"))
    return DeviceOutcome(False, f"{agent} {action}: {why(result)}")


def run_device_action(
    device: Device,
    action: str,
    target: str,
    run_agent: RunAgentFn,
    *,
    retry_wait: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> DeviceOutcome:
    """Run `action` (off, on, reboot, status, monitor, list) of `device` against `target`."""
    agent_action = device.agent_action(action)
    if agent_action not in device.agent_actions:
        return DeviceOutcome(False, f"{device.agent} has no {agent_action} action")
    base, top = device.delay_ms()
    if action in ("off", "reboot") and top:
        sleep((base + (rng or random).uniform(0, top - base)) / 1000.0)
    outcome = _with_retries(device, action, agent_action, target, run_agent, retry_wait, sleep)
    if outcome.ok and agent_action == "off" and "status" in device.agent_actions:
        return _confirm_off(device, target, outcome, run_agent, retry_wait, sleep)
    return outcome


def _with_retries(
    device: Device,
    action: str,
    agent_action: str,
    target: str,
    run_agent: RunAgentFn,
    retry_wait: float,
    sleep: Callable[[float], None],
) -> DeviceOutcome:
    budget = device.timeout_ms(action) / 1000.0
    deadline = time.monotonic() + budget
    params = device.agent_params(agent_action, target if agent_action in _TARGETED else None)
    last: list[OpResult] = []

    def once() -> DeviceOutcome:
        remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
        req = RunAgent(
            0, device.spec, agent_action, device.id, params=params, timeout_ms=remaining_ms
        )
        result = run_agent(req)
        last[:] = [result]
        return interpret(device.agent, agent_action, result)

    def retry(outcome: DeviceOutcome) -> bool:
        return not outcome.ok and last[0].status not in _NOT_RETRIED

    retrying = Retrying(
        stop=stop_after_attempt(device.retries(action) + 1) | stop_after_delay(budget),
        wait=wait_fixed(retry_wait),
        retry=retry_if_result(retry),
        sleep=sleep,
        retry_error_callback=lambda state: state.outcome.result(),
    )
    outcome = retrying(once)
    tries = retrying.statistics.get("attempt_number", 1)
    if tries > 1 and not outcome.ok:
        outcome = DeviceOutcome(False, f"{outcome.reason} (after {tries} tries)", tries=tries)
    return DeviceOutcome(outcome.ok, outcome.reason, outcome.output, outcome.power, tries)


def _confirm_off(
    device: Device,
    target: str,
    outcome: DeviceOutcome,
    run_agent: RunAgentFn,
    retry_wait: float,
    sleep: Callable[[float], None],
) -> DeviceOutcome:
    status = _with_retries(device, "status", "status", target, run_agent, retry_wait, sleep)
    if status.ok and status.power == "off":
        return outcome
    if status.ok:
        why_not = f"{device.agent} said off succeeded but status says {target} is still on"
    else:
        why_not = f"{device.agent} said off succeeded but status could not confirm it: "
        why_not += status.reason
    return DeviceOutcome(False, why_not, tries=outcome.tries)
