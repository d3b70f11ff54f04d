"""The application-service examples do what they say: against a running cluster (`--config`)
and, for the counter, on a cluster of its own where it kills a node."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from actors.commands.cluster import cluster_down, cluster_up

pytestmark = pytest.mark.cluster

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def configs():
    directory = Path(tempfile.mkdtemp(prefix="rl-examples-"))
    try:
        yield cluster_up(directory, 3, "ipc", timeout=60.0)
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


def run(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def config_args(configs) -> list[str]:
    return [arg for path in configs for arg in ("--config", str(path))]


def test_the_counter_survives_killing_the_node_that_wrote_it():
    out = run("ckpt_counter.py")
    assert "node1: counter = 5" in out
    assert "killed node1" in out
    assert "node2: counter is 5" in out and "node3 reads 10" in out
    assert "the counter survived (5 before, 10 after)" in out


def test_the_counter_on_a_running_cluster_goes_on_from_its_value(configs):
    first = run("ckpt_counter.py", *config_args(configs))
    again = run("ckpt_counter.py", *config_args(configs))
    first_after = int(re.search(r"(\d+) after\)", first).group(1))
    assert f"node1: counter is {first_after}, counting 5" in again  # the checkpoint kept it
    assert f"({first_after + 5} before, {first_after + 10} after)" in again


def test_the_event_bus_delivers_by_filter_and_keeps_the_configuration(configs):
    out = run("evt_bus.py", *config_args(configs))
    assert "orders@node2   got [orders/new]" in out
    assert "disk-alerts@node3 got [alert sda/disk]" in out
    assert "got [alert eth0/link]" not in out  # an alert, but not a disk
    assert "late-config@node3 got [config] 'version 42'" in out


def test_the_worker_pool_shares_jobs_round_robin(configs):
    out = run("msg_pool.py", *config_args(configs))
    assert "jobs per node: node1 3, node2 3, node3 3" in out
    assert "job 9: 9 squared is 81" in out


def test_the_lease_passes_to_a_live_candidate_each_time_the_leader_dies(configs):
    out = run("lck_lease.py", *config_args(configs))
    leaders = re.findall(r"LEADER (node\d)", out)
    assert sorted(leaders) == ["node1", "node2", "node3"]
    assert "someone waits for the lease (EX)" in out
    assert "leadership passed " + " -> ".join(leaders) in out
