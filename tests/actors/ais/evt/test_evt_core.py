"""EVT core on a scripted cluster: filters, retention, late subscribers, bounded queues, merge."""

from __future__ import annotations

import pytest

from actors.ais.errors import (
    SA_AIS_ERR_ACCESS,
    SA_AIS_ERR_EXIST,
    SA_AIS_ERR_INVALID_PARAM,
    SA_AIS_ERR_NOT_EXIST,
    AisError,
)
from actors.ais.evt.core import EvtCore
from actors.ais.evt.messages import (
    EVENT_ID_LOST,
    ChannelClose,
    ChannelOpen,
    ChannelOpened,
    ChannelUnlink,
    Event,
    EventGet,
    EventsAvailable,
    Filter,
    FilterType,
    Publish,
    Published,
    RetentionTimeClear,
    Subscribe,
    Unsubscribe,
    event_matches,
)
from actors.ais.sync.harness import Cluster

ALL = (Filter(FilterType.PASS_ALL),)


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(lambda n: EvtCore(n, queue_limit=3), [1, 2, 3])


def code(result: object):
    assert isinstance(result, AisError), result
    return result.code


def chan(c: Cluster, node: int, conn: str, name: str = "ch", **kw) -> int:
    kw.setdefault("create", True)
    opened = c.call(node, conn, ChannelOpen(name, **kw))
    assert isinstance(opened, ChannelOpened), opened
    return opened.handle


def drain(c: Cluster, node: int, conn: str) -> list[Event]:
    got = []
    while (event := c.call(node, conn, EventGet())) is not None:
        got.append(event)
    return got


def test_filter_kinds_and_pattern_counts() -> None:
    f = (Filter(FilterType.PREFIX, b"ab"), Filter(FilterType.SUFFIX, b"yz"))
    assert event_matches(f, (b"abc", b"xyz"))
    assert event_matches(f, (b"abc", b"xyz", b"extra"))
    assert not event_matches(f, (b"abc",))
    assert not event_matches(f, (b"zab", b"xyz"))
    assert event_matches((Filter(FilterType.EXACT, b"a"), *ALL), (b"a", b"anything"))
    assert not event_matches((Filter(FilterType.EXACT, b"a"),), (b"ab",))


def test_publish_reaches_matching_subscribers_on_every_node(cluster: Cluster) -> None:
    hs2 = chan(cluster, 2, "s", subscriber=True)
    hs3 = chan(cluster, 3, "s", subscriber=True)
    cluster.call(2, "s", Subscribe(hs2, (Filter(FilterType.PREFIX, b"disk"),), 7))
    cluster.call(3, "s", Subscribe(hs3, ALL, 8))
    hp = chan(cluster, 1, "p", publisher=True)
    ok = cluster.call(1, "p", Publish(hp, (b"disk-full",), 1, 0.0, "pub", b"d1"))
    assert isinstance(ok, Published) and ok.event_id >= 1000
    cluster.call(1, "p", Publish(hp, (b"net-down",), 2, 0.0, "pub", b"d2"))
    assert cluster.take_callbacks(2, "s") == [EventsAvailable()]
    [got] = drain(cluster, 2, "s")
    assert (got.subscription_id, got.event_id, got.data, got.publisher_name) == (
        7,
        ok.event_id,
        b"d1",
        "pub",
    )
    assert [e.data for e in drain(cluster, 3, "s")] == [b"d1", b"d2"]


def test_access_and_parameter_errors(cluster: Cluster) -> None:
    assert code(cluster.call(1, "a", ChannelOpen("none"))) is SA_AIS_ERR_NOT_EXIST
    h = chan(cluster, 1, "a")
    assert code(cluster.call(1, "a", Publish(h, (b"x",)))) is SA_AIS_ERR_ACCESS
    assert code(cluster.call(1, "a", Subscribe(h, ALL, 1))) is SA_AIS_ERR_ACCESS
    hp = chan(cluster, 1, "b", publisher=True, subscriber=True)
    assert code(cluster.call(1, "b", Publish(hp, (b"x",), priority=4))) is SA_AIS_ERR_INVALID_PARAM
    assert cluster.call(1, "b", Subscribe(hp, ALL, 1)) is None
    assert code(cluster.call(1, "b", Subscribe(hp, ALL, 1))) is SA_AIS_ERR_EXIST
    assert cluster.call(1, "b", Unsubscribe(hp, 1)) is None
    assert code(cluster.call(1, "b", Unsubscribe(hp, 1))) is SA_AIS_ERR_NOT_EXIST
    assert code(cluster.call(1, "b", RetentionTimeClear(hp, 5))) is SA_AIS_ERR_INVALID_PARAM
    assert code(cluster.call(1, "b", RetentionTimeClear(hp, 5000))) is SA_AIS_ERR_NOT_EXIST


def test_retained_events_reach_late_subscribers_until_they_expire(cluster: Cluster) -> None:
    hp = chan(cluster, 1, "p", publisher=True)
    kept = cluster.call(1, "p", Publish(hp, (b"a",), retention=10.0, data=b"kept"))
    cluster.call(1, "p", Publish(hp, (b"b",), retention=10.0, data=b"other pattern"))
    cleared = cluster.call(1, "p", Publish(hp, (b"a",), retention=10.0, data=b"cleared"))
    cluster.call(1, "p", Publish(hp, (b"a",), data=b"not retained"))
    assert cluster.call(1, "p", RetentionTimeClear(hp, cleared.event_id)) is None
    hs = chan(cluster, 3, "s", subscriber=True)
    cluster.call(3, "s", Subscribe(hs, (Filter(FilterType.EXACT, b"a"),), 1))
    assert [e.event_id for e in drain(cluster, 3, "s")] == [kept.event_id]
    cluster.advance(11.0)
    hs2 = chan(cluster, 2, "s", subscriber=True)
    cluster.call(2, "s", Subscribe(hs2, ALL, 1))
    assert drain(cluster, 2, "s") == []


def test_full_queue_drops_lowest_priority_and_owes_a_lost_event(cluster: Cluster) -> None:
    hs = chan(cluster, 2, "s", subscriber=True)
    cluster.call(2, "s", Subscribe(hs, ALL, 1))
    hp = chan(cluster, 1, "p", publisher=True)
    for priority, data in ((3, b"low1"), (1, b"mid"), (3, b"low2"), (0, b"top"), (3, b"low3")):
        cluster.call(1, "p", Publish(hp, (b"x",), priority=priority, data=data))
    got = drain(cluster, 2, "s")
    assert got[0].event_id == EVENT_ID_LOST
    assert [e.data for e in got[1:]] == [b"top", b"mid", b"low1"]
    assert cluster.take_callbacks(2, "s") == [EventsAvailable()]


def test_unlink_keeps_channel_for_openers_and_close_deletes_it(cluster: Cluster) -> None:
    h = chan(cluster, 1, "a", publisher=True, subscriber=True)
    assert cluster.call(2, "b", ChannelUnlink("ch")) is None
    assert code(cluster.call(2, "b", ChannelUnlink("ch"))) is SA_AIS_ERR_NOT_EXIST
    assert code(cluster.call(2, "b", ChannelOpen("ch"))) is SA_AIS_ERR_NOT_EXIST
    cluster.call(1, "a", Subscribe(h, ALL, 1))
    cluster.call(1, "a", Publish(h, (b"x",), data=b"still works"))
    assert [e.data for e in drain(cluster, 1, "a")] == [b"still works"]
    cluster.call(1, "a", ChannelClose(h))
    assert all(not c.state.channels for c in cluster.cores.values())


def test_merge_unions_retained_events_and_fuses_same_named_channels(cluster: Cluster) -> None:
    cluster.partition([1], [2, 3])
    h1 = chan(cluster, 1, "p", publisher=True)
    h2 = chan(cluster, 2, "p", publisher=True)
    e1 = cluster.call(1, "p", Publish(h1, (b"a",), retention=50.0, data=b"one"))
    e2 = cluster.call(2, "p", Publish(h2, (b"a",), retention=50.0, data=b"two"))
    assert e1.event_id != e2.event_id
    cluster.merge()
    hs = chan(cluster, 3, "s", subscriber=True)
    cluster.call(3, "s", Subscribe(hs, ALL, 1))
    assert sorted(e.data for e in drain(cluster, 3, "s")) == [b"one", b"two"]
    assert all(len(c.state.channels) == 1 for c in cluster.cores.values())
    cluster.call(2, "p", RetentionTimeClear(h2, e1.event_id))  # via the other side's handle
    views = {repr(c.state.channels) for c in cluster.cores.values()}
    assert len(views) == 1
