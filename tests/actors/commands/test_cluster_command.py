"""`ringleader cluster up|down` and `ringleader quorum` as a user runs them: a local cluster
comes up with its ring formed, answers `quorum`, and goes down leaving no process behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from actors.commands.cluster import node_config_paths, write_cluster
from actors.config import load_config
from actors.errors import UserError
from actors.node import read_pid
from actors.runtime.procfs import descendants
from actors.runtime.procfs import pid_alive as alive


def ringleader(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "actors.cli", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def directory():
    path = Path(tempfile.mkdtemp(prefix="rl-cmd-"))
    yield path
    if node_config_paths(path):
        ringleader("cluster", "down", "--dir", str(path))
    shutil.rmtree(path, ignore_errors=True)


def test_write_cluster_gives_valid_configs_with_distinct_ports(directory):
    paths = write_cluster(directory, 3, "tcp")
    configs = [load_config(p) for p in paths]
    assert [c.node for c in configs] == ["node1", "node2", "node3"]
    ports = [n.port for n in configs[0].nodes]
    assert len(set(ports)) == 3 and all(abs(a - b) >= 2 for a in ports for b in ports if a != b)
    assert (directory / "authkey").stat().st_mode & 0o077 == 0
    with pytest.raises(UserError, match="already holds a cluster"):
        write_cluster(directory, 3)


@pytest.mark.cluster
def test_cluster_up_quorum_down_leaves_nothing(directory):
    up = ringleader("cluster", "up", "--nodes", "3", "--dir", str(directory))
    assert up.returncode == 0, up.stdout + up.stderr
    assert "members [1, 2, 3]" in up.stdout
    configs = [load_config(p) for p in node_config_paths(directory)]
    pids = [read_pid(c) for c in configs]
    assert all(pids)
    everyone = set(pids) | {d for pid in pids for d in descendants(pid)}
    assert len(everyone) >= 6  # a supervisor and an executive per node
    for c in configs:
        assert (c.state_dir / "log" / "supervisor.log").exists()
    quorum = ringleader("quorum", "--config", str(directory / "node2.toml"))
    assert quorum.returncode == 0, quorum.stdout + quorum.stderr
    assert "Quorate:          Yes" in quorum.stdout
    assert "node2 (local)" in quorum.stdout
    down = ringleader("cluster", "down", "--dir", str(directory))
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [pid for pid in everyone if alive(pid)]
