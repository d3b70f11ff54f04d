"""The node configuration's [agents] table, and the privileged child's ipc-only endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.agents.spec import AgentDirs
from actors.config import BUILTIN_PROCESSES, load_config
from actors.errors import UserError

BASE = """
[cluster]
name = "c"
authkey = "authkey"
transport = "tcp"

[node]
name = "n1"
state_dir = "state"

[[nodes]]
id = 1
name = "n1"
port = 7400

[[nodes]]
id = 2
name = "n2"
port = 7500
"""


def load(tmp_path: Path, extra: str = ""):
    path = tmp_path / "node.toml"
    path.write_text(BASE + extra)
    return load_config(path)


def test_agent_dirs_default_to_the_debian_locations(tmp_path):
    config = load(tmp_path)
    assert config.agent_dirs() == AgentDirs()
    assert config.fence_dirs() == (Path("/usr/sbin"),)


def test_agent_dirs_come_from_the_agents_table_relative_to_the_file(tmp_path):
    config = load(
        tmp_path,
        '[agents]\nocf_root = "test-ocf"\nlsb_dir = "/srv/init.d"\n'
        'fence_dirs = ["fence", "/usr/sbin"]\n',
    )
    dirs = config.agent_dirs()
    assert dirs.ocf_root == tmp_path / "test-ocf"
    assert dirs.lsb_dir == Path("/srv/init.d")
    assert dirs.fence_dir == tmp_path / "fence"
    assert config.fence_dirs() == (tmp_path / "fence", Path("/usr/sbin"))


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("ocf_root = 3", "agents.ocf_root"),
        ('lsb_dir = ""', "agents.lsb_dir"),
        ('fence_dirs = "/usr/sbin"', "agents.fence_dirs"),
        ("fence_dirs = []", "agents.fence_dirs"),
        ('fence_dirs = ["/usr/sbin", 4]', "agents.fence_dirs"),
        ('ocf = "/usr/lib/ocf"', "agents.ocf"),
    ],
)
def test_a_bad_agents_table_names_the_key(tmp_path, table, key):
    with pytest.raises(UserError) as caught:
        load(tmp_path, f"[agents]\n{table}\n")
    assert f"node.toml: {key}:" in str(caught.value)


def test_the_privileged_child_listens_on_ipc_in_the_run_dir_even_over_tcp(tmp_path):
    config = load(tmp_path)
    names = [p.name for p in BUILTIN_PROCESSES]
    assert names[:3] == ["executive", "privileged", "lrm"]
    assert [p.name for p in BUILTIN_PROCESSES if p.privileged] == ["privileged"]
    assert config.endpoint("n1", "privileged") == f"ipc://{tmp_path}/state/run/privileged.sock"
    assert config.endpoint("n1", "lrm").startswith("tcp://127.0.0.1:")
