"""The CIB editing commands without a cluster: argument parsing, output, one-line errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from actors.cli import main
from actors.commands.cluster import write_cluster
from actors.commands.config_cmd import summary_lines
from actors.commands.constraint import constraint_lines
from actors.commands.property import property_lines
from actors.commands.resource_config import (
    default_monitor,
    lifetime_end,
    parse_create,
    role_monitors,
)
from actors.crm.cib.edit import (
    EMPTY_CIB,
    AddLocation,
    CreatePrimitive,
    MoveResource,
    OpSpec,
    SetNodeStandby,
    SetProperty,
    apply_change,
)
from actors.errors import UserError


def test_create_arguments_as_pcs_takes_them():
    change, config = parse_create(
        "web",
        "ocf:heartbeat:apache",
        "configfile=/e/a.conf port=80 --op monitor interval=10s timeout=20s --op start "
        "timeout=40s --meta resource-stickiness=100 --group g --config n1.toml".split(),
    )
    assert config == "n1.toml"
    assert change == CreatePrimitive(
        "web",
        "ocf:heartbeat:apache",
        (("configfile", "/e/a.conf"), ("port", "80")),
        (
            OpSpec("monitor", (("interval", "10s"), ("timeout", "20s"))),
            OpSpec("start", (("timeout", "40s"),)),
        ),
        (("resource-stickiness", "100"),),
        "g",
        False,
    )


def test_promotable_takes_the_agents_monitors_per_role(tmp_path):
    change, _ = parse_create("s", "ocf:pacemaker:Stateful", "--promotable --config x".split())
    assert change.promotable and not change.clone and change.ops == ()
    (config,) = write_cluster(tmp_path, 1)
    assert role_monitors("ocf:nobody:Nothing", str(config)) == ()
    if not Path("/usr/lib/ocf/resource.d/pacemaker/Stateful").exists():
        pytest.skip("pacemaker-resource-agents not installed")
    ops = role_monitors("ocf:pacemaker:Stateful", str(config))
    assert [dict(op.attrs)["role"] for op in ops] == ["Promoted", "Unpromoted"]
    assert [dict(op.attrs)["interval"] for op in ops] == ["10s", "11s"]


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ("a=1", "--config NODE.toml is required"),
        ("--op --config x", "--op needs a value"),
        ("--frobnicate --config x", "unknown option --frobnicate"),
        ("notapair --config x", "'notapair' is not key=value"),
    ],
)
def test_create_argument_mistakes(tokens, message):
    with pytest.raises(UserError, match=message):
        parse_create("web", "ocf:heartbeat:apache", tokens.split())


def test_lifetime_becomes_an_end_date():
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert lifetime_end("PT1H", now) == "2026-01-01 13:00:00Z"
    assert lifetime_end("30m", now) == "2026-01-01 12:30:00Z"
    assert lifetime_end(None) is None
    with pytest.raises(UserError, match="not a duration"):
        lifetime_end("tomorrow", now)


def test_listings():
    xml = apply_change(EMPTY_CIB, CreatePrimitive("web", "ocf:pacemaker:Dummy")).xml
    for change in (
        AddLocation("web", "node1"),
        MoveResource("web", "node2"),
        SetProperty("stonith-enabled", "false"),
        SetNodeStandby("node3", 3, True),
    ):
        xml = apply_change(xml, change).xml
    assert constraint_lines(xml) == [
        "Location constraints:",
        "  location-web-node1-INFINITY: web on node1 score INFINITY",
        "  cli-prefer-web: web on node2 score INFINITY",
    ]
    assert constraint_lines(xml, "rsc_order") == ["Order constraints:", "  (none)"]
    assert property_lines(xml) == ["stonith-enabled: false"]
    assert "no-quorum-policy: stop (default)" in property_lines(xml, everything=True)
    text = "\n".join(summary_lines((0, 5, 0), xml))
    assert "cib version 0.5.0" in text
    assert "node3 (id 3) (standby)" in text
    assert "web (ocf:pacemaker:Dummy) [monitor every 60s]" in text


def test_commands_on_a_node_that_is_not_running_say_so_in_one_line(tmp_path, capsys):
    (config,) = write_cluster(tmp_path, 1)
    for argv in (
        ["config", "show"],
        ["property", "set", "stonith-enabled=false"],
        ["constraint", "list"],
        ["node", "standby", "node1"],
    ):
        assert main([*argv, "--config", str(config)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == f"ringleader: error: {config}: node node1 is not running", argv


def test_mistakes_are_caught_before_the_node_is_asked(tmp_path, capsys):
    (config,) = write_cluster(tmp_path, 1)
    assert main(["property", "set", "stonith-enabeld=false", "--config", str(config)]) == 2
    assert "property 'stonith-enabeld': not a cluster option" in capsys.readouterr().err
    assert main(["node", "standby", "node9", "--config", str(config)]) == 2
    assert "node 'node9' is not one of the [[nodes]] (node1)" in capsys.readouterr().err
    bad = tmp_path / "bad.xml"
    bad.write_text("<cib><configuration><resources><primitive/></resources></configuration></cib>")
    assert main(["config", "load", str(bad), "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ringleader: error: {bad}: /cib/configuration/resources/primitive")
    assert main(["resource", "move", "web", "node7", "--config", str(config)]) == 2
    assert "node 'node7' is not one of the [[nodes]]" in capsys.readouterr().err


def test_the_default_monitor_comes_from_the_agents_meta_data(tmp_path):
    (config,) = write_cluster(tmp_path, 1)
    assert default_monitor("ocf:nobody:Nothing", str(config)) == ("60s", None)
    if not Path("/usr/lib/ocf/resource.d/pacemaker/Dummy").exists():
        pytest.skip("pacemaker-resource-agents is not installed")
    interval, timeout = default_monitor("ocf:pacemaker:Dummy", str(config))
    assert (interval, timeout) == ("10s", "20s")  # what Dummy's meta-data advises
