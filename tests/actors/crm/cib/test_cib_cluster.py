"""The CIB service on a real 3-node cluster (ipc): changes reach every node with one version, a
killed crm process comes back with the configuration, a node that was down catches up, a bad
file is refused whole, the commands work end to end, and everything survives a full restart."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

import pytest

from actors.cli import main
from actors.commands.cluster import cluster_down, cluster_up, start_node, wait_for_ring
from actors.config import load_config
from actors.crm.cib.client import apply, get_config
from actors.crm.cib.edit import CreatePrimitive, ReplaceConfiguration
from actors.crm.cib.messages import CRM_PROCESS, ApplyChange
from actors.crm.cib.parse import CibError
from actors.errors import UserError
from actors.node import node_status, stop_node
from actors.node_client import node_actor
from actors.runtime.errors import ActorUnreachable

pytestmark = pytest.mark.cluster

DEADLINE = 90.0


def wait_for(predicate, what: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (UserError, OSError, ActorUnreachable) as exc:  # not up yet, or busy
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def status_of(config, process: str):
    """The supervisor's view of one of its processes (asked again while it is busy)."""
    found = []
    wait_for(lambda: found.append(node_status(config, timeout=10)[process]) or True, "status")
    return found[-1]


@pytest.fixture(scope="module")
def cluster():
    directory = Path(tempfile.mkdtemp(prefix="rl-cib-test-"))
    try:
        paths = cluster_up(directory, 3, "ipc", timeout=DEADLINE)
        yield directory, paths, [load_config(p) for p in paths]
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


def same_everywhere(configs, version) -> bool:
    seen = [get_config(c, timeout=5) for c in configs]
    return all(s.version == version for s in seen) and len({s.xml for s in seen}) == 1


def test_a_change_on_node1_is_on_node3_with_the_same_version(cluster):
    _, _, configs = cluster
    result = apply(configs[0], CreatePrimitive("first", "ocf:pacemaker:Dummy"), timeout=DEADLINE)
    assert result.version[1] >= 1
    wait_for(lambda: same_everywhere(configs, result.version), "the change on every node")
    assert 'primitive id="first"' in get_config(configs[2]).xml
    state = configs[1].state_dir / "cib.xml"
    info = state.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE((configs[1].state_dir / "cib.xml.sha256").stat().st_mode) == 0o600
    if os.geteuid() == 0:  # written by the crm process, as the node's unprivileged user
        assert pwd.getpwuid(info.st_uid).pw_name != "root"


def test_a_killed_crm_process_comes_back_with_the_configuration(cluster):
    _, _, configs = cluster
    version = get_config(configs[0]).version
    wait_for(lambda: same_everywhere(configs, version), "agreement before the kill")
    before = status_of(configs[1], CRM_PROCESS)
    os.kill(before.pid, signal.SIGKILL)

    def restarted() -> bool:
        now = node_status(configs[1])[CRM_PROCESS]
        return now.alive and now.pid not in (None, before.pid)

    wait_for(restarted, "the supervisor to restart node2's crm process")
    wait_for(lambda: get_config(configs[1], timeout=5).version == version, "node2's cib back")
    result = apply(configs[1], CreatePrimitive("after-kill", "ocf:pacemaker:Dummy"), DEADLINE)
    wait_for(lambda: same_everywhere(configs, result.version), "node2's change everywhere")


def test_after_its_executive_is_killed_a_node_rejoins_and_catches_up(cluster):
    _, paths, configs = cluster
    apply(configs[1], CreatePrimitive("before-exec", "ocf:pacemaker:Dummy"), DEADLINE)  # joined
    old_executive = status_of(configs[1], "executive").pid
    old_crm = status_of(configs[1], CRM_PROCESS).pid
    os.kill(old_executive, signal.SIGKILL)
    wait_for(
        lambda: node_status(configs[1])[CRM_PROCESS].pid not in (None, old_crm),
        "node2's crm process to notice and be restarted",
    )
    wait_for_ring(paths, timeout=DEADLINE)
    result = apply(configs[0], CreatePrimitive("after-exec", "ocf:pacemaker:Dummy"), DEADLINE)
    wait_for(lambda: same_everywhere(configs, result.version), "node2 back in the group")


def test_a_node_that_was_down_gets_the_change_when_it_comes_back(cluster):
    _, paths, configs = cluster
    assert stop_node(configs[2])
    wait_for_ring(paths[:2], members=(1, 2), timeout=DEADLINE)
    result = apply(configs[0], CreatePrimitive("while-away", "ocf:pacemaker:Dummy"), DEADLINE)
    start_node(paths[2])
    wait_for_ring(paths, timeout=DEADLINE)
    wait_for(lambda: same_everywhere(configs, result.version), "node3 to catch up")
    assert 'primitive id="while-away"' in get_config(configs[2]).xml


def test_a_malformed_configuration_is_refused_whole_and_nothing_changes(cluster, capsys):
    directory, paths, configs = cluster
    before = get_config(configs[0])
    bad = directory / "bad.xml"
    bad.write_text(before.xml.replace('provider="pacemaker" type="Dummy"', 'provider="x"', 1))
    assert main(["config", "load", str(bad), "--config", str(paths[0])]) == 2
    err = capsys.readouterr().err.strip()
    where = "/cib/configuration/resources/primitive[@id='first']"
    assert err == f"ringleader: error: {bad}: {where}: 'class' and 'type' are required"
    assert len(err.splitlines()) == 1
    with node_actor(configs[1], CRM_PROCESS, "cib") as cib:  # past the command's own check
        with pytest.raises(CibError, match=r"x.xml: /cib/configuration/resources/primitive"):
            cib.ask(ApplyChange(ReplaceConfiguration(bad.read_text(), "x.xml")), timeout=30).get()
    assert all(get_config(c).xml == before.xml for c in configs)


def run(capsys, *argv: str, config: Path) -> str:
    rc = main([*argv, "--config", str(config)])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def test_the_commands_end_to_end(cluster, capsys, tmp_path):
    _, paths, configs = cluster
    n1, n2 = paths[0], paths[1]
    out = run(capsys, "resource", "create", "web", "ocf:pacemaker:Dummy", "fake=1",
              "--op", "monitor", "interval=10s", "--group", "g", config=n1)  # fmt: skip
    assert "created resource web (ocf:pacemaker:Dummy) in group g" in out
    run(capsys, "resource", "create", "ip", "ocf:pacemaker:Dummy", "--clone", config=n2)
    run(capsys, "constraint", "colocation", "add", "g", "ip-clone", config=n2)
    run(capsys, "constraint", "order", "add", "ip-clone", "g", config=n1)
    out = run(capsys, "resource", "move", "g", "node2", "--lifetime", "PT1H", config=n1)
    assert "created cli-prefer-g: g on node2 score INFINITY until " in out
    out = run(capsys, "resource", "ban", "g", "node3", config=n1)
    assert "created cli-ban-g-on-node3: g on node3 score -INFINITY" in out
    out = run(capsys, "constraint", "list", config=n2)
    assert "colocation-g-ip-clone-INFINITY" in out and "order-ip-clone-g-mandatory" in out
    out = run(capsys, "resource", "clear", "g", config=n2)
    assert out.count("removed cli-") == 2
    assert "cli-" not in run(capsys, "constraint", "list", config=n1)
    run(capsys, "resource", "disable", "web", config=n1)
    run(capsys, "property", "set", "stonith-enabled=false", config=n1)
    assert "stonith-enabled: false" in run(capsys, "property", "list", config=n2)
    run(capsys, "node", "standby", "node3", config=n1)
    show = run(capsys, "config", "show", config=paths[2])
    assert "node3 (id 3) (standby)" in show and "target-role=Stopped" in show
    out_file = tmp_path / "cib.xml"
    run(capsys, "config", "export", "--out", str(out_file), config=n2)
    exported = out_file.read_text()
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    run(capsys, "resource", "delete", "web", config=n1)
    assert 'id="web"' not in run(capsys, "config", "export", config=n1)
    out = run(capsys, "config", "load", str(out_file), config=n2)  # back as it was exported
    assert "configuration replaced" in out
    version = get_config(configs[0]).version
    wait_for(lambda: same_everywhere(configs, version), "the loaded file everywhere")
    assert 'id="web"' in get_config(configs[2]).xml and 'id="web"' in exported


def test_the_configuration_survives_a_full_cluster_restart(cluster):
    directory, paths, configs = cluster
    before = get_config(configs[0])
    wait_for(lambda: same_everywhere(configs, before.version), "agreement before the restart")
    cluster_down(directory)
    for path in paths:
        start_node(path)
    wait_for_ring(paths, timeout=DEADLINE)
    wait_for(lambda: same_everywhere(configs, before.version), "every node back at the version")
    assert get_config(configs[1]).xml == before.xml
