"""Local ringleader nodes for fencing tests: configs, starting a node, the process tree."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from actors.config import load_config
from actors.node import node_status
from actors.runtime.procfs import descendants  # noqa: F401 - for the tests
from actors.runtime.procfs import pid_alive as alive  # noqa: F401 - for the tests

HERE = Path(__file__).parent
SUPPORT = HERE.parent / "actors"  # support_node_actors.PidEcho, hosted by the node's children


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
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "actors.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def write_config(root: Path, node: str) -> Path:
    path = root / f"{node}.toml"
    path.write_text(
        f"""
[cluster]
name = "fence-test"
authkey = "authkey"
transport = "ipc"

[node]
name = "{node}"
state_dir = "state/{node}"

[[nodes]]
id = 1
name = "node1"

[[nodes]]
id = 2
name = "node2"

[processes]
alpha = "support_node_actors:PidEcho"
"""
    )
    return path


def start_node(config: Path, env) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "actors.cli", "node", "start", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cfg = load_config(config)

    def running():
        children = node_status(cfg)
        return all(c.alive and c.pid for c in children.values()) and children

    wait_for(running, what="the node running with its children")
    return proc
