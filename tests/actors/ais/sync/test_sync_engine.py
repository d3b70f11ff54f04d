"""The sync barrier: completes on every member's snapshot, aborts on a new ring, ignores stale."""

from __future__ import annotations

from actors.ais.evs import ConfigurationChange, RingId
from actors.ais.sync.engine import SyncSession, SyncState

R1, R2 = RingId(1, 1), RingId(2, 1)


def regular(ring: RingId, *members: int) -> ConfigurationChange:
    return ConfigurationChange("regular", ring, members)


def test_barrier_completes_with_every_members_snapshot() -> None:
    s = SyncSession("svc", 1)
    assert not s.accepting
    mine = s.on_configuration(regular(R1, 1, 2), "a")
    assert mine == SyncState("svc", R1, 1, "a")
    assert s.on_sync_state(mine) is None
    assert not s.accepting and not s.applies(R1)
    assert s.on_sync_state(SyncState("svc", R1, 2, "b")) == {1: "a", 2: "b"}
    assert s.accepting and s.applies(R1) and s.active_members == (1, 2)


def test_new_regular_configuration_aborts_and_stale_states_are_ignored() -> None:
    s = SyncSession("svc", 1)
    s.on_configuration(regular(R1, 1, 2), "a")
    s.on_sync_state(SyncState("svc", R1, 1, "a"))
    s.on_configuration(ConfigurationChange("transitional", R1, (1,)), None)
    s.on_configuration(regular(R2, 1, 2), "a2")
    assert s.aborts == 1
    assert s.on_sync_state(SyncState("svc", R1, 2, "stale")) is None
    assert s.on_sync_state(SyncState("svc", R2, 1, "a2")) is None
    assert s.on_sync_state(SyncState("svc", R2, 3, "not a member")) is None
    assert s.on_sync_state(SyncState("svc", R2, 2, "b2")) == {1: "a2", 2: "b2"}
    assert s.applies(R2) and not s.applies(R1)


def test_barrier_may_complete_in_the_transitional_configuration() -> None:
    s = SyncSession("svc", 1)
    s.on_configuration(regular(R1, 1, 2), "a")
    s.on_sync_state(SyncState("svc", R1, 1, "a"))
    s.on_configuration(ConfigurationChange("transitional", R1, (1,), (), (2,)), None)
    assert s.on_sync_state(SyncState("svc", R1, 2, "b")) == {1: "a", 2: "b"}
    assert s.applies(R1)  # the rest of R1's messages are applied ...
    assert not s.accepting  # ... but clients wait for the next configuration
    assert s.aborts == 0
