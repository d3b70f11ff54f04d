"""CLM core: node list, views and tracking across scripted joins, partitions and restarts."""

from __future__ import annotations

from actors.ais.clm.core import ClmCore
from actors.ais.clm.messages import (
    ClusterChange,
    ClusterNodeGet,
    ClusterTrack,
    ClusterTrackStop,
    NotificationBuffer,
    TrackCallback,
    TrackFlags,
)
from actors.ais.effects import ClientRequest, Reply
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.sync.harness import Cluster

CURRENT, CHANGES, CHANGES_ONLY = TrackFlags.CURRENT, TrackFlags.CHANGES, TrackFlags.CHANGES_ONLY
NO_CHANGE, JOINED, LEFT, RECONFIGURED = (
    ClusterChange.NO_CHANGE,
    ClusterChange.JOINED,
    ClusterChange.LEFT,
    ClusterChange.RECONFIGURED,
)

boots: dict[int, float] = {}


def make(node: int) -> ClmCore:
    boots[node] = boots.get(node, 0.0) + 1.0  # a restart boots later
    return ClmCore(node, f"n{node}", f"10.0.0.{node}", boots[node])


def cluster(*nodes: int) -> Cluster:
    boots.clear()
    return Cluster(make, nodes)


def summary(buffer: NotificationBuffer) -> list[tuple[int, ClusterChange, bool]]:
    return [(n.node.node_id, n.change, n.node.member) for n in buffer.notifications]


def tracked(c: Cluster, node: int, conn: str) -> list[TrackCallback]:
    return [cb for cb in c.take_callbacks(node, conn) if isinstance(cb, TrackCallback)]


def test_current_view_lists_every_member_identically() -> None:
    c = cluster(1, 2, 3)
    views = [c.call(n, "c", ClusterTrack(CURRENT)) for n in (1, 2, 3)]
    assert views[0] == views[1] == views[2]
    assert summary(views[0]) == [(1, NO_CHANGE, True), (2, NO_CHANGE, True), (3, NO_CHANGE, True)]
    assert views[0].view_number == c.cores[1].sync.ring_id.seq
    node = c.call(1, "c", ClusterNodeGet(3))
    assert (node.node_id, node.name, node.address, node.member) == (3, "n3", "10.0.0.3", True)
    assert c.call(2, "c", ClusterNodeGet()).node_id == 2


def test_changes_reports_whole_view_changes_only_just_the_difference() -> None:
    c = cluster(1, 2, 3)
    assert c.call(1, "all", ClusterTrack(CHANGES)) is None
    assert c.call(1, "diff", ClusterTrack(CHANGES_ONLY)) is None
    before = c.cores[1].view_number
    c.partition([1, 2], [3])
    [whole] = tracked(c, 1, "all")
    [diff] = tracked(c, 1, "diff")
    assert summary(whole.buffer) == [(1, NO_CHANGE, True), (2, NO_CHANGE, True), (3, LEFT, False)]
    assert summary(diff.buffer) == [(3, LEFT, False)]
    assert whole.number_of_members == diff.number_of_members == 2
    assert whole.buffer.view_number > before
    c.merge()
    [whole] = tracked(c, 1, "all")
    assert summary(whole.buffer) == [(1, NO_CHANGE, True), (2, NO_CHANGE, True), (3, JOINED, True)]
    assert [n.node.node_id for n in tracked(c, 1, "diff")[0].buffer.notifications] == [3]


def test_views_agree_after_merge_and_only_grow() -> None:
    c = cluster(1, 2, 3, 4)
    c.partition([1, 2], [3, 4])
    assert c.cores[1].nodes.keys() == {1, 2} and c.cores[3].nodes.keys() == {3, 4}
    c.merge()
    views = {n: core.view_number for n, core in c.cores.items()}
    assert len(set(views.values())) == 1
    assert all(core.nodes == c.cores[1].nodes for core in c.cores.values())


def test_restarted_node_is_reported_reconfigured_or_left_and_joined() -> None:
    c = cluster(1, 2)
    c.call(1, "t", ClusterTrack(CHANGES_ONLY))
    c.crash(2)
    assert summary(tracked(c, 1, "t")[0].buffer) == [(2, LEFT, False)]
    c.restart(2)
    c.merge()
    [joined] = tracked(c, 1, "t")
    assert summary(joined.buffer) == [(2, JOINED, True)]
    assert joined.buffer.notifications[0].node.boot_timestamp == 2.0
    # a restart that totem never noticed (same ring members) shows as RECONFIGURED
    c.cores[2] = make(2)
    c.merge()
    assert summary(tracked(c, 1, "t")[0].buffer) == [(2, RECONFIGURED, True)]


def test_track_errors_and_stop() -> None:
    c = cluster(1, 2)
    result = c.call(1, "t", ClusterTrack(CHANGES | CHANGES_ONLY))
    assert isinstance(result, AisError) and result.code is AisErrorCode.BAD_FLAGS
    assert isinstance(c.call(1, "t", ClusterTrackStop()), AisError)
    assert c.call(1, "t", ClusterTrack(CURRENT | CHANGES, current_via_callback=True)) is None
    [current] = tracked(c, 1, "t")
    assert current.number_of_members == 2
    assert c.call(1, "t", ClusterTrackStop()) is None
    c.partition([1], [2])
    assert tracked(c, 1, "t") == []
    c.close(1, "u")
    result = c.call(1, "t", ClusterNodeGet(2))
    assert isinstance(result, AisError) and result.code is AisErrorCode.NOT_EXIST


def test_before_the_first_view_requests_answer_try_again() -> None:
    core = ClmCore(1)
    [reply] = core.handle(ClientRequest("c", 1, ClusterTrack(CURRENT)))
    assert isinstance(reply, Reply) and reply.result.code is AisErrorCode.TRY_AGAIN
    [reply] = core.handle(ClientRequest("c", 2, ClusterNodeGet()))
    assert reply.result.code is AisErrorCode.TRY_AGAIN
    [reply] = core.handle(ClientRequest("c", 3, ClusterTrack(CHANGES)))
    assert reply.ok and core.trackers == {"c": CHANGES}
