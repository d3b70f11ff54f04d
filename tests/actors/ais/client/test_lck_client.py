"""LckClient on a real 3-node cluster: EX excludes across nodes, a dead holder (process or
node) loses its lock to the waiter, DEADLOCK for a cycle, and the lock table synced back to a
restarted node."""

from __future__ import annotations

import subprocess
import sys

import pytest

from actors.ais.client import LckClient
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.lck.messages import LockGrant, LockMode, LockStatus, LockWaiter

pytestmark = pytest.mark.cluster

EX, PR = LockMode.EX, LockMode.PR


class Grants:
    def __init__(self) -> None:
        self.grants: list[LockGrant] = []
        self.waiters: list[LockWaiter] = []

    def client(self, config: str) -> LckClient:
        return LckClient(grant=self.grants.append, waiter=self.waiters.append, config=config)


def test_ex_excludes_across_nodes_and_waiters_are_told(nodes):
    held, waiting = Grants(), Grants()
    with held.client(nodes[1]) as a, waiting.client(nodes[3]) as c, LckClient(config=nodes[2]) as b:
        ra = a.resource_open("excl", create=True)
        rb, rc = b.resource_open("excl"), c.resource_open("excl")
        first = a.lock(ra, EX)
        assert first.status is LockStatus.GRANTED
        assert b.lock(rb, EX, no_queue=True).status is LockStatus.NOT_QUEUED
        assert b.lock(rb, PR, no_queue=True).status is LockStatus.NOT_QUEUED
        with pytest.raises(AisError) as info:
            b.lock(rb, EX, timeout=0.3)
        assert info.value.code is AisErrorCode.TIMEOUT
        queued = c.lock_async(rc, invocation=7, mode=EX, waiter_signal=42)
        nodes.pump(
            a, lambda: [w for w in held.waiters if w.waiter_signal == 42], "node3's wait told"
        )
        assert {w.lock_id for w in held.waiters} == {first.lock_id}  # also for b's timed wait
        assert not waiting.grants
        a.unlock(first.lock_id)
        nodes.pump(c, lambda: waiting.grants, "the waiter on node3 is granted")
        grant = waiting.grants[0]
        assert (grant.invocation, grant.lock_id, grant.status) == (7, queued, LockStatus.GRANTED)
        c.unlock(queued)
        shared = [a.lock(ra, PR), b.lock(rb, PR)]  # PR is shared
        assert all(r.status is LockStatus.GRANTED for r in shared)


HOLDER = """
import sys, time
from actors.ais.client import LckClient
lck = LckClient(config=sys.argv[1])
r = lck.resource_open("doomed-holder", create=True)
print(lck.lock(r).status.name, flush=True)
time.sleep(600)
"""


def test_a_holder_process_that_dies_loses_its_lock_to_the_waiter(nodes):
    waiting = Grants()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, nodes[1]], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "GRANTED"
        with waiting.client(nodes[2]) as b:
            r = b.resource_open("doomed-holder")
            assert b.lock(r, EX, no_queue=True).status is LockStatus.NOT_QUEUED
            b.lock_async(r, invocation=1)
            holder.kill()
            nodes.pump(b, lambda: waiting.grants, "granted once the holder is dead")
            assert waiting.grants[0].status is LockStatus.GRANTED
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()


def test_a_holder_node_that_dies_loses_its_lock_and_a_restarted_node_learns_the_table(nodes):
    waiting = Grants()
    a = LckClient(config=nodes[1])
    r1 = a.resource_open("node-holder", create=True)
    assert a.lock(r1, EX).status is LockStatus.GRANTED
    with waiting.client(nodes[2]) as b:
        rb = b.resource_open("node-holder")
        b.lock_async(rb, invocation=5)
        nodes.kill(1)
        a.finalize()
        nodes.pump(b, lambda: waiting.grants, "granted once node1 is gone")
        assert waiting.grants[0].status is LockStatus.GRANTED
        nodes.kill(3)
        nodes.restart(3)
        nodes.restart(1)
        for number in (1, 3):  # both restarted with nothing: the sync gave them the table
            with LckClient(config=nodes[number]) as late:
                r = late.resource_open("node-holder")
                assert late.lock(r, EX, no_queue=True).status is LockStatus.NOT_QUEUED


def test_a_cycle_of_waiters_is_a_deadlock(nodes):
    with LckClient(config=nodes[1]) as a, LckClient(config=nodes[2]) as b:
        a1, a2 = a.resource_open("dl-1", create=True), a.resource_open("dl-2", create=True)
        b1, b2 = b.resource_open("dl-1"), b.resource_open("dl-2")
        assert a.lock(a1, EX).status is LockStatus.GRANTED
        assert b.lock(b2, EX).status is LockStatus.GRANTED
        a.lock_async(a2, invocation=1)  # a waits for b
        assert b.lock(b1, EX).status is LockStatus.DEADLOCK  # b would wait for a
