"""`ringleader demo` end to end: a 3-node cluster, a node killed, fenced and back, all torn down."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from actors.cli import main
from actors.commands import demo
from actors.runtime.procfs import pid_alive as alive


def _running_with(text: str) -> list[int]:
    """Processes whose command line mentions `text` (the node supervisors name their config)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def test_the_parser_knows_the_options():
    from actors.cli import build_parser

    args = build_parser().parse_args(["demo", "--keep", "--dir", "/tmp/x"])
    assert args.keep and args.dir == "/tmp/x" and args.func is demo.run


@pytest.mark.cluster
def test_the_demo_runs_end_to_end_and_leaves_nothing_behind(capsys, monkeypatch):
    # a short path the nodes' unprivileged user can reach (not pytest's 0700 tmp_path)
    root = Path(tempfile.mkdtemp(prefix="rl-demo-test-")) / "demo"
    os.chmod(root.parent, 0o755)
    seen: list[set[int]] = []
    counted = demo.dummies.cluster_pids
    monkeypatch.setattr(
        demo.dummies, "cluster_pids", lambda *a: seen.append(counted(*a)) or seen[-1]
    )
    try:
        assert main(["demo", "--dir", str(root)]) == 0
        alive_after = _running_with(str(root))
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
    out = capsys.readouterr().out
    for step in (
        "$ ringleader cluster up --nodes 3",
        "$ ringleader fence register local --agent fence_ringleader",
        "$ ringleader config load",
        "$ ringleader status --config",
        "$ kill -KILL",
        "$ ringleader fence history",
        "$ ringleader node start --config",
        "$ ringleader cluster down --dir",
        "No process left behind",
        "python examples/",
    ):
        assert step in out, step
    assert "Current DC: node1 - partition with quorum" in out
    assert "reboot success" in out and "fenced" in out
    assert "Resource Group: web" in out
    assert seen and len(seen[0]) >= 3 * 6  # every node's supervisor and its processes
    assert not [p for p in seen[0] if alive(p)]
    assert not alive_after


@pytest.mark.cluster
def test_ctrl_c_tears_the_cluster_down():
    root = Path(tempfile.mkdtemp(prefix="rl-demo-test-")) / "demo"
    os.chmod(root.parent, 0o755)
    try:
        demo_run = subprocess.Popen(
            [sys.executable, "-m", "actors.cli", "demo", "--dir", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
        )
        lines = []
        for line in demo_run.stdout:  # interrupt once the cluster is up and configured
            lines.append(line)
            if line.startswith("$ ringleader config load"):
                break
        demo_run.send_signal(signal.SIGINT)
        out = "".join(lines) + demo_run.communicate(timeout=120)[0]
        assert demo_run.returncode == 130, out
        assert "$ ringleader cluster down" in out and "No process left behind" in out, out
        assert not _running_with(str(root))
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
