"""The ledger of running agents: a child that replaces a crashed one kills what it left running,
and nothing else."""

from __future__ import annotations

import os
import subprocess

import pytest
from agent_procs import alive, kill_quietly

from actors.agents.ledger import RunLedger, start_time


@pytest.fixture
def group():
    """A sleeping process in a session (and so a process group) of its own, like an agent."""
    procs = []

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        kill_quietly(proc.pid)
        proc.wait()


def test_a_new_child_kills_what_the_previous_one_left_running(tmp_path, group):
    left, ended = group(), group()
    crashed = RunLedger(tmp_path / "ledger")
    assert crashed.prepare() == []
    crashed.add(left.pid)
    crashed.add(ended.pid)
    crashed.remove(ended.pid)  # finished in time: whatever it started is not ours to kill
    assert RunLedger(tmp_path / "ledger").prepare() == [left.pid]
    left.wait(timeout=30)
    assert alive(ended.pid)
    assert os.listdir(tmp_path / "ledger") == []  # and the next restart has nothing to do


def test_a_reused_group_id_is_not_killed(tmp_path, group):
    """The recorded leader's start time differs: its pid now belongs to another process."""
    other = group()
    ledger = RunLedger(tmp_path / "ledger")
    ledger.prepare()
    (tmp_path / "ledger" / f"{other.pid}-{start_time(other.pid) - 1}").touch()
    assert RunLedger(tmp_path / "ledger").prepare() == []
    assert alive(other.pid)


@pytest.mark.parametrize("kind", ["writable by others", "symlink", "file"])
def test_a_ledger_anyone_else_could_write_is_not_believed(tmp_path, group, kind):
    victim = group()
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / f"{victim.pid}-{start_time(victim.pid)}").touch()
    where = tmp_path / "ledger"
    if kind == "writable by others":
        planted.chmod(0o777)
        planted.rename(where)
    elif kind == "symlink":
        where.symlink_to(planted)
    else:
        where.write_text(f"{victim.pid}\n")
    assert RunLedger(where).prepare() == []
    assert alive(victim.pid)
    assert where.is_dir() and not where.is_symlink() and os.listdir(where) == []
    assert (os.stat(where).st_mode & 0o777) == 0o700
    if kind == "symlink":  # removed, never followed
        assert os.listdir(planted) == [f"{victim.pid}-{start_time(victim.pid)}"]
