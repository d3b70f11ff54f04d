"""Fixtures for agent tests: a temporary agent tree holding the test agents of `scripts/`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from actors.agents.spec import AgentDirs

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def agent_dirs(tmp_path: Path) -> AgentDirs:
    """OCF root with the test agents as ocf:test:*, an LSB dir with lsb:lsbdemo, and a fence dir
    with stonith:fence_envdump (the envdump script, to see what a fence agent is given)."""
    provider = tmp_path / "ocf" / "resource.d" / "test"
    provider.mkdir(parents=True)
    for script in SCRIPTS.iterdir():
        shutil.copy2(script, provider / script.name)
    lsb = tmp_path / "init.d"
    lsb.mkdir()
    shutil.copy2(SCRIPTS / "lsbdemo", lsb / "lsbdemo")
    fence = tmp_path / "sbin"
    fence.mkdir()
    shutil.copy2(SCRIPTS / "envdump", fence / "fence_envdump")
    return AgentDirs(ocf_root=tmp_path / "ocf", lsb_dir=lsb, fence_dir=fence)
