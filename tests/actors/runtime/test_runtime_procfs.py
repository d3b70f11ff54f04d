"""What /proc says of a process: alive, not a zombie, and the same process as before."""

from __future__ import annotations

import os
import subprocess
import sys

from actors.runtime.procfs import descendants, pid_alive, start_time


def test_a_dead_zombie_or_reused_pid_is_not_the_process_we_knew():
    me = os.getpid()
    assert pid_alive(me) and pid_alive(me, start_time(me))
    assert not pid_alive(me, start_time(me) + 1)  # a reused pid is another process
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = start_time(child.pid)
    assert started is not None and child.pid in descendants(me)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    assert not pid_alive(child.pid) and start_time(child.pid) == started
    child.wait()
    assert not pid_alive(child.pid, started) and start_time(child.pid) is None
