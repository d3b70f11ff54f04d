"""The fencer with real fence agents: Debian's fence_dummy and misbehaving test agents."""

from __future__ import annotations

import pytest

from actors.errors import UserError
from fencing.agents import AgentLocator
from fencing.device_action import run_device_action
from fencing.fencer import (
    AddLevel,
    GetDevices,
    GetHistory,
    RegisterDevice,
    UnregisterDevice,
    call,
)
from fencing.messages import FenceRequest, FenceState, ListCapable
from fencing.topology import make_level

pytestmark = pytest.mark.cluster
WAIT = 120.0


def fence(ref, target, action="off"):
    return call(ref, lambda r: FenceRequest(target, action, r, "test"), WAIT)


def test_fence_dummy_register_list_off_reboot_status(start_fencer, tmp_path):
    status_file = tmp_path / "dummy.status"
    ref = start_fencer()
    device = ref.ask(
        RegisterDevice(
            "dummy", "fence_dummy", {"pcmk_host_list": "node2", "status_file": str(status_file)}
        )
    )
    assert device.host_check == "static-list" and "status" in device.agent_actions
    assert [d.id for d in ref.ask(GetDevices())] == ["dummy"]
    assert [o.device for o in call(ref, lambda r: ListCapable("node2", r), WAIT)] == ["dummy"]
    assert call(ref, lambda r: ListCapable("node3", r), WAIT) == ()

    rebooted = fence(ref, "node2", "reboot")
    assert rebooted.ok and rebooted.devices == ("dummy",), rebooted
    assert status_file.read_text() == "on"  # fence_dummy's reboot is off, then on

    off = fence(ref, "node2", "off")
    assert off.ok and off.executor == "node1", off
    assert status_file.read_text() == "off"
    status = run_device_action(device, "status", "node2", AgentLocator().run)
    assert status.ok and status.power == "off"

    history = ref.ask(GetHistory("node2"))
    assert [(e.action, e.state) for e in history] == [
        ("reboot", FenceState.SUCCESS),
        ("off", FenceState.SUCCESS),
    ]
    assert ref.ask(UnregisterDevice("dummy")) is True
    assert fence(ref, "node2").state is FenceState.FAILED


def test_registrations_survive_a_restart(start_fencer, tmp_path):
    ref = start_fencer()
    ref.ask(RegisterDevice("dummy", "fence_dummy", {"pcmk_host_list": "node2"}))
    ref.ask(AddLevel(make_level("node2", 1, "dummy")))
    ref.stop()
    again = start_fencer()
    assert [d.id for d in again.ask(GetDevices())] == ["dummy"]


def test_unknown_agent_and_unknown_option_are_refused(start_fencer):
    ref = start_fencer()
    with pytest.raises(UserError, match="fence_nosuch.*not found"):
        ref.ask(RegisterDevice("x", "fence_nosuch", {}))
    with pytest.raises(UserError, match="option 'colour' is not a parameter of fence_dummy"):
        ref.ask(RegisterDevice("x", "fence_dummy", {"colour": "blue"}))
    assert ref.ask(GetDevices()) == []


def test_topology_falls_through_failing_levels_to_a_working_one(start_fencer, tmp_path):
    ref = start_fencer()
    status_file = tmp_path / "dummy.status"
    ref.ask(RegisterDevice("broken", "fence_testfail", {"pcmk_host_list": "node2"}))
    failing = {"pcmk_host_list": "node2", "type": "fail", "power_timeout": "1"}
    failing["pcmk_off_retries"] = "0"
    ref.ask(RegisterDevice("dummy-fail", "fence_dummy", failing))
    working = {"pcmk_host_list": "node2", "status_file": str(status_file)}
    ref.ask(RegisterDevice("dummy", "fence_dummy", working))
    for index, devices in ((1, "broken"), (2, "dummy-fail"), (3, "dummy")):
        ref.ask(AddLevel(make_level("node2", index, devices)))
    event = fence(ref, "node2", "off")
    assert event.ok and event.devices == ("dummy",), event
    steps = [(a.level, a.device, a.ok) for a in event.attempts]
    assert steps == [(1, "broken", False), (2, "dummy-fail", False), (3, "dummy", True)]
    assert "fence_testfail: off refused" in event.attempts[0].reason
    assert "after 3 tries" in event.attempts[0].reason  # pcmk_off_retries default 2
    assert ref.ask(GetHistory("node2")) == [event]


def test_every_level_failing_fails_the_request(start_fencer):
    ref = start_fencer()
    ref.ask(RegisterDevice("broken", "fence_testfail", {"pcmk_host_list": "node2"}))
    ref.ask(AddLevel(make_level("node2", 1, "broken")))
    ref.ask(AddLevel(make_level("node2", 2, "absent")))
    event = fence(ref, "node2", "reboot")
    assert event.state is FenceState.FAILED and event.reason == "all 2 fencing levels failed"
    assert [a.device for a in event.attempts] == ["broken", "absent"]


def test_a_hanging_agent_is_killed_at_its_timeout_and_fails(start_fencer):
    ref = start_fencer()
    options = {"pcmk_host_list": "node2", "pcmk_off_timeout": "1s", "pcmk_off_retries": "0"}
    ref.ask(RegisterDevice("hang", "fence_testhang", options))
    event = fence(ref, "node2", "off")
    assert event.state is FenceState.FAILED
    assert "timed out" in event.reason, event


def test_an_agent_claiming_off_while_status_says_on_is_not_believed(start_fencer):
    ref = start_fencer()
    ref.ask(RegisterDevice("liar", "fence_testliar", {"pcmk_host_list": "node2"}))
    event = fence(ref, "node2", "off")
    assert event.state is FenceState.FAILED
    assert "said off succeeded but status says node2 is still on" in event.reason
