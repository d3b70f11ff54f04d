"""The process runner with real processes: groups, timeouts, survivors, bounded output, stdin."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest
from agent_procs import alive, kill_quietly, wait_until

from actors.agents.runner import Invocation, RunnerPool, run

pytestmark = pytest.mark.cluster


def sh(script: str, **kw) -> Invocation:
    return Invocation(("/bin/sh", "-c", script), **kw)


def test_exit_code_output_and_clean_environment():
    os.environ["RINGLEADER_TEST_LEAK"] = "1"
    try:
        out = run(sh('echo "$PATH"; env | grep -c LEAK; echo oops >&2; exit 3', env={"X": "y"}))
    finally:
        del os.environ["RINGLEADER_TEST_LEAK"]
    assert (out.exit_code, out.signal, out.timed_out) == (3, None, False)
    path, leaks = out.stdout.decode().split()
    assert path.startswith("/usr/local/sbin") and leaks == "0"
    assert out.stderr == b"oops\n"


def test_stdin_is_fed_even_when_large():
    data = b"".join(b"key%d=value\n" % i for i in range(200000))  # > 2 MB, beyond a pipe buffer
    out = run(Invocation(("/bin/cat",), stdin=data, output_limit=len(data)))
    assert out.exit_code == 0 and out.stdout == data


def test_output_keeps_the_head_and_counts_the_rest():
    out = run(sh("head -c 3000000 /dev/zero; head -c 5000 /dev/zero >&2", output_limit=1000))
    assert len(out.stdout) == 1000 and out.stdout_dropped == 3000000 - 1000
    assert len(out.stderr) == 1000 and out.stderr_dropped == 4000
    assert out.exit_code == 0


def test_timeout_kills_the_whole_group_even_when_sigterm_is_ignored():
    with tempfile.TemporaryDirectory() as tmp:
        pids = os.path.join(tmp, "pids")
        script = f"trap '' TERM; sleep 1000 & echo $! > {pids}; echo $$ >> {pids}; wait"
        out = run(sh(script, timeout=0.5, kill_grace=0.5))
        assert out.timed_out and out.signal == signal.SIGKILL and out.exit_code is None
        for pid in map(int, Path(pids).read_text().split()):
            assert wait_until(lambda pid=pid: not alive(pid))


def test_a_group_that_obeys_sigterm_is_not_held_for_the_grace():
    out = run(sh("sleep 1000 & sleep 1000", timeout=0.3, kill_grace=120))
    assert out.timed_out and out.signal == signal.SIGTERM
    assert out.exec_seconds < 60  # the 120 s grace is only for agents that ignore SIGTERM


def test_agent_exit_does_not_wait_for_a_child_holding_stdout_and_spares_it():
    with tempfile.TemporaryDirectory() as tmp:
        pids = os.path.join(tmp, "pids")
        out = run(sh(f"sleep 1000 & echo $! > {pids}; echo bye", timeout=60))
        pid = int(Path(pids).read_text())
        try:
            assert (out.exit_code, out.timed_out, out.stdout) == (0, False, b"bye\n")
            assert out.exec_seconds < 30  # far below the child's 1000 s
            assert alive(pid)  # a daemon started on purpose survives
        finally:
            kill_quietly(pid)


def test_missing_executable_is_an_outcome_not_an_exception():
    out = run(Invocation(("/nonexistent/agent",)))
    assert out.spawn_error and out.exit_code is None and not out.timed_out


def test_pool_runs_in_parallel():
    """Each run waits until all four have started: serial runs would time out."""
    with tempfile.TemporaryDirectory() as tmp, RunnerPool(max_workers=4) as pool:
        script = (
            f"touch {tmp}/$ARRIVED; "
            f'while [ "$(ls {tmp} | wc -l)" -lt 4 ]; do sleep 0.02; done; echo all'
        )
        futures = [pool.submit(sh(script, env={"ARRIVED": str(i)}, timeout=30)) for i in range(4)]
        outs = [f.result(timeout=60) for f in futures]
    assert [(o.exit_code, o.timed_out, o.stdout) for o in outs] == [(0, False, b"all\n")] * 4
