"""Fixtures for fencing tests: a fence dir of misbehaving test agents, an in-process fencer."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest
from support_local_node import SUPPORT, cli

from fencing.agents import AgentLocator
from fencing.fencer import Fencer
from fencing.store import FencingStore

_METADATA = """<?xml version="1.0" ?>
<resource-agent name="{name}" shortdesc="test agent">
<parameters>
  <parameter name="action" required="1"><content type="string" default="reboot"/></parameter>
  <parameter name="port"><content type="string"/></parameter>
  <parameter name="nodename"><content type="string"/></parameter>
</parameters>
<actions><action name="off"/><action name="on"/><action name="reboot"/>
<action name="status"/><action name="monitor"/><action name="metadata"/></actions>
</resource-agent>"""

# What each test agent does per action (shell `case` arms); metadata is added to all.
TEST_AGENTS = {
    "fence_testfail": 'status) exit 0 ;;\n*) echo "fence_testfail: $action refused" >&2; exit 1 ;;',
    "fence_testhang": "status) exit 0 ;;\n*) exec sleep 600 ;;",
    "fence_testliar": "*) exit 0 ;;",  # off says success, status says on
}


def _script(name: str, arms: str) -> str:
    return textwrap.dedent(
        """\
        #!/bin/sh
        action=reboot
        while IFS='=' read -r key value; do
            [ "$key" = action ] && action=$value
        done
        case "$action" in
        metadata) cat <<'XML'
        {metadata}
        XML
            exit 0 ;;
        {arms}
        esac
        """
    ).format(metadata=_METADATA.format(name=name), arms=arms)


@pytest.fixture
def test_fence_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "fence-agents"
    directory.mkdir()
    for name, arms in TEST_AGENTS.items():
        path = directory / name
        path.write_text(_script(name, arms))
        path.chmod(0o755)
    return directory


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
