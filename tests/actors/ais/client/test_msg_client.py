"""MsgClient on a real 3-node cluster: a queue group hands messages round-robin to queues
opened on three nodes, send_receive gets the receiver's reply, QUEUE_FULL and
QUEUE_NOT_AVAILABLE by name, and a restarted node gets the stored messages back."""

from __future__ import annotations

import threading

import pytest

from actors.ais.client import MsgClient
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.msg.messages import GroupChanged, GroupPolicy, Message, QueueAttributes, TrackFlags

pytestmark = pytest.mark.cluster

ROOMY = QueueAttributes((4096,) * 4)


def test_a_round_robin_group_spreads_messages_over_queues_on_three_nodes(nodes):
    changes: list[GroupChanged] = []
    workers = [MsgClient(config=nodes[i]) for i in (1, 2, 3)]
    sender = MsgClient(group_changed=changes.append, config=nodes[2])
    try:
        sender.group_create("pool", GroupPolicy.ROUND_ROBIN)
        with pytest.raises(AisError) as info:
            sender.send("pool", b"nobody yet")
        assert info.value.code is AisErrorCode.QUEUE_NOT_AVAILABLE
        sender.group_track("pool", TrackFlags.CHANGES_ONLY)
        handles = []
        for i, worker in enumerate(workers, 1):
            handles.append(worker.queue_open(f"pool-{i}", ROOMY, create=True))
            sender.group_insert("pool", f"pool-{i}")
        nodes.pump(sender, lambda: len(changes) >= 3, "three ADDED notices")
        assert [c.members[0].queue for c in changes[:3]] == ["pool-1", "pool-2", "pool-3"]
        for k in range(6):
            sender.send("pool", Message(b"job %d" % k, priority=1))
        got = {}
        for i, (worker, handle) in enumerate(zip(workers, handles, strict=True), 1):
            got[i] = [worker.get(handle, timeout=30).message.data for _ in range(2)]
            with pytest.raises(AisError) as info:
                worker.get(handle, timeout=0.2)
            assert info.value.code is AisErrorCode.TIMEOUT
        assert sorted(d for ds in got.values() for d in ds) == [b"job %d" % k for k in range(6)]
        assert got[1] == [b"job 0", b"job 3"]  # insertion order, one after the other
    finally:
        for c in (*workers, sender):
            c.finalize()


def test_send_receive_gets_the_reply_from_another_node(nodes):
    with MsgClient(config=nodes[1]) as asker, MsgClient(config=nodes[3]) as server:
        q = server.queue_open("rpc", ROOMY, create=True)
        answers = []
        thread = threading.Thread(
            target=lambda: answers.append(asker.send_receive("rpc", b"ping", timeout=60))
        )
        thread.start()
        request = server.get(q, timeout=60)
        assert request.message.data == b"ping" and request.sender_id is not None
        server.reply(request.sender_id, b"pong")
        thread.join(60)
        assert [a.message.data for a in answers] == [b"pong"]


def test_queue_full_and_busy_by_name(nodes):
    with MsgClient(config=nodes[2]) as owner, MsgClient(config=nodes[1]) as other:
        owner.queue_open("tiny", QueueAttributes((10, 10, 10, 10)), create=True)
        other.send("tiny", Message(b"12345678", priority=2))
        with pytest.raises(AisError) as info:
            other.send("tiny", Message(b"12345678", priority=2))
        assert info.value.code.name == "SA_AIS_ERR_QUEUE_FULL"
        other.send("tiny", Message(b"12345678", priority=3))  # another priority's area
        with pytest.raises(AisError) as info:
            other.queue_open("tiny")
        assert info.value.code.name == "SA_AIS_ERR_BUSY"
        assert owner.queue_status("tiny").messages == (0, 0, 1, 1)


def test_stored_messages_come_back_to_a_restarted_node(nodes):
    persistent = QueueAttributes((4096,) * 4, persistent=True)
    with MsgClient(config=nodes[2]) as sender:
        owner = MsgClient(config=nodes[1])
        owner.queue_open("kept", persistent, create=True)
        for k in range(3):
            sender.send("kept", b"m%d" % k)
        nodes.kill(1)  # the queue's opener's node: the queue is closed, its messages stay
        owner.finalize()
        nodes.kill(3)
        nodes.restart(3)
        nodes.restart(1)
        with MsgClient(config=nodes[3]) as reader:
            assert reader.queue_status("kept").messages == (0, 0, 0, 3)
            q = reader.queue_open("kept")
            assert [reader.get(q, timeout=30).message.data for _ in range(3)] == [
                b"m0",
                b"m1",
                b"m2",
            ]
