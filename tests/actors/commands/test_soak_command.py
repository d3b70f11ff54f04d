"""`ringleader soak` on a real cluster: short phases, membership must hold through both."""

from __future__ import annotations

import pytest

from actors.cli import main

pytestmark = pytest.mark.cluster


def test_membership_holds_idle_and_loaded(capsys):
    rc = main(["soak", "--nodes", "2", "--idle", "2", "--loaded", "4", "--burners", "1"])
    out = capsys.readouterr().out
    assert "idle: 2 s, rings seen 1, membership changes 0" in out
    assert "loaded (1 burners)" in out and "messages delivered per node" in out
    assert rc == 0, out
