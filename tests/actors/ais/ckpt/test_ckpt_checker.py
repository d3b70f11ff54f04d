"""The CKPT durability checker: it catches a lost write, and random runs of the core pass it."""

from __future__ import annotations

import random

import pytest

from actors.ais.ckpt.checker import check_ckpt_durability
from actors.ais.ckpt.core import CkptCore
from actors.ais.ckpt.messages import (
    CheckpointOpen,
    CheckpointOpened,
    CreationAttributes,
    Overwrite,
    Read,
    ReadElement,
    SectionCreate,
    SectionDelete,
    WriteMode,
)
from actors.ais.sync.harness import Cluster

ATTRS = CreationAttributes(WriteMode.ALL_REPLICAS, 1000, 10, 100, retention_duration=1000.0)
SECTIONS = [b"s1", b"s2", b"s3"]


def open_all(cluster: Cluster) -> dict[int, int]:
    handles = {}
    for node in sorted(cluster.cores):
        opened = cluster.call(node, "c", CheckpointOpen("ck", ATTRS, write=True, create=True))
        assert isinstance(opened, CheckpointOpened)
        handles[node] = opened.handle
    return handles


def read_everywhere(cluster: Cluster, handles: dict[int, int]) -> None:
    for node in sorted(cluster.cores):
        for sid in SECTIONS:
            cluster.request(node, "c", Read(handles[node], (ReadElement(sid),)))


def test_checker_catches_a_lost_write() -> None:
    cluster = Cluster(CkptCore, [1, 2])
    handles = open_all(cluster)
    assert cluster.call(1, "c", SectionCreate(handles[1], b"s1", None, b"v1")) is None
    start = cluster.step
    read_everywhere(cluster, handles)
    assert check_ckpt_durability(cluster.log, start) == []
    for core in cluster.cores.values():  # lose it behind the service's back
        next(iter(core.state.checkpoints.values())).sections[b"s1"].data = b"old"
    start = cluster.step
    read_everywhere(cluster, handles)
    assert len(check_ckpt_durability(cluster.log, start)) == 2


@pytest.mark.parametrize("seed", range(6))
def test_random_runs_lose_no_acknowledged_write(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [1, 2, 3, 4]
    cluster = Cluster(CkptCore, nodes)
    handles = open_all(cluster)
    for i in range(200):
        live = sorted(cluster.cores)
        node = rng.choice(live)
        sid = rng.choice(SECTIONS)
        roll = rng.random()
        flush = rng.random() < 0.7
        if node not in handles:
            opened = cluster.call(node, "c", CheckpointOpen("ck", ATTRS, write=True, create=True))
            if isinstance(opened, CheckpointOpened):
                handles[node] = opened.handle
        elif roll < 0.3:
            cluster.request(node, "c", SectionCreate(handles[node], sid, None, b"c%d" % i), flush)
        elif roll < 0.7:
            cluster.request(node, "c", Overwrite(handles[node], sid, b"o%d" % i), flush)
        elif roll < 0.8:
            cluster.request(node, "c", SectionDelete(handles[node], sid), flush)
        elif roll < 0.88:
            rng.shuffle(live)
            cut = rng.randint(1, len(live))
            groups = [g for g in (live[:cut], live[cut:]) if g]
            cluster.partition(*groups, deliver_pending=rng.random() < 0.5, flush=flush)
        elif roll < 0.95:
            cluster.merge(flush=flush)
        elif roll < 0.97 and len(live) > 2:
            cluster.crash(node)
            handles.pop(node)
        elif len(live) < len(nodes):
            cluster.restart(rng.choice([n for n in nodes if n not in live]))
    cluster.merge()
    for node in sorted(cluster.cores):
        if node not in handles:
            handles[node] = cluster.call(node, "c", CheckpointOpen("ck")).handle
    start = cluster.step
    read_everywhere(cluster, handles)
    assert check_ckpt_durability(cluster.log, start) == []
    views = {repr(c.state.checkpoints) for c in cluster.cores.values()}
    assert len(views) == 1
