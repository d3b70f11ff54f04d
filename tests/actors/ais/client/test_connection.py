"""The client's private socket directory: in the node's run dir, swept when its process died."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from actors.ais.client.connection import _private_dir


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_private_dir_is_in_the_run_dir_and_sweeps_dead_clients(tmp_path):
    stale = tmp_path / f"rl-client-{dead_pid()}-abc"
    stale.mkdir()
    (stale / "c").write_text("")
    live = tmp_path / f"rl-client-{os.getppid()}-def"
    live.mkdir()
    other = tmp_path / "rl-client-notapid"
    other.mkdir()

    made = _private_dir(str(tmp_path))

    assert os.path.dirname(made) == str(tmp_path)
    assert os.path.basename(made).startswith(f"rl-client-{os.getpid()}-")
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o700
    assert not stale.exists()
    assert live.exists() and other.exists()


def test_private_dir_falls_back_to_tmp_when_the_run_dir_path_is_too_long(tmp_path):
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    made = _private_dir(str(deep))
    try:
        assert not made.startswith(str(deep))
        assert len(made) + len("/c.mailbox") < 107
    finally:
        os.rmdir(made)
