"""`ringleader fence ...` in standalone mode against a node's state dir, with fence_dummy."""

from __future__ import annotations

import json

import pytest

from actors.cli import main
from actors.config import load_config

pytestmark = pytest.mark.cluster


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "node1.toml"
    path.write_text(
        """
[cluster]
name = "t"
authkey = "authkey"
transport = "ipc"

[node]
name = "node1"
state_dir = "state/node1"

[[nodes]]
id = 1
name = "node1"

[[nodes]]
id = 2
name = "node2"
"""
    )
    return str(path)


def run(capsys, *argv):
    rc = main(["fence", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_register_list_fence_confirm_history(capsys, config, tmp_path):
    status = tmp_path / "dummy.status"
    status.write_text("on")
    rc, out, _ = run(
        capsys, "register", "dummy", "--agent", "fence_dummy", "--host-map", "node2:2",
        "-o", f"status_file={status}", "--config", config,
    )  # fmt: skip
    assert rc == 0 and out == "registered dummy: fence_dummy (static-list: node2)\n"
    saved = load_config(config).state_dir / "fencing" / "devices.json"
    assert json.loads(saved.read_text())[0]["options"]["pcmk_host_map"] == "node2:2"

    assert run(capsys, "list", "--config", config)[1].startswith("dummy: fence_dummy")
    assert run(capsys, "list", "--target", "node2", "--config", config)[1].startswith("dummy:")
    assert (
        "no device can fence node9"
        in run(capsys, "list", "--target", "node9", "--config", config)[1]
    )

    rc, out, _ = run(capsys, "node", "node2", "--off", "--config", config)
    assert rc == 0 and "node2: off success by node1 with dummy" in out
    assert status.read_text() == "off"
    rc, out, _ = run(capsys, "node", "node9", "--config", config)
    assert rc == 1 and "no device can fence node9" in out

    rc, out, _ = run(capsys, "confirm", "node9", "--config", config)
    assert rc == 0 and "confirmed down by the operator" in out
    rc, out, _ = run(capsys, "history", "node2", "--config", config)
    assert rc == 0 and out.count("\n") == 2 and "dummy on node1: ok" in out
    assert len(run(capsys, "history", "--config", config)[1].splitlines()) == 4

    assert run(capsys, "unregister", "dummy", "--config", config)[0] == 0
    rc, _, err = run(capsys, "unregister", "dummy", "--config", config)
    assert rc == 2 and "'dummy' is not registered" in err


def test_levels(capsys, config):
    rc, _, err = run(capsys, "level", "add", "node2", "1", "ipmi,pdu", "--config", config)
    assert rc == 0 and "not registered on this node: ipmi, pdu" in err
    assert run(capsys, "level", "add", "regexp%node.*", "2", "pdu", "--config", config)[0] == 0
    out = run(capsys, "level", "list", "--config", config)[1]
    assert out == "node2 1: ipmi,pdu\nregexp%node.* 2: pdu\n"
    assert run(capsys, "level", "remove", "node2", "1", "--config", config)[0] == 0
    rc, _, err = run(capsys, "level", "remove", "node2", "1", "--config", config)
    assert rc == 2 and "no level 1 for node2" in err
    rc, _, err = run(capsys, "level", "add", "node2", "12", "pdu", "--config", config)
    assert rc == 2 and "1..9" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agent", "fence_nosuch"], "fence agent 'fence_nosuch' not found"),
        (["--agent", "fence_dummy", "-o", "colour=red"], "option 'colour' is not a parameter"),
        (["--agent", "fence_dummy", "--host-map", "node1;node2:2"], "entry 'node1' is not"),
        (["--agent", "fence_dummy", "-o", "noequals"], "'noequals': expected key=value"),
    ],
)
def test_bad_registrations_are_one_line_errors(capsys, config, argv, message):
    rc, _, err = run(capsys, "register", "d", *argv, "--config", config)
    assert rc == 2 and message in err and "Traceback" not in err
