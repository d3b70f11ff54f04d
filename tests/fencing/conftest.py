"""Fixtures for fencing tests: a fence dir of misbehaving test agents, an in-process fencer."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from support_agents import write_test_agents
from support_local_node import SUPPORT, cli

from fencing.agents import AgentLocator
from fencing.fencer import Fencer
from fencing.store import FencingStore


@pytest.fixture
def test_fence_dir(tmp_path: Path) -> Path:
    return write_test_agents(tmp_path / "fence-agents")


@pytest.fixture
def start_fencer(tmp_path: Path, test_fence_dir: Path):
    """`start_fencer(node="node1")` -> a Fencer ref on tmp_path's state dir; all stopped after."""
    refs = []

    def start(node: str = "node1", state_dir: Path | None = None):
        locator = AgentLocator((Path("/usr/sbin"), test_fence_dir))
        ref = Fencer.start(node, FencingStore(state_dir or tmp_path / "state"), locator)
        refs.append(ref)
        return ref

    yield start
    for ref in refs:
        ref.stop()


@pytest.fixture
def cluster_dir():
    """Reachable by the node's unprivileged processes (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="rl-fence-"))
    path.chmod(0o755)
    assert cli("keygen", "--out", str(path / "authkey")).returncode == 0
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def node_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), env.get("PYTHONPATH")]))
    return env
