"""The registry is the same on every node: changes in agreed order, the newest copy adopted
when fencers join, nothing lost to a change made while copies are compared (cores over a
lossless agreed-order network, by hand)."""

from __future__ import annotations

from test_fencer_core import Cluster

from actors.ais.client.group import GroupView
from actors.ais.cpg.messages import CpgAddress, CpgMember, CpgReason
from fencing.cpg_peers import membership
from fencing.device import make_device
from fencing.messages import (
    ChangeRegistry,
    DeviceAdded,
    DeviceRemoved,
    FenceRequest,
    HistorySync,
    LevelAdded,
    Membership,
    Send,
)
from fencing.topology import make_level


def registries(c: Cluster, *nodes: str) -> list[tuple]:
    return [
        (c.cores[n].registry.version, c.cores[n].registry.digest(), sorted(c.cores[n].devices))
        for n in nodes
    ]


def change(c: Cluster, node: str, what, client: str = "client"):
    c.tell(node, ChangeRegistry(what, client))
    return c.replies.pop(client)


def view(c: Cluster, nodes: tuple[str, ...], joined: tuple[str, ...]) -> None:
    """A view, as CPG gives it: the same at every member, the joiners listed."""
    c.up = set(nodes)
    for node in nodes:
        c.queue.append((node, Membership(nodes, joined)))
    c.run()


def test_a_change_reaches_every_member_and_is_answered_once_applied():
    c = Cluster("A", "B", "C")
    pdu = make_device("pdu", "fence_x", {"pcmk_host_list": "C"})
    assert change(c, "B", DeviceAdded(pdu)) == [pdu]
    assert change(c, "C", LevelAdded(make_level("C", 1, "pdu"))) == [make_level("C", 1, "pdu")]
    assert change(c, "A", DeviceRemoved("nope")) == [False]  # nothing changed: same version
    assert registries(c, "A", "B", "C") == [registries(c, "A")[0]] * 3
    assert c.cores["A"].registry.version == 2 and c.cores["C"].levels[0].devices == ("pdu",)


def test_a_node_that_was_down_adopts_the_newer_registry_when_it_comes_back():
    c = Cluster("A", "B", "C")
    change(c, "A", DeviceAdded(make_device("pdu", "fence_x", {"pcmk_host_list": "C"})))
    view(c, ("A", "B"), ())  # C is gone
    change(c, "B", DeviceAdded(make_device("ipmi", "fence_x", {"pcmk_host_list": "A"})))
    change(c, "A", DeviceRemoved("pdu"))
    assert c.cores["C"].registry.version == 1  # what C had on disk
    view(c, ("A", "B", "C"), ("C",))
    assert registries(c, "A", "B", "C") == [(3, registries(c, "A")[0][1], ["ipmi"])] * 3


def test_the_newest_copy_wins_after_a_partition_and_a_tie_goes_by_digest():
    c = Cluster("A", "B", "C")
    view(c, ("A", "B"), ())  # partition: C alone changes as much as A and B do
    change(c, "A", DeviceAdded(make_device("left", "fence_x", {"pcmk_host_list": "C"})))
    c.up = {"C"}
    c.tell("C", Membership(("C",), ()))
    change(c, "C", DeviceAdded(make_device("right", "fence_x", {"pcmk_host_list": "A"})))
    sides = {n: c.cores[n].registry.digest() for n in ("A", "C")}
    view(c, ("A", "B", "C"), ("A", "B", "C"))
    winner = max(sides.values())
    assert [r[:2] for r in registries(c, "A", "B", "C")] == [(1, winner)] * 3


def test_a_change_made_while_copies_are_compared_is_applied_afterwards_everywhere():
    c = Cluster("A", "B", "C")
    view(c, ("A", "B"), ())
    change(c, "A", DeviceAdded(make_device("ipmi", "fence_x", {"pcmk_host_list": "A"})))
    pdu = make_device("pdu", "fence_x", {"pcmk_host_list": "C"})
    # C comes back with an older copy. A broadcasts before it sees the view; the update is
    # delivered after it, before the copies: applied there, C would keep its own change on its
    # old copy, or lose it. Dropped everywhere instead, and sent again by A afterwards.
    c.queue.append(("A", ChangeRegistry(DeviceAdded(pdu), "client")))
    c.up = {"A", "B", "C"}
    for node in ("A", "B", "C"):
        c.queue.append((node, Membership(("A", "B", "C"), ("C",))))
    c.run()
    assert c.replies.pop("client") == [pdu]
    assert registries(c, "A", "B", "C") == [(2, registries(c, "A")[0][1], ["ipmi", "pdu"])] * 3
    # asked while comparing: held by the origin until the copies are in
    c.queue.extend((n, Membership(("A", "B", "C"), ("A",))) for n in "BAC")
    c.queue.append(("B", ChangeRegistry(DeviceRemoved("pdu"), "client")))
    c.run()
    assert c.replies.pop("client") == [True]
    assert registries(c, "A", "B", "C") == [(3, registries(c, "A")[0][1], ["ipmi"])] * 3


def test_a_member_that_leaves_while_copies_are_compared_is_not_waited_for():
    c = Cluster("A", "B", "C")
    c.up = {"A", "B"}  # C's fencer dies before its copy is sent
    for node in ("A", "B"):
        c.tell(node, Membership(("A", "B", "C"), ("C",)))
    assert c.cores["A"].registry.syncing
    view(c, ("A", "B"), ())
    assert not c.cores["A"].registry.syncing
    pdu = make_device("pdu", "fence_x", {"pcmk_host_list": "C"})
    assert change(c, "A", DeviceAdded(pdu)) == [pdu]


def test_a_member_that_leaves_mid_query_is_not_waited_for():
    c = Cluster("A", "B", "C")
    c.device("A", "pdu", pcmk_host_list="C")
    c.up.discard("B")  # B's fencer is gone, the view does not say so yet
    c.tell("A", FenceRequest("C", "off", "client"))
    assert "client" not in c.replies  # waiting for B
    view(c, ("A", "C"), ())
    [event] = c.replies["client"]
    assert event.ok and event.executor == "A"


def test_a_fencer_restarted_on_the_same_node_gets_the_history():
    c = Cluster("A", "B", "C")
    c.device("A", "pdu", pcmk_host_list="C")
    event = c.fence("A", "C")
    effects = c.cores["A"].handle(Membership(("A", "B", "C"), ("B",)), c.now)
    assert Send("B", HistorySync((event,))) in effects  # same nodes, B's fencer is new


def test_group_views_become_memberships_with_node_names():
    members = (CpgMember(1, 10), CpgMember(3, 30), CpgMember(3, 31), CpgMember(4, 40))
    joined = (CpgAddress(3, 31, CpgReason.JOIN),)
    got = membership(GroupView("g", members, (), joined), {1: "n1", 3: "n3"})
    assert got == Membership(("n1", "n3", "node4"), ("n3",))
