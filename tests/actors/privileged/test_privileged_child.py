"""The privileged child of a real node: the only root process, agents run as root through it,
everyone but the LRM and fencer refused, and a child killed mid-operation fails that operation
(NOT_CONNECTED), comes back, kills the agent its predecessor left running, and serves again."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from support_agents_node import debian_agents_installed, wait_for

from actors.agents.execute import RunAgent
from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec
from actors.crm.lrm.messages import OpRequest
from actors.node import node_status
from actors.privileged import agents_address
from actors.runtime.host import ProcessHost
from actors.runtime.procfs import pid_alive
from actors.runtime.ref import resolve
from transport.authkey import ClusterKeys

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not debian_agents_installed(), reason="resource-agents not installed"),
]


def uids(pid: int) -> tuple[int, int] | None:
    """(real, effective) uid of a process; None when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    real, effective = next(line for line in lines if line.startswith("Uid:")).split()[1:3]
    return int(real), int(effective)


def children_uids(config) -> dict[str, tuple[int, int]] | None:
    """Every child's uids, once all of them run (a colleague's process may be restarting)."""
    children = node_status(config, timeout=30.0)
    found = {name: uids(status.pid) for name, status in children.items() if status.alive}
    if len(found) != len(children) or None in found.values():
        return None
    return found


def whoami(out: Path) -> OpRequest:
    return OpRequest("whoami", AgentSpec.parse("ocf:test:whoami"), "start", {"out": str(out)})


@pytest.mark.root
def test_only_the_privileged_child_keeps_root(node):
    found = wait_for(lambda: children_uids(node), what="every child running")
    assert {"executive", "privileged", "lrm"} <= set(found)
    assert found.pop("privileged") == (0, 0)
    for name, (real, effective) in found.items():
        assert real != 0 and effective != 0, f"{name} runs as root"


@pytest.mark.root
def test_an_agent_run_through_the_lrm_runs_as_root(client, work):
    out = work / "uid"
    record = client.run_once(whoami(out))
    assert (record.rc, record.status) == (OcfResult.OCF_SUCCESS, ExecStatus.DONE)
    assert out.read_text().split() == ["0", "0"]


@pytest.mark.parametrize(
    ("node_name", "process"), [("node1", "executive"), ("node1", "cli"), ("node2", "lrm")]
)
def test_requests_from_anyone_but_the_lrm_and_fencer_are_refused(node, work, node_name, process):
    out = work / "uid"
    req = RunAgent(1, AgentSpec.parse("ocf:test:whoami"), "start", "x", {"out": str(out)})
    with ProcessHost(
        node=node_name,
        process=process,
        endpoint=f"inproc://forger-{os.getpid()}-{process}",
        keys=ClusterKeys.from_file(node.authkey),  # a holder of the key, claiming a name
        peers=node.peers(),
        make_current=False,
    ) as host:
        ran = resolve(agents_address(node.node), host=host).ask(req, timeout=30).get()
    assert (ran.result.rc, ran.result.status) == (OcfResult.OCF_ERR_PERM, ExecStatus.ERROR)
    assert ran.result.exit_reason.startswith(f"refused: sender {node_name}/{process}/")
    assert not out.exists()
    log = (node.state_dir / "log" / "supervisor.log").read_text()
    assert f"sender {node_name}/{process}/" in log


def test_a_child_killed_mid_operation_fails_it_comes_back_and_serves_again(node, client, work):
    before = node_status(node, timeout=30.0)["privileged"]
    pidfile = work / "sleeper.pid"
    spec = AgentSpec.parse("ocf:test:sleeper")
    params = {"pidfile": str(pidfile), "seconds": "300"}
    client.request(OpRequest("sleepy", spec, "start", params, timeout_ms=600000))
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the agent to run")
    agent_pid = int(pidfile.read_text())
    try:
        os.kill(before.pid, signal.SIGKILL)
        record = wait_for(lambda: client.reports("sleepy"), what="the op's failure")[0]
        assert record.status is ExecStatus.NOT_CONNECTED
        assert record.rc is OcfResult.OCF_ERR_GENERIC
    finally:
        try:
            os.kill(agent_pid, signal.SIGKILL)  # orphaned by the SIGKILLed child
        except ProcessLookupError:
            pass

    def restarted():
        status = node_status(node, timeout=30.0)["privileged"]
        return status.alive and status.pid != before.pid and status

    after = wait_for(restarted, what="the restarted child")
    assert after.restarts >= 1
    wait_for(lambda: not pid_alive(agent_pid), what="the orphaned agent killed by the new child")
    out = work / "uid"
    record = client.run(whoami(out))
    assert (record.rc, record.status) == (OcfResult.OCF_SUCCESS, ExecStatus.DONE)
    assert out.exists()
