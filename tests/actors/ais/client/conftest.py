"""A 3-node cluster of real processes shared by the application-service client tests.

`nodes` (per test) hands out the node configs, waits (`wait_for`, `pump`), kills a node
(SIGKILL of its supervisor: its processes die with it) and restarts it; after each test every
node is up again, so the next test starts from one ring of three. Tests use names of their
own (state stays between tests).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from actors.commands.cluster import cluster_down, cluster_up, start_node, wait_for_ring
from actors.config import load_config
from actors.node import read_pid

DEADLINE = 60.0


def wait_for(predicate, timeout: float = DEADLINE, what: str = "condition"):
    """Poll `predicate` until it is true (returns its value); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def pump(client, condition, what: str, timeout: float = DEADLINE):
    """Dispatch `client`'s callbacks until `condition()` holds."""
    return wait_for(lambda: client.dispatch(0.1) >= 0 and condition(), timeout, what)


class Nodes:
    def __init__(self, configs: list[Path]) -> None:
        self.configs = configs
        self.down: set[int] = set()

    wait_for = staticmethod(wait_for)
    pump = staticmethod(pump)

    def __getitem__(self, number: int) -> str:
        """The config path of node `number` (1-based), for `config=`."""
        return str(self.configs[number - 1])

    def kill(self, number: int) -> None:
        """SIGKILL node `number`'s supervisor and wait for the others' new ring."""
        config = load_config(self.configs[number - 1])
        os.kill(read_pid(config), signal.SIGKILL)
        self.down.add(number)
        wait_for(lambda: read_pid(config) is None, what=f"node{number} gone")
        alive = [c for i, c in enumerate(self.configs, 1) if i not in self.down]
        members = tuple(i for i in range(1, len(self.configs) + 1) if i not in self.down)
        wait_for_ring(alive, members=members, timeout=DEADLINE)

    def restart(self, number: int) -> None:
        """Start node `number` again (empty state) and wait for the ring of every node."""
        start_node(self.configs[number - 1])
        self.down.discard(number)
        if not self.down:
            wait_for_ring(self.configs, timeout=DEADLINE)


@pytest.fixture(scope="session")
def app_cluster():
    directory = Path(tempfile.mkdtemp(prefix="rl-app-services-"))
    try:
        yield cluster_up(directory, 3, "ipc", timeout=DEADLINE)
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def nodes(app_cluster):
    handle = Nodes(app_cluster)
    yield handle
    for number in sorted(handle.down):
        handle.restart(number)
