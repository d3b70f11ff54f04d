"""The executive's pieces that need no processes: settings from the node config (the optional
[totem] and [quorum] tables), delivery routing, and client liveness by pid."""

from __future__ import annotations

import pytest

from actors.ais.cpg.messages import CpgMember, GroupMcast
from actors.ais.evs import RingId
from actors.ais.executive.process import settings_from
from actors.ais.executive.services import DeliveryRouter, ExecutiveSettings, build_services
from actors.ais.sync.engine import SyncState
from actors.config import load_config
from actors.errors import UserError

CONFIG = """
[cluster]
name = "c"
authkey = "authkey"
transport = "ipc"

[node]
name = "n2"
state_dir = "state"

[[nodes]]
id = 1
name = "n1"

[[nodes]]
id = 2
name = "n2"
"""


def write(tmp_path, extra: str = ""):
    path = tmp_path / "node.toml"
    path.write_text(CONFIG + extra)
    return path


def test_settings_come_from_the_node_config(tmp_path):
    cfg = load_config(write(tmp_path, "\n[totem]\ntoken = 1\n\n[quorum]\ntwo_node = true\n"))
    settings = settings_from(cfg)
    assert settings.node_id == 2 and settings.names == {1: "n1", 2: "n2"}
    assert settings.totem.token == 1.0 and settings.quorum.two_node
    assert settings.state_dir == str(cfg.run_dir)
    assert cfg.endpoint("n1", "executive").endswith("/n1/run/executive.sock")


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[totem]\ntoken = 'x'\n", "totem.token"),
        ("[totem]\nspeed = 1\n", "totem.speed"),
        ("[totem]\ntoken = 0.05\n", "[totem]"),
        ("[quorum]\nexpected_votes = true\n", "quorum.expected_votes"),
        ("[quorum]\nexpected_votes = 0\n", "[quorum]"),
        ("[processes]\nexecutive = 'a:B'\n", "processes.executive"),
    ],
)
def test_bad_tables_name_file_and_key(tmp_path, extra, key):
    with pytest.raises(UserError) as info:
        load_config(write(tmp_path, "\n" + extra))
    assert str(info.value).startswith(f"{tmp_path / 'node.toml'}: {key}")


def test_deliveries_go_to_their_own_service():
    services = build_services(ExecutiveSettings(1, "n1", "", {1: "n1"}, "/tmp"), 0.0)
    router = DeliveryRouter(services)
    cpg = router.cores_for(GroupMcast("g", CpgMember(1, 1), b""))
    assert cpg == (services["cpg"],)
    sync = router.cores_for(SyncState("quorum", RingId(4, 1), 1, None))
    assert sync == (services["quorum"],)
    assert len(router.cores_for(object())) == len(services)  # unknown: everyone may look
