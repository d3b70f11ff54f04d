"""Quorum core: votequorum behaviour across scripted partitions, merges and timers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.ais.effects import ClientRequest, Multicast, Reply
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evs import ConfigurationChange, Delivery, RingId
from actors.ais.quorum.config import QuorumConfig
from actors.ais.quorum.core import QuorumCore
from actors.ais.quorum.messages import (
    GetInfo,
    GetQuorate,
    GetStatus,
    InfoFlags,
    NodeInfo,
    QuorumNotification,
    SetExpected,
    SetVotes,
    TrackFlags,
    TrackStart,
    TrackStop,
)
from actors.ais.sync.harness import Cluster
from actors.errors import UserError


def cluster(nodes: tuple[int, ...], **options: object) -> Cluster:
    config = QuorumConfig(nodes={n: 1 for n in nodes}, **options)  # type: ignore[arg-type]
    return Cluster(lambda n: QuorumCore(n, config), nodes)


def quorate(c: Cluster) -> dict[int, bool]:
    return {n: core.quorate for n, core in c.cores.items()}


def test_majority_partition_keeps_quorum_minority_loses_it() -> None:
    c = cluster((1, 2, 3, 4, 5))
    assert quorate(c) == dict.fromkeys(range(1, 6), True)
    c.partition([1, 2, 3], [4, 5])
    assert quorate(c) == {1: True, 2: True, 3: True, 4: False, 5: False}
    status = c.call(4, "q", GetStatus())
    assert (status.expected_votes, status.total_votes, status.quorum) == (5, 2, 3)
    c.merge()
    assert all(quorate(c).values())


def test_even_split_without_tie_breaker_loses_quorum_everywhere() -> None:
    c = cluster((1, 2, 3, 4))
    c.partition([1, 2], [3, 4])
    assert not any(quorate(c).values())


def test_auto_tie_breaker_lets_the_lowest_node_half_win() -> None:
    c = cluster((1, 2, 3, 4), auto_tie_breaker=True)
    c.partition([1, 2], [3, 4])
    assert quorate(c) == {1: True, 2: True, 3: False, 4: False}
    c.merge()
    c.partition([2, 3], [1, 4])
    assert quorate(c) == {1: True, 2: False, 3: False, 4: True}


def test_auto_tie_breaker_highest_and_list() -> None:
    c = cluster((1, 2, 3, 4), auto_tie_breaker=True, auto_tie_breaker_node="highest")
    c.partition([1, 2], [3, 4])
    assert quorate(c) == {1: False, 2: False, 3: True, 4: True}
    c = cluster((1, 2, 3, 4), auto_tie_breaker=True, auto_tie_breaker_node=(3, 1))
    c.partition([1, 2], [3, 4])
    assert quorate(c) == {1: False, 2: False, 3: True, 4: True}


def test_two_node_survivor_keeps_quorum_after_waiting_for_both() -> None:
    config = QuorumConfig(nodes={1: 1, 2: 1}, two_node=True)
    c = Cluster(lambda n: QuorumCore(n, config), [1])  # node 2 not up yet
    assert not c.cores[1].quorate  # wait_for_all is on with two_node
    assert InfoFlags.WAIT_FOR_ALL in c.cores[1].flags
    c.restart(2)
    c.merge()
    assert quorate(c) == {1: True, 2: True}
    c.partition([1], [2])
    assert quorate(c) == {1: True, 2: True}  # both: fencing decides, as with corosync
    assert c.call(1, "q", GetStatus()).quorum == 1


def test_wait_for_all_holds_quorum_until_every_node_was_seen() -> None:
    config = QuorumConfig(nodes={1: 1, 2: 1, 3: 1}, wait_for_all=True)
    c = Cluster(lambda n: QuorumCore(n, config), [1, 2])
    assert not any(quorate(c).values())  # 2 of 3 votes would be a majority, but not yet
    c.restart(3)
    c.merge()
    assert all(quorate(c).values())
    c.partition([1, 2], [3])
    assert quorate(c) == {1: True, 2: True, 3: False}
    c.crash(3)
    c.restart(3)  # a fresh node waits, until it joins the running partition
    assert not c.cores[3].quorate
    c.merge()
    assert all(quorate(c).values())


def test_last_man_standing_lowers_expected_votes_after_the_window() -> None:
    c = cluster((1, 2, 3, 4, 5), last_man_standing=True, last_man_standing_window=10.0)
    c.partition([1, 2, 3], [4, 5])
    c.advance(5.0)
    c.partition([1, 2], [3], [4, 5])  # the window restarts
    assert quorate(c) == {1: False, 2: False, 3: False, 4: False, 5: False}
    c.merge()
    c.partition([1, 2, 3], [4, 5])
    c.advance(10.0)
    assert c.call(1, "q", GetStatus()).expected_votes == 3
    c.partition([1, 2], [3], [4, 5])
    assert quorate(c)[1] and quorate(c)[2]
    c.advance(10.0)
    status = c.call(2, "q", GetStatus())
    assert (status.expected_votes, status.quorum) == (2, 2)
    assert InfoFlags.LAST_MAN_STANDING in status.flags
    c.merge()  # everyone back: the highest advertised expected votes win again
    assert c.call(3, "q", GetStatus()).expected_votes == 5


def test_last_man_standing_with_tie_breaker_goes_down_to_one() -> None:
    c = cluster((1, 2), last_man_standing=True, auto_tie_breaker=True)
    c.partition([1], [2])
    assert quorate(c) == {1: True, 2: False}
    c.advance(10.0)
    assert c.call(1, "q", GetStatus()).expected_votes == 1


def test_expected_votes_rise_with_votes_and_setexpected_lowers_them() -> None:
    c = cluster((1, 2, 3))
    assert c.call(1, "q", SetVotes(3)) is None  # node 1 now has 3 votes: total 5
    status = c.call(2, "q", GetStatus())
    assert (status.expected_votes, status.total_votes, status.quorum) == (5, 5, 3)
    result = c.call(2, "q", SetExpected(11))
    assert isinstance(result, AisError) and result.code is AisErrorCode.INVALID_PARAM
    assert c.call(2, "q", SetExpected(1)) is None  # cannot go below the votes present
    assert c.call(3, "q", GetStatus()).expected_votes == 5
    c.partition([1], [2, 3])
    assert quorate(c) == {1: True, 2: False, 3: False}
    assert c.call(2, "q", SetExpected(2)) is None
    assert quorate(c) == {1: True, 2: True, 3: True}


def test_tracking_notifies_changes_and_current() -> None:
    c = cluster((1, 2, 3))
    assert c.call(1, "t", TrackStart(TrackFlags.CURRENT | TrackFlags.CHANGES)) is None
    ring = c.cores[1].ring_id
    assert c.take_callbacks(1, "t") == [QuorumNotification(True, ring, (1, 2, 3))]
    c.partition([1], [2, 3])
    assert [(n.quorate, n.members) for n in c.take_callbacks(1, "t")] == [(False, (1,))]
    assert c.call(1, "t", TrackStop()) is None
    c.merge()
    assert c.take_callbacks(1, "t") == []
    assert isinstance(c.call(1, "t", TrackStop()), AisError)
    result = c.call(1, "t", TrackStart(TrackFlags.CHANGES | TrackFlags.CHANGES_ONLY))
    assert isinstance(result, AisError) and result.code is AisErrorCode.BAD_FLAGS


def test_getquorate_and_getinfo() -> None:
    c = cluster((1, 2, 3))
    assert c.call(2, "q", GetQuorate()) is True
    info = c.call(2, "q", GetInfo(3))
    assert (info.nodeid, info.member, info.votes, info.quorum) == (3, True, 1, 2)
    assert isinstance(c.call(2, "q", GetInfo(9)), AisError)
    assert isinstance(c.call(2, "q", SetVotes(1, nodeid=9)), AisError)


def test_newcomer_counts_only_once_its_info_arrives() -> None:
    config = QuorumConfig(nodes={1: 1, 2: 1, 3: 1})
    core = QuorumCore(1, config)
    effects = core.handle(ConfigurationChange("regular", RingId(1, 1), (1, 2), (1, 2)))
    assert effects[-1] == Multicast(NodeInfo(1, 1, 3, False, False))
    assert not core.quorate
    core.handle(Delivery(RingId(1, 1), 2, 1, NodeInfo(2, 1, 3, False, False)))
    assert core.quorate
    [reply] = core.handle(ClientRequest("c", 1, object()))
    assert isinstance(reply, Reply) and not reply.ok


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"nodes": {1: 1, 2: 1, 3: 1}, "two_node": True}, "two_node"),
        ({"expected_votes": 0}, "expected_votes"),
        ({}, "nodelist"),
        ({"nodes": {1: -1}}, "quorum_votes"),
        ({"nodes": {1: 1}, "auto_tie_breaker_node": "middle"}, "auto_tie_breaker_node"),
        ({"nodes": {1: 1}, "last_man_standing_window": 0}, "last_man_standing_window"),
    ],
)
def test_config_mistakes_name_the_field(options: dict, field: str) -> None:
    with pytest.raises(UserError, match=field):
        QuorumConfig(**options)


splits = st.lists(
    st.one_of(
        st.lists(st.integers(0, 3), min_size=5, max_size=5),  # side of each node 1..5
        st.just("merge"),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(splits, st.booleans(), st.booleans(), st.dictionaries(st.integers(1, 5), st.integers(0, 2)))
def test_no_split_brain_and_each_ring_agrees(
    script: list, atb: bool, wfa: bool, votes: dict[int, int]
) -> None:
    nodes = {n: votes.get(n, 1) for n in range(1, 6)}
    if not any(nodes.values()):
        nodes[1] = 1
    config = QuorumConfig(nodes=nodes, auto_tie_breaker=atb, wait_for_all=wfa)
    c = Cluster(lambda n: QuorumCore(n, config), list(nodes))
    for step in script:
        if step == "merge":
            c.merge()
        else:
            sides: dict[int, list[int]] = {}
            for node, side in zip(nodes, step, strict=True):
                sides.setdefault(side, []).append(node)
            c.partition(*sides.values())
        quorate_rings = 0
        for ring in c.rings:
            flags = {c.cores[n].quorate for n in ring.members}
            assert len(flags) == 1, f"ring {ring.members} disagrees"
            quorate_rings += flags == {True}
        assert quorate_rings <= 1
