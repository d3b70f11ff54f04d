"""The MSG delivery checker: it catches a duplicate, and random runs of the core pass it."""

from __future__ import annotations

import random

import pytest

from actors.ais.msg.checker import check_message_delivery
from actors.ais.msg.core import MsgCore
from actors.ais.msg.messages import (
    GroupCreate,
    GroupInsert,
    GroupPolicy,
    Message,
    MessageGet,
    MessageSend,
    QueueAttributes,
    QueueOpen,
    QueueOpened,
    ReceivedMessage,
)
from actors.ais.sync.harness import Cluster

ATTRS = QueueAttributes((10_000,) * 4, persistent=True)


def open_queues(cluster: Cluster) -> dict[int, int]:
    handles = {}
    for node in sorted(cluster.cores):
        opened = cluster.call(node, "r", QueueOpen(f"q{node}", ATTRS, create=True))
        if isinstance(opened, QueueOpened):
            handles[node] = opened.handle
    return handles


def test_checker_catches_a_message_received_twice() -> None:
    cluster = Cluster(MsgCore, [1, 2])
    handles = open_queues(cluster)
    assert cluster.call(2, "s", MessageSend("q1", Message(b"once"))) is None
    assert check_message_delivery(cluster.log, [1, 2], expect_all=True) != []  # not received yet
    assert isinstance(cluster.call(1, "r", MessageGet(handles[1], 0.0)), ReceivedMessage)
    assert check_message_delivery(cluster.log, [1, 2], expect_all=True) == []
    for core in cluster.cores.values():  # put the message back behind the service's back
        q = next(q for q in core.state.queues.values() if q.name == "q1")
        q.messages.append(_last(cluster))
    cluster.call(1, "r", MessageGet(handles[1], 0.0))
    assert len(check_message_delivery(cluster.log, [1, 2])) == 1


def _last(cluster: Cluster):
    """The stored form of the message node 1 received (rebuilt from its reply)."""
    from actors.ais.msg.core import Stored

    reply = [r for r in cluster.replies.values() if isinstance(r, ReceivedMessage)][-1]
    return Stored(reply.message, reply.message_id, reply.send_time, reply.sender_id)


@pytest.mark.parametrize("seed", range(5))
def test_random_runs_deliver_exactly_once(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [1, 2, 3, 4]
    cluster = Cluster(MsgCore, nodes)
    handles = open_queues(cluster)
    cluster.call(1, "admin", GroupCreate("rr", GroupPolicy.ROUND_ROBIN))
    for n in nodes:
        cluster.call(1, "admin", GroupInsert("rr", f"q{n}"))
    for i in range(120):
        live = sorted(cluster.cores)
        node = rng.choice(live)
        roll = rng.random()
        flush = rng.random() < 0.7
        if roll < 0.4:
            dest = rng.choice(["rr", *(f"q{n}" for n in nodes)])
            cluster.request(node, "s", MessageSend(dest, Message(b"m%d" % i)), flush)
        elif roll < 0.75 and node in handles:
            cluster.request(node, "r", MessageGet(handles[node], 0.0), flush)
        elif roll < 0.83:
            rng.shuffle(live)
            cut = rng.randint(1, len(live))
            groups = [g for g in (live[:cut], live[cut:]) if g]
            cluster.partition(*groups, deliver_pending=rng.random() < 0.5, flush=flush)
        elif roll < 0.93:
            cluster.merge(flush=flush)
        elif roll < 0.96 and len(live) > 3:
            cluster.crash(node)
            handles.pop(node, None)
        elif len(live) < len(nodes):
            back = rng.choice([n for n in nodes if n not in live])
            cluster.restart(back)
    cluster.merge()
    for node in sorted(cluster.cores):  # reopen what was lost with a node, then drain all
        for n in nodes:
            opened = cluster.call(node, "drain", QueueOpen(f"q{n}"))
            if isinstance(opened, QueueOpened):
                while isinstance(cluster.call(node, "drain", MessageGet(opened.handle, 0.0)),
                                 ReceivedMessage):  # fmt: skip
                    pass
        for n, h in handles.items():
            if n == node:
                while isinstance(cluster.call(node, "r", MessageGet(h, 0.0)), ReceivedMessage):
                    pass
    assert check_message_delivery(cluster.log, nodes, expect_all=True) == []
    views = {repr(sorted((q.name, q.messages) for q in c.state.queues.values()))
             for c in cluster.cores.values()}  # fmt: skip
    assert len(views) == 1
