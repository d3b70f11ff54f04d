"""The EVT delivery checker: it catches a wrong delivery, and random runs of the core pass it."""

from __future__ import annotations

import random

import pytest

from actors.ais.effects import Reply
from actors.ais.evt.checker import check_event_delivery
from actors.ais.evt.core import EvtCore
from actors.ais.evt.messages import (
    ChannelOpen,
    ChannelOpened,
    Event,
    EventGet,
    Filter,
    FilterType,
    Publish,
    Subscribe,
)
from actors.ais.sync.harness import Cluster

FILTERS = [
    (Filter(FilterType.PASS_ALL),),
    (Filter(FilterType.PREFIX, b"a"),),
    (Filter(FilterType.EXACT, b"ab"), Filter(FilterType.SUFFIX, b"z")),
]
PATTERNS = [(b"ab",), (b"ab", b"xz"), (b"b", b"z"), (b"abc", b"q")]


def drain(cluster: Cluster, node: int, conn: str) -> None:
    while cluster.call(node, conn, EventGet()) is not None:
        pass


def test_checker_catches_a_delivery_that_does_not_match() -> None:
    cluster = Cluster(EvtCore, [1, 2])
    h = cluster.call(1, "c", ChannelOpen("ch", True, True, True)).handle
    cluster.call(1, "c", Subscribe(h, (Filter(FilterType.EXACT, b"x"),), 1))
    cluster.call(1, "c", Publish(h, (b"x",), data=b"ok"))
    cluster.call(1, "c", Publish(h, (b"y",), data=b"not for it"))
    drain(cluster, 1, "c")
    assert check_event_delivery(cluster.log, complete=True) == []
    queue = cluster.cores[1].queues.setdefault("c", type(cluster.cores[1].queues.get("c"))())
    wrong = Event(h, 1, 5000, (b"y",), 3, 0.0, "", 0.0, b"")
    queue.events.append((99, wrong))  # behind the service's back
    drain(cluster, 1, "c")
    assert len(check_event_delivery(cluster.log)) == 2  # no match, never published


def test_an_applied_publish_counts_even_if_its_answer_never_came() -> None:
    cluster = Cluster(EvtCore, [1, 2])
    h1 = cluster.call(1, "pub", ChannelOpen("ch", True, publisher=True)).handle
    h2 = cluster.call(2, "sub", ChannelOpen("ch", subscriber=True)).handle
    cluster.call(2, "sub", Subscribe(h2, (Filter(FilterType.PASS_ALL),), 1))
    cluster.call(1, "pub", Publish(h1, (b"x",)))
    drain(cluster, 2, "sub")
    # the publisher's node left before answering: its reply never went out
    cluster.log[1] = [e for e in cluster.log[1] if not isinstance(e.item, Reply)]
    assert check_event_delivery(cluster.log) == []


@pytest.mark.parametrize("seed", range(4))
def test_random_runs_deliver_per_filter(seed: int) -> None:
    rng = random.Random(seed)
    cluster = Cluster(lambda n: EvtCore(n, queue_limit=4), [1, 2, 3])
    handles = {}
    for node in (1, 2, 3):
        for conn in ("a", "b"):
            opened = cluster.call(node, conn, ChannelOpen("ch", True, True, True))
            assert isinstance(opened, ChannelOpened)
            handles[(node, conn)] = opened.handle
    for i in range(150):
        node, conn = rng.choice(sorted(handles))
        roll = rng.random()
        if roll < 0.15:
            sub = Subscribe(handles[(node, conn)], rng.choice(FILTERS), rng.randint(1, 3))
            cluster.request(node, conn, sub)
        elif roll < 0.7:
            event = Publish(handles[(node, conn)], rng.choice(PATTERNS), rng.randint(0, 3),
                            rng.choice([0.0, 5.0]), data=b"%d" % i)  # fmt: skip
            cluster.request(node, conn, event, flush=rng.random() < 0.8)
        elif roll < 0.95:
            drain(cluster, node, conn)
        else:
            cluster.advance(2.0)
    cluster.flush()
    for node, conn in handles:
        drain(cluster, node, conn)
    assert check_event_delivery(cluster.log, complete=True) == []


@pytest.mark.parametrize("seed", range(4))
def test_random_runs_with_partitions_stay_sound_and_converge(seed: int) -> None:
    rng = random.Random(seed)
    cluster = Cluster(lambda n: EvtCore(n, queue_limit=4), [1, 2, 3])
    handles: dict[tuple[int, str], int] = {}
    for i in range(150):
        node = rng.choice(sorted(cluster.cores))
        conn = rng.choice(["a", "b"])
        roll = rng.random()
        handle = handles.get((node, conn))
        if handle is None:
            opened = cluster.call(node, conn, ChannelOpen("ch", True, True, True))
            if isinstance(opened, ChannelOpened):
                handles[(node, conn)] = opened.handle
        elif roll < 0.15:
            sub = Subscribe(handle, rng.choice(FILTERS), rng.randint(1, 3))
            cluster.request(node, conn, sub)
        elif roll < 0.6:
            event = Publish(handle, rng.choice(PATTERNS), rng.randint(0, 3),
                            rng.choice([0.0, 5.0]), data=b"%d" % i)  # fmt: skip
            cluster.request(node, conn, event, flush=rng.random() < 0.7)
        elif roll < 0.8:
            drain(cluster, node, conn)
        elif roll < 0.88:
            live = sorted(cluster.cores)
            rng.shuffle(live)
            cut = rng.randint(1, len(live))
            groups = [g for g in (live[:cut], live[cut:]) if g]
            cluster.partition(*groups, deliver_pending=rng.random() < 0.5)
        elif roll < 0.95:
            cluster.merge()
        else:
            cluster.advance(2.0)
    cluster.merge()
    for node, conn in handles:
        drain(cluster, node, conn)
    assert check_event_delivery(cluster.log) == []
    views = {repr((c.state.channels, c.state.subscriptions)) for c in cluster.cores.values()}
    assert len(views) == 1
