"""`ringleader status` rendering (text and --json) from a DC's answer, and the cleanup verb's
argument checks. The commands on a running cluster: tests/actors/crm/controller/."""

from __future__ import annotations

import argparse

import pytest

from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec, Standard
from actors.commands.resource_cleanup import run as cleanup
from actors.commands.status import summary, text
from actors.crm.cib.status import NodeStatus, apply_record, cib_with_status
from actors.crm.lrm.history import OpRecord
from actors.errors import UserError
from fencing.messages import FenceEvent, FenceState

DUMMY = AgentSpec(Standard.OCF, "heartbeat", "Dummy")
CONFIG = (
    "<cib><configuration><crm_config/><nodes/><resources>"
    '<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>'
    "</resources><constraints/></configuration><status/></cib>"
)


def op(action, rc, interval=0, call=1, expected=0):
    return OpRecord(
        "web",
        DUMMY,
        action,
        interval,
        call,
        OcfResult(rc),
        ExecStatus.DONE,
        "gone",
        100,
        100,
        1,
        0,
        "d",
        OcfResult(expected),
    )


def dc_answer():
    hist: dict = {}
    apply_record(hist, op("monitor", 0, call=1, expected=7))  # a probe finding it: not a failure
    apply_record(hist, op("start", 0, call=2))
    apply_record(hist, op("monitor", 7, 10000, call=3))
    nodes = [
        NodeStatus("1", "n1", True, True, "member", "member", tuple(hist.values())),
        NodeStatus("2", "n2", False, False, "down", "down"),
    ]
    fenced = FenceEvent(
        "e1",
        "n2",
        "reboot",
        "n1",
        "controller",
        FenceState.SUCCESS,
        "n1",
        completed=1_700_000_000.0,
    )
    return {
        "node": "n1",
        "dc": "n1",
        "members": ["n1"],
        "quorate": True,
        "cib": cib_with_status(CONFIG, nodes, True, "1", {"n1": 1, "n2": 2}),
        "fencing": [fenced],
    }


def test_text_shows_what_crm_mon_shows():
    out = "\n".join(text(dc_answer()))
    assert "Current DC: n1 - partition with quorum" in out
    assert "2 nodes configured" in out and "1 resource instances configured" in out
    assert "Online: [ n1 ]" in out and "OFFLINE: [ n2 ]" in out
    assert "web\t(ocf:heartbeat:Dummy):\t FAILED n1" in out
    assert "web_monitor_10000 on n1 'OCF_NOT_RUNNING' (7): call=3" in out
    assert "web_monitor_0" not in out
    assert "reboot of n2 successful: delegate=n1, client=controller, origin=n1" in out


def test_json_has_the_same_facts():
    data = summary(dc_answer())
    assert data["dc"] == "n1" and data["quorate"]
    assert [n["name"] for n in data["nodes"] if n["online"]] == ["n1"]
    [web] = data["resources"]
    assert web["nodes"] == ["n1"] and web["failed"]
    assert [f["op"] for f in data["failed_actions"]] == ["web_monitor_10000"]
    assert data["fencing"][0]["target"] == "n2"


def test_no_dc_yet():
    assert "Current DC: NONE" in "\n".join(text({"dc": None, "cib": None}))


def test_cleanup_names_an_unknown_node(tmp_path):
    (tmp_path / "authkey").write_bytes(b"k" * 32)
    cfg = tmp_path / "n1.toml"
    cfg.write_text(
        '[cluster]\nname = "c"\nauthkey = "authkey"\ntransport = "ipc"\n'
        f'[node]\nname = "n1"\nstate_dir = "{tmp_path}/n1"\n'
        '[[nodes]]\nid = 1\nname = "n1"\n'
    )
    with pytest.raises(UserError, match="--node n9: no such node"):
        cleanup(argparse.Namespace(config=str(cfg), resource="web", node="n9"))
