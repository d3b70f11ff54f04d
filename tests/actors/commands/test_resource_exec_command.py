"""`ringleader resource exec`: one operation through a running node's LRM and privileged child,
the rc printed by name, the exit status 0 only on the expected rc, clear errors otherwise."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "privileged"))
from support_agents_node import (  # noqa: E402
    agents_node,
    all_running,
    debian_agents_installed,
    wait_for,
)

from actors.cli import main  # noqa: E402
from actors.commands.cluster import write_cluster  # noqa: E402


@pytest.fixture(scope="module")
def config():
    directory = Path(tempfile.mkdtemp(prefix="rl-resource-exec-"))
    try:
        with agents_node(directory) as cfg:
            yield str(cfg.path)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["resource", "exec", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.cluster
@pytest.mark.skipif(not debian_agents_installed(), reason="resource-agents not installed")
def test_a_dummy_life_cycle_by_hand(config, capsys, tmp_path):
    state = ["-p", f"state={tmp_path}/exec.state", "--config", config]
    steps = [
        ("start", [], 0, "OCF_SUCCESS (0)"),
        ("monitor", [], 0, "OCF_SUCCESS (0)"),
        ("stop", [], 0, "OCF_SUCCESS (0)"),
        ("monitor", [], 7, "OCF_NOT_RUNNING (7)"),
        ("monitor", ["--expect", "OCF_NOT_RUNNING"], 0, "OCF_NOT_RUNNING (7)"),
        ("monitor", ["--interval", "10s", "--expect", "7"], 0, "OCF_NOT_RUNNING (7)"),
    ]
    for action, extra, want_rc, want_text in steps:
        rc, out, _ = run(capsys, "ocf:heartbeat:Dummy", action, *state, *extra)
        assert (rc, out) == (want_rc, f"ocf:heartbeat:Dummy {action}: {want_text}\n")


@pytest.mark.cluster
@pytest.mark.skipif(not debian_agents_installed(), reason="resource-agents not installed")
def test_an_unknown_agent_and_a_failing_one(config, capsys):
    rc, out, err = run(capsys, "ocf:heartbeat:NoSuchAgent", "start", "--config", config)
    assert rc == 5
    assert out == "ocf:heartbeat:NoSuchAgent start: OCF_ERR_INSTALLED (5) [not_installed]\n"
    assert "not installed" in err
    rc, out, err = run(capsys, "ocf:test:badrc", "start", "--config", config)
    assert (rc, out) == (1, "ocf:test:badrc start: OCF_ERR_GENERIC (1)\n")
    assert "configured badly on purpose" in err


def test_mistakes_are_one_line_errors(capsys, tmp_path):
    (path,) = write_cluster(tmp_path / "c", 1)  # written, never started
    cases = [
        (["ocf:heartbeat:Dummy", "start", "-p", "state", "--config", str(path)], "-p 'state'"),
        (["ocf:heartbeat:Dummy", "start", "--expect", "7x", "--config", str(path)], "--expect"),
        (["ocf:heartbeat:Dummy", "start", "--timeout", "soon", "--config", str(path)], "soon"),
        (["ocf:heart:beat:Dummy", "start", "--config", str(path)], "expected the form"),
        (["ocf:heartbeat:Dummy", "start", "--config", str(path)], "node1 is not running"),
    ]
    for argv, what in cases:
        rc, out, err = run(capsys, *argv)
        assert rc == 2 and out == "" and err.startswith("ringleader: error: "), argv
        assert what in err and "Traceback" not in err and len(err.splitlines()) == 1


@pytest.mark.cluster
@pytest.mark.skipif(not debian_agents_installed(), reason="resource-agents not installed")
def test_over_tcp_the_privileged_child_still_listens_only_on_ipc(capsys):
    from actors.commands.cluster import cluster_down, cluster_up
    from actors.config import load_config

    directory = Path(tempfile.mkdtemp(prefix="rl-exec-tcp-"))
    directory.chmod(0o755)  # the node's user must reach its state dir
    try:
        (path,) = cluster_up(directory / "c", 1, "tcp")
        config = load_config(path)
        wait_for(lambda: all_running(config), 120.0, "every process of the node")
        assert config.endpoint("node1", "privileged") == f"ipc://{config.run_dir}/privileged.sock"
        state = f"state={directory}/dummy.state"
        rc, out, _ = run(capsys, "ocf:heartbeat:Dummy", "start", "-p", state, "--config", str(path))
        assert (rc, out) == (0, "ocf:heartbeat:Dummy start: OCF_SUCCESS (0)\n")
        assert (config.run_dir / "privileged.sock.agents").is_socket()
    finally:
        cluster_down(directory / "c")
        shutil.rmtree(directory, ignore_errors=True)
