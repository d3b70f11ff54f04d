"""Pacemaker's tools as agents call them, served by the node's attribute manager."""

from __future__ import annotations

import os
import subprocess

import pytest

from actors.agents import pacemaker_tools as tools


class FakeAttributes(tools.Attributes):
    """The attribute manager of node1, in memory (the real one is in the cluster tests)."""

    store: dict[str, dict[str, str]] = {}

    def __init__(self, config_path: str | None) -> None:
        self.config = type("Config", (), {"node": "node1"})()

    def set(self, node: str, name: str, value: str | None) -> None:
        if value is None:
            self.store.get(node, {}).pop(name, None)
        else:
            self.store.setdefault(node, {})[name] = value

    def table(self) -> dict[str, dict[str, str]]:
        return self.store


@pytest.fixture
def store(monkeypatch):
    monkeypatch.setattr(tools, "Attributes", FakeAttributes)
    monkeypatch.setattr(FakeAttributes, "store", {})
    monkeypatch.setenv("OCF_RESOURCE_INSTANCE", "st")
    monkeypatch.delenv("OCF_RESKEY_CRM_meta_on_node", raising=False)
    return FakeAttributes.store


def test_a_promotion_score_is_the_instances_master_attribute(store, capsys):
    assert tools.main(["crm_attribute", "--promotion", "-v", "10"]) == 0
    assert store == {"node1": {"master-st": "10"}}
    assert tools.main(["crm_attribute", "-p", "-G", "-q"]) == 0
    assert capsys.readouterr().out == "10\n"
    assert tools.main(["crm_master", "-l", "reboot", "-v", "5", "-N", "node2"]) == 0
    assert store["node2"] == {"master-st": "5"}
    assert tools.main(["crm_attribute", "--promotion", "-D"]) == 0
    assert tools.main(["crm_attribute", "--promotion", "-G"]) == tools.NOSUCH


def test_the_node_is_the_operations_node_unless_given(store, monkeypatch):
    monkeypatch.setenv("OCF_RESKEY_CRM_meta_on_node", "node3")
    assert tools.main(["attrd_updater", "-n", "pingd", "-U", "100"]) == 0
    assert tools.main(["attrd_updater", "-n", "pingd", "-U", "7", "-N", "node2"]) == 0
    assert store == {"node3": {"pingd": "100"}, "node2": {"pingd": "7"}}


def test_attrd_updater_queries_as_pacemaker_prints_them(store, capsys):
    store.update({"node1": {"pingd": "1"}, "node2": {"pingd": "2"}})
    assert tools.main(["attrd_updater", "-n", "pingd", "-Q", "-A"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        'name="pingd" host="node1" value="1"',
        'name="pingd" host="node2" value="2"',
    ]
    assert tools.main(["attrd_updater", "-n", "nope", "-Q"]) == tools.NOSUCH


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["crm_attribute", "-n", "x", "-v", "1", "-l", "forever"], "--lifetime forever"),
        (["crm_attribute", "-t", "crm_config", "-n", "x", "-G"], "--type crm_config"),
        (["crm_attribute", "-v", "1"], "--name is required"),
    ],
)
def test_what_is_not_supported_says_so_and_fails(store, capsys, argv, says):
    assert tools.main(argv) == 1
    assert says in capsys.readouterr().err
    assert store == {}


def test_the_scripts_agents_find_in_ha_sbin_dir_run_this_module():
    env = {"PATH": os.environ["PATH"], **tools.tools_env("/nonexistent/node1.toml")}
    for name in tools.TOOLS:
        script = tools.TOOLS_DIR / name
        assert os.access(script, os.X_OK), script
    done = subprocess.run(
        [str(tools.TOOLS_DIR / "crm_attribute"), "--promotion", "-G"],
        env={**env, "OCF_RESOURCE_INSTANCE": "st"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "/nonexistent/node1.toml" in done.stderr
