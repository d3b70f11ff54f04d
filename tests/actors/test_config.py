"""Node configuration: good files load; each mistake is one error naming the file and the key."""

from __future__ import annotations

import pytest

from actors.config import load_config
from actors.errors import UserError

GOOD = """
[cluster]
name = "alpha"
authkey = "authkey"
transport = "tcp"

[node]
name = "n2"
state_dir = "state"

[[nodes]]
id = 1
name = "n1"
host = "127.0.0.1"
port = 7400

[[nodes]]
id = 2
name = "n2"
host = "127.0.0.1"
port = 7500

[processes]
worker = "mod:Worker"
"""


def write(tmp_path, text):
    path = tmp_path / "node.toml"
    path.write_text(text)
    return path


def test_good_config_gives_endpoints_for_every_process_of_every_node(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.node == "n2" and config.me.id == 2
    assert config.authkey == tmp_path / "authkey"
    assert config.endpoint("n1", "supervisor") == "tcp://127.0.0.1:7400"
    assert config.endpoint("n2", "worker") == "tcp://127.0.0.1:7501"
    assert set(config.peers()) == {f"{n}/{p}" for n in ("n1", "n2") for p in config.process_names()}
    assert config.process_names()[:3] == ["supervisor", "worker", "executive"]


def test_ipc_endpoints_live_in_the_run_dir(tmp_path):
    config = load_config(write(tmp_path, GOOD.replace('"tcp"', '"ipc"')))
    assert config.endpoint("n2", "worker") == f"ipc://{tmp_path}/state/run/worker.sock"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('transport = "tcp"', 'transport = "udp"'), "cluster.transport"),
        (('name = "n2"\nstate_dir', 'name = "n9"\nstate_dir'), "node.name"),
        (("id = 2", 'id = "two"'), "nodes[1].id"),
        (("id = 2", "id = 1"), "nodes.id"),
        (("port = 7500", "port = 99999"), "nodes[1].port"),
        (('worker = "mod:Worker"', 'worker = "nocolon"'), "processes.worker"),
        (("[node]", "[node]\nflavour = 1"), "node.flavour"),
        (("[cluster]", "[clusterr]\n[cluster]"), "clusterr"),
        (('authkey = "authkey"\n', ""), "cluster.authkey"),
    ],
)
def test_each_mistake_names_file_and_key(tmp_path, change, key):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(UserError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert key in str(err.value)


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(write(tmp_path, "[cluster\nname="))
    with pytest.raises(UserError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")
