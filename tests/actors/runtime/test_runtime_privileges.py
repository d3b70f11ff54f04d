"""Dropping root: a no-op for ordinary users, a full switch of uid/gid (and groups) for root."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys

import pytest

from actors.runtime.privileges import default_user, drop_privileges


def test_default_user_exists():
    assert pwd.getpwnam(default_user())


def test_drop_is_a_no_op_when_not_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    called = []
    monkeypatch.setattr(os, "setresuid", lambda *a: called.append(a))
    drop_privileges("nobody")
    assert called == []


@pytest.mark.root
def test_drop_switches_every_id_in_a_child_process():
    code = (
        "import os; from actors.runtime.privileges import drop_privileges; "
        "drop_privileges('nobody'); "
        "print(os.getresuid(), os.getresgid(), os.getgroups())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    entry = pwd.getpwnam("nobody")
    uid, gid = entry.pw_uid, entry.pw_gid
    assert out.strip() == f"{(uid, uid, uid)} {(gid, gid, gid)} []"
