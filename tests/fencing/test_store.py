"""Registrations and history survive in the state dir, written atomically and privately."""

from __future__ import annotations

import json
import stat

import pytest

from actors.errors import UserError
from fencing.device import make_device
from fencing.messages import Attempt, FenceEvent, FenceState
from fencing.store import FencingStore
from fencing.topology import make_level


def test_round_trip(tmp_path):
    store = FencingStore(tmp_path)
    assert store.load_devices() == [] and store.load_levels() == [] and store.load_history() == []
    device = make_device("d1", "fence_x", {"pcmk_host_list": "n1", "passwd": "s3cret"})
    level = make_level("regexp%n.*", 2, "d1,d2")
    event = FenceEvent(
        "n1.x.1", "n2", "off", "n1", "cli", FenceState.SUCCESS, "n1", ("d1",),
        attempts=(Attempt(0, "d1", "n1", "off", True, "", 5.0),),
    )  # fmt: skip
    with store.locked():
        store.save_devices([device])
        store.save_levels([level])
        store.save_history([event])
    again = FencingStore(tmp_path)
    assert again.load_devices() == [device]
    assert again.load_levels() == [level]
    assert again.load_history() == [event]
    for name in ("devices.json", "levels.json", "history.json"):
        assert stat.S_IMODE((store.dir / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(store.dir.stat().st_mode) == 0o700
    assert not [p for p in store.dir.iterdir() if p.name.endswith(".tmp")]


def test_a_damaged_file_is_named(tmp_path):
    store = FencingStore(tmp_path)
    store.dir.mkdir()
    (store.dir / "devices.json").write_text("{not json")
    with pytest.raises(UserError, match="devices.json"):
        store.load_devices()
    (store.dir / "levels.json").write_text(json.dumps([{"target": "n1"}]))
    with pytest.raises(UserError, match="levels.json: malformed"):
        store.load_levels()
