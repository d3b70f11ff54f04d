"""The LCK exclusion checker: it catches a double EX grant, and random runs of the core pass it."""

from __future__ import annotations

import random

import pytest

from actors.ais.effects import ClientGone, ClientRequest, Reply
from actors.ais.evs import ConfigurationChange, RingId
from actors.ais.lck.checker import check_lock_exclusion
from actors.ais.lck.core import LckCore
from actors.ais.lck.messages import (
    Lock,
    LockMode,
    LockResult,
    LockStatus,
    ResourceClose,
    ResourceOpen,
    ResourceOpened,
    Unlock,
)
from actors.ais.sync.harness import Cluster, LogEntry


def test_checker_flags_two_ex_holders() -> None:
    ring = ConfigurationChange("regular", RingId(1, 1), (1, 2))
    logs = {
        n: [
            LogEntry(n, 0.0, n, ring, False),
            LogEntry(10 + n, 0.0, n, ClientRequest("c", 1, Lock(1, LockMode.EX)), False),
            LogEntry(
                20 + n, 0.0, n, Reply("c", 1, LockResult((n, 1), "r", LockStatus.GRANTED)), True
            ),
        ]
        for n in (1, 2)
    }
    assert len(check_lock_exclusion(logs, [1, 2])) == 1
    logs[1].append(LogEntry(21, 0.0, 1, ClientRequest("c", 2, Unlock((1, 1))), False))
    assert check_lock_exclusion(logs, [1, 2]) == []


def test_a_grant_told_to_a_connection_already_gone_is_no_hold() -> None:
    ring = ConfigurationChange("regular", RingId(1, 1), (1, 2))
    granted = LockResult((1, 1), "r", LockStatus.GRANTED)
    logs = {
        1: [
            LogEntry(1, 0.0, 1, ring, False),
            LogEntry(3, 0.0, 1, ClientRequest("c", 1, Lock(1, LockMode.EX)), False),
            LogEntry(5, 0.0, 1, ClientGone("c"), False),  # went while its request waited
            LogEntry(7, 0.0, 1, Reply("c", 1, granted), True),
        ],
        2: [
            LogEntry(2, 0.0, 2, ring, False),
            LogEntry(4, 0.0, 2, ClientRequest("d", 1, Lock(1, LockMode.EX)), False),
            LogEntry(9, 0.0, 2, Reply("d", 1, LockResult((2, 1), "r", LockStatus.GRANTED)), True),
        ],
    }
    assert check_lock_exclusion(logs, [1, 2]) == []
    del logs[1][2]  # without the ClientGone, the two grants overlap
    assert len(check_lock_exclusion(logs, [1, 2])) == 1


def random_run(seed: int, steps: int = 300) -> Cluster:
    rng = random.Random(seed)
    nodes = [1, 2, 3, 4, 5]
    cluster = Cluster(LckCore, nodes)
    handles: dict[tuple[int, str, str], int] = {}
    granted: dict[tuple[int, str], list] = {}
    for _ in range(steps):
        live = sorted(cluster.cores)
        node = rng.choice(live)
        conn = rng.choice(["a", "b"])
        name = rng.choice(["r1", "r2"])
        roll = rng.random()
        if roll < 0.25:
            opened = cluster.call(node, conn, ResourceOpen(name, create=True))
            if isinstance(opened, ResourceOpened):
                handles[(node, conn, name)] = opened.handle
        elif roll < 0.55 and (node, conn, name) in handles:
            mode = rng.choice([LockMode.PR, LockMode.EX])
            body = Lock(handles[(node, conn, name)], mode, timeout=3.0)
            rid = cluster.request(node, conn, body, flush=rng.random() < 0.6)
            if cluster.has_reply(node, conn, rid):
                result = cluster.reply(node, conn, rid)
                if isinstance(result, LockResult) and result.status is LockStatus.GRANTED:
                    granted.setdefault((node, conn), []).append(result.lock_id)
        elif roll < 0.75 and granted.get((node, conn)):
            cluster.request(node, conn, Unlock(granted[(node, conn)].pop(0)))
        elif roll < 0.8 and (node, conn, name) in handles:
            cluster.request(node, conn, ResourceClose(handles.pop((node, conn, name))))
        elif roll < 0.84:
            cluster.close(node, conn)
            handles = {k: v for k, v in handles.items() if k[:2] != (node, conn)}
            granted.pop((node, conn), None)
        elif roll < 0.9:
            rng.shuffle(live)
            cut = rng.randint(1, len(live))
            groups = [g for g in (live[:cut], live[cut:]) if g]
            cluster.partition(*groups, deliver_pending=rng.random() < 0.5, flush=rng.random() < 0.5)
        elif roll < 0.95:
            cluster.merge(flush=rng.random() < 0.5)
        elif roll < 0.97 and len(live) > 2:
            cluster.crash(node)
            handles = {k: v for k, v in handles.items() if k[0] != node}
            granted = {k: v for k, v in granted.items() if k[0] != node}
        elif roll < 0.99 and len(live) < len(nodes):
            cluster.restart(rng.choice([n for n in nodes if n not in live]))
        else:
            cluster.advance(rng.choice([1.0, 4.0]))
    cluster.merge()
    cluster.advance(10.0)
    return cluster


@pytest.mark.parametrize("seed", range(6))
def test_random_runs_keep_exclusion_and_converge(seed: int) -> None:
    cluster = random_run(seed)
    assert check_lock_exclusion(cluster.log, [1, 2, 3, 4, 5]) == []
    tables = set()
    for core in cluster.cores.values():
        assert core.sync.accepting
        tables.add(repr(sorted((n, r.granted, r.waiting) for n, r in core.state.resources.items())))
    assert len(tables) == 1
