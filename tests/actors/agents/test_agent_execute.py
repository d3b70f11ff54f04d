"""Agent operations end to end through `execute`: test agents and the real Debian agents."""

from __future__ import annotations

import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from agent_procs import alive, kill_quietly, wait_until

from actors.agents.execute import ExecLimits, RunAgent, execute, fetch_metadata, metadata_cache
from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentDirs, AgentSpec

pytestmark = pytest.mark.cluster

INSTALLED = AgentDirs()
needs_agents = pytest.mark.skipif(
    not (INSTALLED.ocf_root / "resource.d" / "pacemaker" / "Stateful").exists(),
    reason="resource-agents / pacemaker-resource-agents not installed",
)


def op(spec: str, action: str, **kw) -> RunAgent:
    return RunAgent(call_id=1, spec=AgentSpec.parse(spec), action=action, **kw)


def test_hanging_agent_is_killed_at_its_timeout_with_its_children(agent_dirs, tmp_path):
    for ignore_term in ("0", "1"):
        pidfile = tmp_path / f"hang{ignore_term}.pids"
        params = {"pidfile": str(pidfile), "ignore_term": ignore_term}
        req = op("ocf:test:hang", "start", resource="h", params=params, timeout_ms=500)
        result = execute(req, agent_dirs, ExecLimits(kill_grace=0.5))
        assert (result.rc, result.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.TIMEOUT)
        assert "timed out after 500ms" in result.exit_reason
        pids = [int(p) for p in pidfile.read_text().split()]
        assert len(pids) == 2
        for pid in pids:
            assert wait_until(lambda pid=pid: not alive(pid)), f"pid {pid} outlived the timeout"


def test_agent_that_forks_and_exits_returns_at_once_and_its_daemons_live(agent_dirs, tmp_path):
    pidfile = tmp_path / "forker.pids"
    req = op("ocf:test:forker", "start", params={"pidfile": str(pidfile)}, timeout_ms=60000)
    result = execute(req, agent_dirs)
    pids = [int(p) for p in pidfile.read_text().split()]
    try:
        assert result.ok and result.stdout == b"started\n"
        assert result.exec_ms < 30000  # not held by the child that keeps stdout open
        assert len(pids) == 2 and all(alive(p) for p in pids)
    finally:
        for pid in pids:
            kill_quietly(pid)


def test_agent_printing_megabytes_is_bounded(agent_dirs):
    limits = ExecLimits(output_limit=64 * 1024)
    result = execute(op("ocf:test:megabytes", "monitor"), agent_dirs, limits)
    assert result.ok
    assert result.stdout == b"o" * 65536 and result.stdout_dropped == 5000000 - 65536
    assert result.stderr == b"e" * 65536 and result.stderr_dropped == 1000000 - 65536


def test_bad_return_code_is_a_generic_error_with_its_exit_reason(agent_dirs):
    result = execute(op("ocf:test:badrc", "start"), agent_dirs)
    assert (result.rc, result.status) == (OcfResult.OCF_ERR_GENERIC, ExecStatus.DONE)
    assert result.exit_code == 42 and result.exit_reason == "configured badly on purpose"


def test_missing_agent_is_err_installed_not_a_crash(agent_dirs):
    result = execute(op("ocf:test:nothere", "start"), agent_dirs)
    assert (result.rc, result.status) == (OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED)
    assert "ocf:test:nothere" in result.exit_reason
    bad = execute(op("ocf:test:badrc", "start; rm -rf /"), agent_dirs)
    assert bad.status is ExecStatus.INVALID


def test_ocf_agent_gets_the_ocf_environment_and_nothing_else(agent_dirs):
    req = op(
        "ocf:test:envdump",
        "monitor",
        resource="r9",
        params={"ip": "10.0.0.1"},
        meta={"clone-max": "2"},
        interval_ms=10000,
        timeout_ms=7000,
    )
    result = execute(req, agent_dirs)
    env = dict(
        line.split("=", 1) for line in result.stdout.decode().split("--stdin--")[0].splitlines()
    )
    assert env["OCF_ROOT"] == str(agent_dirs.ocf_root)
    assert env["OCF_RESOURCE_INSTANCE"] == "r9" and env["OCF_RESOURCE_PROVIDER"] == "test"
    assert env["OCF_RESKEY_ip"] == "10.0.0.1" and env["OCF_RESKEY_CRM_meta_clone_max"] == "2"
    assert env["OCF_RESKEY_CRM_meta_interval"] == "10000"
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "7000"
    ours = {k for k in env if not k.startswith("OCF_")} - {"PATH", "PWD", "SHLVL", "_"}
    assert ours == set(), f"leaked into the agent: {ours}"


def test_fence_agent_reads_its_parameters_on_stdin(agent_dirs):
    req = op("stonith:fence_envdump", "monitor", params={"port": "node1", "ip": "10.0.0.9"})
    result = execute(req, agent_dirs)
    stdin = result.stdout.decode().split("--stdin--\n")[1]
    assert stdin == "action=monitor\nport=node1\nip=10.0.0.9\n"
    meta = execute(op("stonith:fence_envdump", "meta-data"), agent_dirs)
    assert "action=metadata\n" in meta.stdout.decode()


def test_lsb_script_life_cycle(agent_dirs):
    def run(action):
        return execute(op("lsb:lsbdemo", action), agent_dirs).rc

    assert run("monitor") is OcfResult.OCF_NOT_RUNNING  # status exit 3
    assert run("start") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_SUCCESS
    assert run("stop") is OcfResult.OCF_SUCCESS
    assert run("status") is OcfResult.OCF_NOT_RUNNING


@needs_agents
@pytest.mark.parametrize("spec", ["ocf:heartbeat:Dummy", "ocf:pacemaker:Dummy"])
def test_dummy_full_life_cycle(spec, tmp_path):
    params = {"state": str(tmp_path / "dummy.state")}

    def run(action, **kw):
        result = execute(op(spec, action, resource="d1", params=params, **kw), INSTALLED)
        assert result.status is ExecStatus.DONE, result.describe()
        return result.rc

    assert run("validate-all") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_NOT_RUNNING  # probe
    assert run("start") is OcfResult.OCF_SUCCESS
    assert Path(params["state"]).exists()
    assert run("monitor", interval_ms=10000) is OcfResult.OCF_SUCCESS
    assert run("start") is OcfResult.OCF_SUCCESS  # start is idempotent
    assert run("reload") is OcfResult.OCF_SUCCESS
    assert run("migrate_to", meta={"migrate_target": "n2"}) is OcfResult.OCF_SUCCESS
    assert run("migrate_from", meta={"migrate_source": "n1"}) is OcfResult.OCF_SUCCESS
    assert run("stop") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_NOT_RUNNING
    assert run("stop") is OcfResult.OCF_SUCCESS  # stop of a stopped resource succeeds
    meta = metadata_cache(INSTALLED).get(AgentSpec.parse(spec))
    assert meta.parameter("state") is not None and meta.action("start").timeout_ms > 0


@needs_agents
def test_stateful_promote_demote(tmp_path):
    params = {"state": str(tmp_path / "stateful.state")}

    def run(action):
        req = op("ocf:pacemaker:Stateful", action, resource="s1", params=params)
        return execute(req, INSTALLED).rc

    assert run("monitor") is OcfResult.OCF_NOT_RUNNING
    assert run("start") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_SUCCESS  # unpromoted
    assert run("promote") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_RUNNING_PROMOTED
    assert run("notify") is OcfResult.OCF_SUCCESS
    assert run("demote") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_SUCCESS
    assert run("stop") is OcfResult.OCF_SUCCESS
    assert run("monitor") is OcfResult.OCF_NOT_RUNNING


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_agents
def test_anything_runs_a_real_http_server(tmp_path):
    port = _free_port()
    (tmp_path / "hello.txt").write_text("hello from ringleader\n")
    params = {
        "binfile": "/usr/bin/python3",
        "cmdline_options": f"-m http.server {port} --bind 127.0.0.1 --directory {tmp_path}",
        "pidfile": str(tmp_path / "http.pid"),
        "logfile": str(tmp_path / "http.log"),
        "errlogfile": str(tmp_path / "http.err"),
    }

    def run(action):
        req = op("ocf:heartbeat:anything", action, resource="web", params=params, timeout_ms=30000)
        return execute(req, INSTALLED)

    def fetch() -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello.txt", timeout=5) as r:
                return r.read().decode()
        except OSError:
            return None

    assert run("monitor").rc is OcfResult.OCF_NOT_RUNNING
    started = run("start")
    pid = int((tmp_path / "http.pid").read_text())
    try:
        assert started.ok, started.describe()
        assert wait_until(lambda: fetch() == "hello from ringleader\n")
        assert run("monitor").rc is OcfResult.OCF_SUCCESS
        assert run("stop").ok
        assert wait_until(lambda: not alive(pid))
        assert fetch() is None
        assert run("monitor").rc is OcfResult.OCF_NOT_RUNNING
    finally:
        kill_quietly(pid)


@needs_agents
def test_fence_agent_metadata_through_stdin():
    xml = fetch_metadata(AgentSpec.parse("stonith:fence_dummy"), INSTALLED)
    assert "<resource-agent" in xml and 'name="fence_dummy"' in xml


def test_many_operations_in_parallel_threads(agent_dirs):
    """The runner keeps no shared state: concurrent operations do not mix their results."""

    def one(i):
        req = op("ocf:test:envdump", "monitor", resource=f"r{i}")
        out = execute(req, agent_dirs).stdout.decode()
        return f"OCF_RESOURCE_INSTANCE=r{i}\n" in out

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, range(32)))
