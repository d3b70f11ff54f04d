"""MSG core on a scripted cluster: queues, gets, send-receive, groups, thresholds, merge."""

from __future__ import annotations

import pytest

from actors.ais.errors import (
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_BUSY,
    SA_AIS_ERR_EXIST,
    SA_AIS_ERR_INTERRUPT,
    SA_AIS_ERR_NOT_EXIST,
    SA_AIS_ERR_QUEUE_FULL,
    SA_AIS_ERR_QUEUE_NOT_AVAILABLE,
    SA_AIS_ERR_TIMEOUT,
    AisError,
)
from actors.ais.msg.core import MsgCore
from actors.ais.msg.messages import (
    CapacityThresholdSet,
    GroupChange,
    GroupChanged,
    GroupCreate,
    GroupInsert,
    GroupMember,
    GroupMembers,
    GroupPolicy,
    GroupRemove,
    GroupTrack,
    Message,
    MessageCancel,
    MessageGet,
    MessageReceived,
    MessageReply,
    MessageSend,
    MessageSendReceive,
    QueueAttributes,
    QueueClose,
    QueueOpen,
    QueueOpened,
    QueueStatusGet,
    QueueUnlink,
    ReceivedMessage,
    TrackFlags,
)
from actors.ais.sync.harness import Cluster

ATTRS = QueueAttributes((100, 100, 100, 10), retention=5.0)


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(MsgCore, [1, 2, 3])


def code(result: object):
    assert isinstance(result, AisError), result
    return result.code


def open_q(c: Cluster, node: int, conn: str, name: str, attrs=ATTRS, **kw) -> int:
    opened = c.call(node, conn, QueueOpen(name, attrs, create=attrs is not None, **kw))
    assert isinstance(opened, QueueOpened), opened
    return opened.handle


def get(c: Cluster, node: int, conn: str, handle: int, timeout: float | None = 0.0) -> object:
    return c.call(node, conn, MessageGet(handle, timeout))


def send(c: Cluster, node: int, dest: str, data: bytes, priority: int = 3) -> object:
    return c.call(node, "sender", MessageSend(dest, Message(data, priority)))


def test_send_and_get_by_priority_then_age(cluster: Cluster) -> None:
    h = open_q(cluster, 1, "r", "q")
    assert send(cluster, 2, "q", b"low") is None
    assert send(cluster, 3, "q", b"high", 0) is None
    assert send(cluster, 2, "q", b"low2") is None
    got = [get(cluster, 1, "r", h).message.data for _ in range(3)]
    assert got == [b"high", b"low", b"low2"]
    assert code(get(cluster, 1, "r", h)) is SA_AIS_ERR_TIMEOUT
    assert code(send(cluster, 2, "nope", b"x")) is SA_AIS_ERR_NOT_EXIST


def test_open_rules(cluster: Cluster) -> None:
    open_q(cluster, 1, "r", "q")
    assert code(cluster.call(2, "s", QueueOpen("q"))) is SA_AIS_ERR_BUSY
    assert code(cluster.call(2, "s", QueueOpen("none"))) is SA_AIS_ERR_NOT_EXIST
    other = QueueAttributes((1, 1, 1, 1))
    open_q(cluster, 1, "r", "q2")
    cluster.call(1, "r", QueueClose(2))
    assert code(cluster.call(2, "s", QueueOpen("q2", other, create=True))) is SA_AIS_ERR_EXIST


def test_waiting_get_is_served_by_a_later_send_or_times_out(cluster: Cluster) -> None:
    h = open_q(cluster, 1, "r", "q")
    rid = cluster.request(1, "r", MessageGet(h, 10.0))
    assert not cluster.has_reply(1, "r", rid)
    send(cluster, 3, "q", b"hello")
    assert cluster.reply(1, "r", rid).message.data == b"hello"
    rid = cluster.request(1, "r", MessageGet(h, 10.0))
    cluster.advance(11.0)
    assert code(cluster.reply(1, "r", rid)) is SA_AIS_ERR_TIMEOUT
    rid = cluster.request(1, "r", MessageGet(h, None))
    assert cluster.call(1, "r", MessageCancel(h)) is None
    assert code(cluster.reply(1, "r", rid)) is SA_AIS_ERR_INTERRUPT


def test_queue_full_per_priority_and_capacity_thresholds(cluster: Cluster) -> None:
    h = open_q(cluster, 1, "r", "q")
    assert send(cluster, 2, "q", b"x" * 10) is None
    assert code(send(cluster, 2, "q", b"y")) is SA_AIS_ERR_QUEUE_FULL
    assert send(cluster, 2, "q", b"y", 0) is None
    cluster.call(1, "r", CapacityThresholdSet(h, (20, 0, 0, 0), (5, 0, 0, 0)))
    cluster.call(1, "r", GroupCreate("g", GroupPolicy.ROUND_ROBIN))
    cluster.call(1, "r", GroupInsert("g", "q"))
    cluster.call(2, "t", GroupTrack("g", TrackFlags.CHANGES_ONLY))
    assert send(cluster, 2, "q", b"z" * 20, 0) is None
    assert code(send(cluster, 2, "q", b"z", 0)) is SA_AIS_ERR_QUEUE_FULL  # threshold reached
    assert cluster.take_callbacks(2, "t") == [
        GroupChanged(
            "g", GroupPolicy.ROUND_ROBIN, (GroupMember("q", GroupChange.STATE_CHANGED, False),)
        )
    ]
    get(cluster, 1, "r", h)
    get(cluster, 1, "r", h)  # priority 0 area down to 0 bytes: available again
    assert send(cluster, 2, "q", b"z", 0) is None
    assert len(cluster.take_callbacks(2, "t")) == 1
    status = cluster.call(3, "x", QueueStatusGet("q"))
    assert status.used == (1, 0, 0, 10) and status.messages == (1, 0, 0, 1)


def test_send_receive_and_reply(cluster: Cluster) -> None:
    h = open_q(cluster, 1, "r", "q")
    rid = cluster.request(2, "s", MessageSendReceive("q", Message(b"ping"), 5.0))
    got = get(cluster, 1, "r", h)
    assert isinstance(got, ReceivedMessage) and got.sender_id is not None
    assert cluster.call(1, "r", MessageReply(got.sender_id, Message(b"pong"))) is None
    assert cluster.reply(2, "s", rid).message.data == b"pong"
    assert code(cluster.call(1, "r", MessageReply(got.sender_id, Message(b"again")))) is (
        SA_AIS_ERR_NOT_EXIST
    )
    rid = cluster.request(2, "s", MessageSendReceive("q", Message(b"ping"), 5.0))
    cluster.advance(6.0)
    assert code(cluster.reply(2, "s", rid)) is SA_AIS_ERR_TIMEOUT


def test_group_policies(cluster: Cluster) -> None:
    roomy = QueueAttributes((100,) * 4)
    handles = {n: open_q(cluster, n, "r", f"q{n}", roomy) for n in (1, 2, 3)}
    for name, policy in (("rr", GroupPolicy.ROUND_ROBIN), ("lrr", GroupPolicy.LOCAL_ROUND_ROBIN),
                         ("all", GroupPolicy.BROADCAST)):  # fmt: skip
        cluster.call(1, "admin", GroupCreate(name, policy))
        for n in (1, 2, 3):
            assert cluster.call(1, "admin", GroupInsert(name, f"q{n}")) is None
    assert code(cluster.call(1, "admin", GroupInsert("rr", "q1"))) is SA_AIS_ERR_EXIST
    for i in range(4):
        send(cluster, 1, "rr", b"rr%d" % i)
    send(cluster, 2, "lrr", b"local")
    send(cluster, 2, "lrr", b"local2")
    send(cluster, 3, "all", b"everyone")

    def drain(n: int) -> list[bytes]:
        out = []
        while isinstance(m := get(cluster, n, "r", handles[n]), ReceivedMessage):
            out.append(m.message.data)
        return out

    assert drain(1) == [b"rr0", b"rr3", b"everyone"]
    assert drain(2) == [b"rr1", b"local", b"local2", b"everyone"]
    assert drain(3) == [b"rr2", b"everyone"]
    members = cluster.call(3, "t", GroupTrack("rr", TrackFlags.CURRENT))
    assert isinstance(members, GroupMembers) and len(members.members) == 3
    for n in (1, 2, 3):
        cluster.call(n, "r", QueueClose(handles[n]))
    assert code(send(cluster, 1, "rr", b"x")) is SA_AIS_ERR_QUEUE_NOT_AVAILABLE
    cluster.call(1, "admin", GroupRemove("rr", "q1"))
    assert code(cluster.call(1, "admin", GroupRemove("rr", "q1"))) is SA_AIS_ERR_NOT_EXIST


def test_receive_callback_close_retention_and_unlink(cluster: Cluster) -> None:
    h = open_q(cluster, 1, "r", "q", receive_callback=True)
    send(cluster, 2, "q", b"kept")
    assert cluster.take_callbacks(1, "r") == [MessageReceived(h)]
    cluster.close(1, "r")  # the receiver dies: the queue is closed, its message kept
    assert code(get(cluster, 1, "r2", h)) is SA_AIS_ERR_BAD_HANDLE
    cluster.advance(4.0)
    h2 = open_q(cluster, 2, "r", "q", attrs=None)
    assert get(cluster, 2, "r", h2).message.data == b"kept"
    cluster.call(2, "r", QueueClose(h2))
    cluster.advance(6.0)
    assert code(cluster.call(3, "x", QueueOpen("q"))) is SA_AIS_ERR_NOT_EXIST
    persistent = QueueAttributes((10, 10, 10, 10), persistent=True)
    h = open_q(cluster, 1, "r", "p", attrs=persistent)
    cluster.call(1, "r", QueueClose(h))
    cluster.advance(100.0)
    assert cluster.call(2, "x", QueueUnlink("p")) is None
    assert all(not c.state.queues for c in cluster.cores.values())


def test_messages_survive_node_loss_and_partitions_merge_without_duplicates(cluster: Cluster):
    h = open_q(cluster, 1, "r", "q", attrs=QueueAttributes((100,) * 4, persistent=True))
    for data in (b"a", b"b", b"c"):
        send(cluster, 2, "q", data)
    cluster.partition([1], [2, 3])
    assert get(cluster, 1, "r", h).message.data == b"a"  # consumed on one side
    send(cluster, 3, "q", b"d")  # stored on the other side (queue closed there)
    cluster.merge()
    got = []
    while isinstance(m := get(cluster, 1, "r", h), ReceivedMessage):
        got.append(m.message.data)
    assert got == [b"b", b"c", b"d"]
    send(cluster, 2, "q", b"e")
    cluster.crash(2)
    assert get(cluster, 1, "r", h).message.data == b"e"
