"""EvtClient on a real 3-node cluster: an event published on one node reaches the subscribers
whose filters match on the others, retained events reach late subscribers, and a restarted
node gets the retained events back from the others."""

from __future__ import annotations

import threading

import pytest

from actors.ais.client import EvtClient
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evt.messages import Event, Filter, FilterType

pytestmark = pytest.mark.cluster

PREFIX, EXACT, SUFFIX = FilterType.PREFIX, FilterType.EXACT, FilterType.SUFFIX
ALL = FilterType.PASS_ALL


class Inbox:
    def __init__(self, config: str) -> None:
        self.events: list[Event] = []
        self.client = EvtClient(deliver=self.events.append, config=config)

    def patterns(self) -> list[tuple[bytes, ...]]:
        return [e.patterns for e in self.events]


def test_published_on_node1_delivered_by_filter_on_the_others(nodes):
    disk, net, pub = Inbox(nodes[2]), Inbox(nodes[3]), EvtClient(config=nodes[1])
    try:
        hd = disk.client.channel_open("alerts", create=True, subscriber=True)
        hn = net.client.channel_open("alerts", subscriber=True)
        disk.client.subscribe(hd, [Filter(PREFIX, b"disk/")])
        net.client.subscribe(hn, [Filter(EXACT, b"net/up"), Filter(SUFFIX, b"eth0")])
        hp = pub.channel_open("alerts", publisher=True)
        for patterns in ([b"disk/full"], [b"net/up", b"on eth0"], [b"net/up", b"on eth1"],
                         [b"cpu/hot"], [b"disk/slow", b"x"]):  # fmt: skip
            pub.publish(hp, patterns, b"payload", publisher_name="node1-app")
        nodes.pump(disk.client, lambda: len(disk.events) >= 2, "disk events on node2")
        nodes.pump(net.client, lambda: len(net.events) >= 1, "net event on node3")
        assert disk.patterns() == [(b"disk/full",), (b"disk/slow", b"x")]
        assert net.patterns() == [(b"net/up", b"on eth0")]
        assert disk.events[0].publisher_name == "node1-app" and disk.events[0].data == b"payload"
        assert disk.client.dispatch(0.5) == 0 and net.client.dispatch(0.5) == 0  # nothing more
        with pytest.raises(AisError) as info:
            pub.subscribe(hp, [Filter(ALL)])  # opened as publisher only
        assert info.value.code is AisErrorCode.ACCESS
        with pytest.raises(AisError) as info:
            pub.channel_open("no-such-channel", subscriber=True)
        assert info.value.code is AisErrorCode.NOT_EXIST
    finally:
        for c in (disk.client, net.client, pub):
            c.finalize()


def test_retained_events_reach_late_subscribers_and_a_restarted_node(nodes):
    pub = EvtClient(config=nodes[1])
    hp = pub.channel_open("retained", create=True, publisher=True)
    kept = pub.publish(hp, [b"config/changed"], b"v2", retention=300, priority=0)
    pub.publish(hp, [b"config/changed"], b"gone at once")  # retention 0: not kept
    late = Inbox(nodes[3])
    try:
        h = late.client.channel_open("retained", subscriber=True)
        late.client.subscribe(h, [Filter(PREFIX, b"config/")])
        nodes.pump(late.client, lambda: late.events, "the retained event")
        assert [(e.event_id, e.data, e.priority) for e in late.events] == [(kept, b"v2", 0)]
        nodes.kill(1)  # the publisher's node
        pub.finalize()
        nodes.kill(2)
        nodes.restart(2)
        nodes.restart(1)
        for number in (1, 2):  # restarted empty: the sync brought the retained event
            again = Inbox(nodes[number])
            try:
                h = again.client.channel_open("retained", subscriber=True)
                again.client.subscribe(h, [Filter(ALL)])
                nodes.pump(again.client, lambda a=again: a.events, f"retained on node{number}")
                assert [e.event_id for e in again.events] == [kept]
            finally:
                again.client.finalize()
    finally:
        late.client.finalize()


def test_finalize_ends_a_call_in_flight_and_the_dispatch_thread_quietly(nodes):
    """A call waiting on an executive that died ends at `finalize` with BAD_HANDLE (not at its
    30 s timeout), and the dispatch thread ends with the connection."""
    client = EvtClient(config=nodes[2])
    handle = client.channel_open("in-flight", create=True, subscriber=True)
    thread = client.start_dispatch_thread()
    nodes.kill(2)  # nobody will answer the call below
    outcome: list[object] = []
    caller = threading.Thread(target=lambda: _capture(outcome, client.channel_close, handle))
    caller.start()
    nodes.wait_for(lambda: client._waiting, what="the call to be in flight")
    client.finalize()
    caller.join(10)
    thread.join(10)
    assert not caller.is_alive() and not thread.is_alive()
    assert isinstance(outcome[0], AisError) and outcome[0].code is AisErrorCode.BAD_HANDLE


def _capture(outcome: list[object], fn, *args) -> None:
    try:
        outcome.append(fn(*args))
    except AisError as exc:
        outcome.append(exc)
