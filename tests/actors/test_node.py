"""The node supervisor on real processes: start, restart a killed child, stop, nothing left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from actors.commands.cluster import PROCESSES_PER_NODE, free_port_block
from actors.config import load_config
from actors.node import node_status, read_pid
from actors.runtime.procfs import descendants
from actors.runtime.procfs import pid_alive as alive

HERE = Path(__file__).parent


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 - not there yet
            last = exc
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def ringleader(*args: str, env=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "actors.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def make_node(tmp_path: Path, transport: str) -> Path:
    key = tmp_path / "authkey"
    result = ringleader("keygen", "--out", str(key))
    assert result.returncode == 0, result.stderr
    port = free_port_block(PROCESSES_PER_NODE)  # every process of the node has its own port
    config = tmp_path / "node1.toml"
    config.write_text(
        f"""
[cluster]
name = "test"
authkey = "authkey"
transport = "{transport}"

[node]
name = "node1"
state_dir = "state/node1"

[[nodes]]
id = 1
name = "node1"
host = "127.0.0.1"
port = {port}

[processes]
alpha = "support_node_actors:PidEcho"
beta = "support_node_actors:PidEcho"
"""
    )
    return config


@pytest.fixture
def node_dir():
    """A node directory the unprivileged node processes can reach (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="rl-node-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def node_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    return env


def status_when_running(config_path: Path) -> dict:
    config = load_config(config_path)

    def all_running():
        children = node_status(config)
        return children if all(c.alive and c.pid for c in children.values()) else None

    return wait_for(all_running, what="every process of the node running")


@pytest.mark.cluster
@pytest.mark.parametrize("transport", ["ipc", "tcp"])
def test_node_restarts_a_killed_process_and_stops_leaving_nothing(node_dir, node_env, transport):
    config_path = make_node(node_dir, transport)
    proc = subprocess.Popen(
        [sys.executable, "-m", "actors.cli", "node", "start", "--config", str(config_path)],
        env=node_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        children = status_when_running(config_path)
        assert {"alpha", "beta"} <= set(children)  # plus the standard processes of a node
        config = load_config(config_path)
        assert read_pid(config) == proc.pid
        seen = descendants(proc.pid)
        assert {c.pid for c in children.values()} <= seen

        victim = children["alpha"].pid
        os.kill(victim, signal.SIGKILL)

        def restarted():
            status = node_status(config)["alpha"]
            return (
                status if status.alive and status.restarts == 1 and status.pid != victim else None
            )

        new = wait_for(restarted, what="alpha restarted")
        assert "signal 9" in (new.last_exit or "")
        assert node_status(config)["beta"].pid == children["beta"].pid  # untouched
        seen |= descendants(proc.pid)

        stopped = ringleader("node", "stop", "--config", str(config_path), env=node_env)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        proc.wait(timeout=60)
        wait_for(lambda: not any(alive(p) for p in seen | {proc.pid}), what="no process left")
        assert not config.pid_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.cluster
def test_killing_the_supervisor_takes_its_children_with_it(node_dir, node_env):
    config_path = make_node(node_dir, "ipc")
    proc = subprocess.Popen(
        [sys.executable, "-m", "actors.cli", "node", "start", "--config", str(config_path)],
        env=node_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status_when_running(config_path)
        seen = descendants(proc.pid)
        assert len(seen) >= 2
        proc.kill()
        proc.wait(timeout=30)
        wait_for(lambda: not any(alive(p) for p in seen), what="children gone with the supervisor")
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.cluster
def test_second_start_is_refused_and_stop_of_a_stopped_node_says_so(node_dir, node_env):
    config_path = make_node(node_dir, "ipc")
    proc = subprocess.Popen(
        [sys.executable, "-m", "actors.cli", "node", "start", "--config", str(config_path)],
        env=node_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status_when_running(config_path)
        again = ringleader("node", "start", "--config", str(config_path), env=node_env)
        assert again.returncode == 2
        assert "already running" in again.stderr and "Traceback" not in again.stderr
        assert ringleader("node", "stop", "--config", str(config_path)).returncode == 0
        proc.wait(timeout=60)
        once_more = ringleader("node", "stop", "--config", str(config_path))
        assert once_more.returncode == 1 and "not running" in once_more.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
