"""The OCF environment and the fence-agent stdin."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.agents.environment import fence_stdin, ocf_env
from actors.agents.runner import SAFE_PATH, clean_env
from actors.agents.spec import AgentSpec


def test_ocf_env_has_every_ocf_variable():
    env = ocf_env(
        AgentSpec.parse("ocf:heartbeat:Dummy"),
        Path("/usr/lib/ocf"),
        "web",
        {"state": "/tmp/s", "fake": "x y"},
        {"migration-threshold": "3", "notify": "true"},
        interval_ms=10000,
        timeout_ms=30000,
    )
    assert env["OCF_ROOT"] == "/usr/lib/ocf"
    assert (env["OCF_RA_VERSION_MAJOR"], env["OCF_RA_VERSION_MINOR"]) == ("1", "1")
    assert env["OCF_RESOURCE_INSTANCE"] == "web"
    assert (env["OCF_RESOURCE_TYPE"], env["OCF_RESOURCE_PROVIDER"]) == ("Dummy", "heartbeat")
    assert env["OCF_RESKEY_state"] == "/tmp/s" and env["OCF_RESKEY_fake"] == "x y"
    assert env["OCF_RESKEY_CRM_meta_migration_threshold"] == "3"
    assert env["OCF_RESKEY_CRM_meta_notify"] == "true"
    assert env["OCF_RESKEY_CRM_meta_interval"] == "10000"
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "30000"


def test_clean_env_fixes_path_and_refuses_bad_names():
    assert clean_env({"PATH": "/evil", "OCF_ROOT": "/x"}) == {"PATH": SAFE_PATH, "OCF_ROOT": "/x"}
    for bad in ({"A=B": "1"}, {"": "1"}, {"A": "nul\0"}):
        with pytest.raises(ValueError):
            clean_env(bad)


def test_fence_stdin_lines():
    text = fence_stdin("reboot", {"port": "node1", "ip": "10.0.0.1", "action": "off"})
    assert text == b"action=reboot\nport=node1\nip=10.0.0.1\n"
    with pytest.raises(ValueError):
        fence_stdin("off", {"port": "a\nip=evil"})
