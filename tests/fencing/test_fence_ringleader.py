"""The built-in agent fences a real local node: its supervisor and every process below it die."""

from __future__ import annotations

import subprocess

import pytest
from support_local_node import alive, cli, descendants, start_node, wait_for, write_config

from actors.config import load_config
from actors.node import read_pid
from fencing.agents import BUILTIN_DIR, AgentLocator
from fencing.device import make_device
from fencing.device_action import run_device_action

pytestmark = pytest.mark.cluster
AGENT = BUILTIN_DIR / "fence_ringleader"


def agent(action: str, **params: str) -> subprocess.CompletedProcess:
    stdin = "".join(f"{k}={v}\n" for k, v in {"action": action, **params}.items())
    return subprocess.run([str(AGENT)], input=stdin, capture_output=True, text=True, timeout=60)


def test_agent_meta_data_status_list_without_a_node(tmp_path):
    meta = AgentLocator().metadata("fence_ringleader")
    assert {"state_root", "port", "plug", "nodename"} <= {p.name for p in meta.parameters}
    assert {"off", "reboot", "status", "list", "monitor"} <= {a.name for a in meta.actions}
    (tmp_path / "node1" / "run").mkdir(parents=True)
    assert agent("status", port="node1", state_root=str(tmp_path)).returncode == 2
    assert agent("off", port="node1", state_root=str(tmp_path)).returncode == 0  # already off
    listed = agent("list", state_root=str(tmp_path))
    assert listed.returncode == 0 and listed.stdout == "node1,node1\n"
    assert agent("monitor", state_root=str(tmp_path / "nope")).returncode == 1
    missing = agent("status", port="node1")
    assert missing.returncode == 1 and "state_root is not set" in missing.stderr
    assert agent("on", port="node1", state_root=str(tmp_path)).returncode == 1


def test_agent_never_signals_a_pid_that_is_not_a_node_supervisor(tmp_path):
    run = tmp_path / "node1" / "run"
    run.mkdir(parents=True)
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        (run / "supervisor.pid").write_text(f"{bystander.pid}\n")
        assert agent("status", port="node1", state_root=str(tmp_path)).returncode == 2
        assert agent("off", port="node1", state_root=str(tmp_path)).returncode == 0
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_fence_node_kills_a_real_node_supervisor_and_its_children(cluster_dir, node_env):
    victim_config = write_config(cluster_dir, "node1")
    fencer_config = write_config(cluster_dir, "node2")
    root = cluster_dir / "state"
    proc = start_node(victim_config, node_env)
    try:
        victim = load_config(victim_config)
        tree = descendants(proc.pid) | {proc.pid}
        assert read_pid(victim) == proc.pid and len(tree) >= 2
        device = make_device("local", "fence_ringleader", {"state_root": str(root)})
        assert run_device_action(device, "status", "node1", AgentLocator().run).power == "on"

        reg = cli(
            "fence", "register", "local", "--agent", "fence_ringleader",
            "-o", f"state_root={root}", "--config", str(fencer_config),
        )  # fmt: skip
        assert reg.returncode == 0, reg.stderr
        assert "dynamic-list" in reg.stdout  # no host list: the agent's list says who
        listed = cli("fence", "list", "--target", "node1", "--config", str(fencer_config))
        assert listed.returncode == 0 and listed.stdout.startswith("local:"), listed

        fenced = cli("fence", "node", "node1", "--off", "--config", str(fencer_config))
        assert fenced.returncode == 0, fenced.stdout + fenced.stderr
        assert "node1: off success by node2 with local" in fenced.stdout
        assert proc.wait(timeout=60) == -9
        wait_for(lambda: not any(alive(p) for p in tree), what="every process of node1 gone")
        assert run_device_action(device, "status", "node1", AgentLocator().run).power == "off"

        history = cli("fence", "history", "node1", "--config", str(fencer_config))
        assert "node1: off success by node2 with local" in history.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_node_itself_is_not_its_own_executor(cluster_dir, node_env):
    config = write_config(cluster_dir, "node1")
    root = cluster_dir / "state"
    (root / "node1" / "run").mkdir(parents=True)
    reg = cli(
        "fence", "register", "local", "--agent", "fence_ringleader", "--host-list", "node1",
        "-o", f"state_root={root}", "--config", str(config),
    )  # fmt: skip
    assert reg.returncode == 0, reg.stderr
    refused = cli("fence", "node", "node1", "--config", str(config))
    assert refused.returncode == 1
    assert "does not allow self-fencing" in refused.stdout
