"""LCK core on a scripted cluster: grants, queues, callbacks, deadlock, timeouts, death, merge."""

from __future__ import annotations

import pytest

from actors.ais.errors import (
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_INTERRUPT,
    SA_AIS_ERR_NOT_EXIST,
    SA_AIS_ERR_TIMEOUT,
    SA_AIS_ERR_TRY_AGAIN,
    AisError,
)
from actors.ais.lck.core import LckCore
from actors.ais.lck.messages import (
    Lock,
    LockGrant,
    LockLost,
    LockMode,
    LockQueued,
    LockStatus,
    LockWaiter,
    Purge,
    ResourceClose,
    ResourceOpen,
    ResourceOpened,
    Unlock,
    UnlockDone,
)
from actors.ais.sync.harness import Cluster

EX, PR = LockMode.EX, LockMode.PR


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(LckCore, [1, 2, 3])


def open_res(c: Cluster, node: int, conn: str, name: str = "r") -> int:
    opened = c.call(node, conn, ResourceOpen(name, create=True))
    assert isinstance(opened, ResourceOpened)
    return opened.handle


def lock(c: Cluster, node: int, conn: str, handle: int, mode: LockMode, **kw) -> int:
    return c.request(node, conn, Lock(handle, mode, **kw))


def holders(core: LckCore, name: str = "r") -> list:
    res = core.state.resources.get(name)
    return [] if res is None else sorted((r.owner, r.mode) for r in res.granted)


def test_open_without_create_of_unknown_resource_is_not_exist(cluster: Cluster) -> None:
    assert cluster.call(1, "a", ResourceOpen("nope")) == AisError(SA_AIS_ERR_NOT_EXIST, "nope")
    open_res(cluster, 2, "b", "nope")
    assert isinstance(cluster.call(1, "a", ResourceOpen("nope")), ResourceOpened)


def test_ex_waits_for_pr_holders_and_they_get_waiter_callbacks(cluster: Cluster) -> None:
    ha, hb, hc = open_res(cluster, 1, "a"), open_res(cluster, 2, "b"), open_res(cluster, 3, "c")
    ra = lock(cluster, 1, "a", ha, PR)
    rb = lock(cluster, 2, "b", hb, PR)
    assert cluster.reply(1, "a", ra).status is LockStatus.GRANTED
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED
    rc = lock(cluster, 3, "c", hc, EX, waiter_signal=77)
    assert not cluster.has_reply(3, "c", rc)
    [wa] = cluster.take_callbacks(1, "a")
    assert wa == LockWaiter(77, cluster.reply(1, "a", ra).lock_id, PR, EX)
    assert len(cluster.take_callbacks(2, "b")) == 1
    cluster.call(1, "a", Unlock(cluster.reply(1, "a", ra).lock_id))
    assert not cluster.has_reply(3, "c", rc)
    assert cluster.call(2, "b", Unlock(cluster.reply(2, "b", rb).lock_id)) is None
    assert cluster.reply(3, "c", rc).status is LockStatus.GRANTED
    assert all(holders(core) == [((3, "c"), EX)] for core in cluster.cores.values())


def test_no_queue_and_orphaned_status(cluster: Cluster) -> None:
    ha, hb = open_res(cluster, 1, "a"), open_res(cluster, 2, "b")
    lock(cluster, 1, "a", ha, EX, orphan=True)
    rb = lock(cluster, 2, "b", hb, PR, no_queue=True)
    assert cluster.reply(2, "b", rb).status is LockStatus.NOT_QUEUED
    cluster.close(1, "a")  # the holder dies: its ORPHAN lock stays
    assert holders(cluster.cores[3]) == [(None, EX)]
    rb = lock(cluster, 2, "b", hb, PR, no_queue=True)
    assert cluster.reply(2, "b", rb).status is LockStatus.ORPHANED
    rb = lock(cluster, 2, "b", hb, PR)
    assert not cluster.has_reply(2, "b", rb)
    assert cluster.call(2, "b", Purge(hb)) is None
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED


def test_holder_death_releases_non_orphan_locks_and_cancels_its_waits(cluster: Cluster) -> None:
    ha, hb, hc = open_res(cluster, 1, "a"), open_res(cluster, 2, "b"), open_res(cluster, 3, "c")
    lock(cluster, 1, "a", ha, EX)
    rb = lock(cluster, 2, "b", hb, EX)
    rc = lock(cluster, 3, "c", hc, EX)
    cluster.close(2, "b")
    cluster.close(1, "a")
    assert cluster.reply(3, "c", rc).status is LockStatus.GRANTED
    assert not cluster.has_reply(2, "b", rb)
    assert all(holders(core) == [((3, "c"), EX)] for core in cluster.cores.values())


def test_node_crash_releases_its_clients_locks(cluster: Cluster) -> None:
    ha, hb = open_res(cluster, 1, "a"), open_res(cluster, 2, "b")
    lock(cluster, 1, "a", ha, EX)
    rb = lock(cluster, 2, "b", hb, EX)
    cluster.crash(1)
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED
    assert holders(cluster.cores[3]) == [((2, "b"), EX)]


def test_deadlock_between_two_waiters_is_reported(cluster: Cluster) -> None:
    ha1, hb2 = open_res(cluster, 1, "a", "r1"), open_res(cluster, 2, "b", "r2")
    ha2, hb1 = open_res(cluster, 1, "a", "r2"), open_res(cluster, 2, "b", "r1")
    lock(cluster, 1, "a", ha1, EX)
    lock(cluster, 2, "b", hb2, EX)
    ra = lock(cluster, 1, "a", ha2, EX)  # a waits for b
    rb = lock(cluster, 2, "b", hb1, EX)  # b would wait for a: cycle
    assert not cluster.has_reply(1, "a", ra)
    assert cluster.reply(2, "b", rb).status is LockStatus.DEADLOCK
    rself = lock(cluster, 2, "b", hb2, PR)  # blocked by its own EX lock
    assert cluster.reply(2, "b", rself).status is LockStatus.DEADLOCK


def test_timeout_cancels_the_wait(cluster: Cluster) -> None:
    ha, hb = open_res(cluster, 1, "a"), open_res(cluster, 2, "b")
    lock(cluster, 1, "a", ha, EX)
    rb = lock(cluster, 2, "b", hb, EX, timeout=5.0)
    cluster.advance(4.0)
    assert not cluster.has_reply(2, "b", rb)
    cluster.advance(2.0)
    assert cluster.reply(2, "b", rb) == AisError(SA_AIS_ERR_TIMEOUT, "lock wait")
    assert all(not core.state.resources["r"].waiting for core in cluster.cores.values())


def test_async_lock_and_unlock_use_callbacks_and_unlock_of_a_wait_interrupts(cluster: Cluster):
    ha, hb = open_res(cluster, 1, "a"), open_res(cluster, 2, "b")
    ra = lock(cluster, 1, "a", ha, EX, invocation=10)
    queued = cluster.reply(1, "a", ra)
    assert isinstance(queued, LockQueued)
    [grant] = cluster.take_callbacks(1, "a")
    assert grant == LockGrant(10, queued.lock_id, "r", LockStatus.GRANTED)
    rb = lock(cluster, 2, "b", hb, EX, invocation=11)
    waiting_id = cluster.reply(2, "b", rb).lock_id
    assert cluster.take_callbacks(2, "b") == []
    assert cluster.call(2, "b", Unlock(waiting_id, invocation=12)) is None
    got = cluster.take_callbacks(2, "b")
    assert UnlockDone(12) in got
    assert LockGrant(11, waiting_id, "r", None, AisError(SA_AIS_ERR_INTERRUPT, "unlocked")) in got
    missing = cluster.call(1, "a", Unlock((9, 9)))
    assert isinstance(missing, AisError) and missing.code is SA_AIS_ERR_NOT_EXIST


def test_close_gives_up_locks_and_handle(cluster: Cluster) -> None:
    ha, hb = open_res(cluster, 1, "a"), open_res(cluster, 2, "b")
    lock(cluster, 1, "a", ha, EX)
    rb = lock(cluster, 2, "b", hb, EX)
    assert cluster.call(1, "a", ResourceClose(ha)) is None
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED
    assert cluster.call(1, "a", Lock(ha, PR)).code is SA_AIS_ERR_BAD_HANDLE


def test_requests_during_sync_get_try_again(cluster: Cluster) -> None:
    ha = open_res(cluster, 1, "a")
    rid = cluster.request(1, "a", Lock(ha, EX), flush=False)
    cluster.partition([1, 2], [3], flush=False)  # pending lock: delivered in the transitional
    assert cluster.reply(1, "a", rid).status is LockStatus.GRANTED
    during = cluster.request(2, "b", ResourceOpen("r"), flush=False)
    assert cluster.reply(2, "b", during).code is SA_AIS_ERR_TRY_AGAIN
    cluster.flush()
    assert isinstance(cluster.call(2, "b", ResourceOpen("r")), ResourceOpened)


def test_operation_delivered_during_sync_is_dropped_and_answered_try_again(cluster: Cluster):
    ha = open_res(cluster, 1, "a")
    rid = cluster.request(1, "a", Lock(ha, EX), flush=False)
    cluster.partition([1, 2], [3], deliver_pending=False)  # re-sent in the new ring
    assert cluster.reply(1, "a", rid).code is SA_AIS_ERR_TRY_AGAIN
    assert all(holders(core) == [] for core in cluster.cores.values())


def test_merge_keeps_older_grant_and_revokes_the_conflicting_one(cluster: Cluster) -> None:
    ha, hb, hc = open_res(cluster, 1, "a"), open_res(cluster, 2, "b"), open_res(cluster, 3, "c")
    ra = lock(cluster, 1, "a", ha, PR)
    cluster.partition([1, 2], [3])
    rc = lock(cluster, 3, "c", hc, EX)  # node 3 alone: a's lock is gone there (node 1 left)
    assert cluster.reply(3, "c", rc).status is LockStatus.GRANTED
    rb = lock(cluster, 2, "b", hb, PR)
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED
    cluster.merge()
    expected = [((1, "a"), PR), ((2, "b"), PR)]  # a's grant predates the partition
    assert all(holders(core) == expected for core in cluster.cores.values())
    lost = cluster.take_callbacks(3, "c")
    assert lost == [LockLost(cluster.reply(3, "c", rc).lock_id, "r")]
    assert cluster.reply(1, "a", ra).status is LockStatus.GRANTED


def test_merge_interrupted_by_another_change_restarts(cluster: Cluster) -> None:
    ha = open_res(cluster, 1, "a")
    ra = lock(cluster, 1, "a", ha, EX)
    cluster.partition([1], [2, 3])
    hb = open_res(cluster, 2, "b")
    rb = lock(cluster, 2, "b", hb, EX)
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED
    cluster.merge(flush=False)  # the SyncState messages are still pending ...
    cluster.partition([1, 2], [3], deliver_pending=False)  # ... when the next change comes
    assert all(core.sync.aborts == 1 for core in cluster.cores.values())
    cluster.merge()
    views = {repr(holders(core)) for core in cluster.cores.values()}
    assert views == {repr([((2, "b"), EX)])}  # the majority side's grant wins
    assert cluster.take_callbacks(1, "a") == [LockLost(cluster.reply(1, "a", ra).lock_id, "r")]


def test_client_death_during_sync_is_applied_after_it(cluster: Cluster) -> None:
    ha, hb = open_res(cluster, 1, "a"), open_res(cluster, 2, "b")
    lock(cluster, 1, "a", ha, EX)
    rb = lock(cluster, 2, "b", hb, EX)
    cluster.partition([1, 2], [3], flush=False)  # syncing now
    cluster.close(1, "a")
    assert cluster.reply(2, "b", rb).status is LockStatus.GRANTED
    assert holders(cluster.cores[1]) == [((2, "b"), EX)]
