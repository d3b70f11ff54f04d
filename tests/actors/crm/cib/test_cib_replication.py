"""The CIB replication core on a deterministic cluster: real CPG cores under it (the sync
harness's agreed delivery, partitions, merges, crashes), a disk per node that survives crashes,
random seeds. Checked: every member of a ring holds the same configuration once it is quiet;
versions never go back; merged partitions converge to the newest; no acknowledged change is
lost while the side that made it holds the newest configuration; a change refused on its node
changes nothing anywhere."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest

from actors.ais.client.group import GroupMessage, GroupView
from actors.ais.cpg.core import CpgCore
from actors.ais.cpg.messages import (
    ConfchgCallback,
    CpgMember,
    DeliverCallback,
    Join,
    Mcast,
)
from actors.ais.effects import Callback, ClientRequest, Multicast, Reply
from actors.ais.errors import AisError
from actors.ais.sync.harness import Cluster
from actors.crm.cib.edit import (
    EMPTY_CIB,
    CreatePrimitive,
    DeleteResource,
    ReplaceConfiguration,
    SetProperty,
)
from actors.crm.cib.messages import CIB_GROUP
from actors.crm.cib.replication import (
    Answer,
    Applied,
    CibReplica,
    LocalChange,
    Notify,
    Persist,
    Refused,
    Seat,
    rank,
    version_of,
)

CONN = "cib"


class CibNode:
    """One node: a CPG core and a CIB replica joined to the group through it, wired the way
    GroupLink and the CIB actor wire them. Requests from the harness (`Cluster.request`) are
    local changes; the replica's answers come back as the harness's replies."""

    def __init__(self, node: int, disk: dict, pid: int) -> None:
        self.node = node
        self.disk = disk
        self.cpg = CpgCore(node)
        self.replica = CibReplica(disk.get(node, EMPTY_CIB))
        self.member = CpgMember(node, pid)
        self.joined = False
        self.outbox: list[Multicast] = []
        self._sent: dict[int, Multicast] = {}
        self.notified: list[tuple] = []
        self._ids = 0

    def handle(self, event, now: float = 0.0) -> list:
        out: list = []
        if isinstance(event, ClientRequest) and event.conn != CONN:
            for eff in self.replica.handle(LocalChange(event.request_id, event.op)):
                self._replica_effect(eff, out, event.conn)
        else:
            self._cpg(event, out)
        self._pump(out)
        return out

    def _cpg(self, event, out: list) -> None:
        for eff in self.cpg.handle(event):
            if isinstance(eff, Multicast):
                out.append(eff)
            elif isinstance(eff, Reply) and eff.conn == CONN:
                if isinstance(eff.result, AisError):
                    self.outbox.insert(0, self._sent.pop(eff.request_id))  # TRY_AGAIN: resend
            elif isinstance(eff, Callback) and eff.conn == CONN:
                cb = eff.payload
                if isinstance(cb, DeliverCallback):
                    msg = GroupMessage(cb.group, cb.nodeid, cb.pid, cb.data)
                elif isinstance(cb, ConfchgCallback):
                    msg = GroupView(cb.group, cb.members, cb.left, cb.joined)
                else:
                    continue
                for r in self.replica.handle(msg):
                    self._replica_effect(r, out, None)

    def _replica_effect(self, eff, out: list, conn) -> None:
        if isinstance(eff, Multicast):
            self.outbox.append(eff)
        elif isinstance(eff, Answer):
            out.append(Reply(conn if conn is not None else "client", eff.request_id, eff.result))
        elif isinstance(eff, Persist):
            self.disk[self.node] = eff.xml
        elif isinstance(eff, Notify):
            self.notified.append((eff.version, eff.xml))

    def _pump(self, out: list) -> None:
        """Join once CPG serves requests, then hand it the replica's multicasts in order."""
        if not self.cpg.sync.accepting:
            return
        if not self.joined:
            self.joined = True
            self._ids += 1
            self.replica.handle(Seat(self.member))
            self._cpg(ClientRequest(CONN, self._ids, Join(CIB_GROUP, self.member.pid)), out)
        while self.outbox and self.cpg.sync.accepting:
            mcast = self.outbox.pop(0)
            self._ids += 1
            self._sent[self._ids] = mcast
            guarantee = "safe" if mcast.safe else "agreed"
            self._cpg(ClientRequest(CONN, self._ids, Mcast(mcast.payload, guarantee)), out)
            if self.outbox and self.outbox[0] is mcast:
                break  # refused: wait for the next event


class Harness:
    def __init__(self, n: int) -> None:
        self.disk: dict[int, str] = {}
        self.pids: dict[int, int] = {}
        self.cluster = Cluster(self._make, range(1, n + 1))
        self.acks: list[tuple[int, str, tuple]] = []  # (node, resource, version)
        self.history: dict[int, list[tuple]] = {}

    def _make(self, node: int) -> CibNode:
        self.pids[node] = self.pids.get(node, 0) + 1
        return CibNode(node, self.disk, 1000 + self.pids[node])

    def replica(self, node: int) -> CibReplica:
        return self.cluster.cores[node].replica

    def change(self, node: int, change, flush: bool = True) -> int:
        return self.cluster.request(node, "client", change, flush=flush)

    def result(self, node: int, rid: int):
        return self.cluster.replies.get((node, "client", rid))

    def resources(self, node: int) -> set[str]:
        root = ET.fromstring(self.replica(node).xml)
        return {p.get("id") for p in root.iter("primitive")}

    def rings(self) -> list[tuple[int, ...]]:
        return [ring.members for ring in self.cluster.rings]

    def check_quiet(self) -> None:
        """Every member of a ring holds the same configuration, synced."""
        for members in self.rings():
            states = {rank(self.replica(n).version, self.replica(n).xml) for n in members}
            assert len(states) == 1, f"ring {members} diverged: {states}"
            assert all(not self.replica(n).syncing for n in members)

    def record(self) -> None:
        """Versions only grow at every node (across its crashes too: it reloads its disk)."""
        for node in self.cluster.cores:
            version = self.replica(node).version
            seen = self.history.setdefault(node, [])
            if seen:
                assert version >= seen[-1], f"node {node} went back from {seen[-1]} to {version}"
            seen.append(version)


def dummy(name: str) -> CreatePrimitive:
    return CreatePrimitive(name, "ocf:pacemaker:Dummy")


def test_a_change_reaches_every_member_with_one_version():
    h = Harness(3)
    rid = h.change(2, dummy("web"))
    result = h.result(2, rid)
    assert isinstance(result, Applied) and result.version == (0, 1, 0)
    h.check_quiet()
    assert all(h.resources(n) == {"web"} for n in (1, 2, 3))
    assert all(h.disk[n] == h.replica(n).xml for n in (1, 2, 3))
    assert all(h.cluster.cores[n].notified[-1][0] == (0, 1, 0) for n in (1, 2, 3))


def test_an_invalid_change_is_refused_on_its_node_and_changes_nothing():
    h = Harness(2)
    h.change(1, dummy("web"))
    before = h.replica(2).xml
    rid = h.change(1, dummy("web"))
    assert isinstance(h.result(1, rid), Refused)
    assert "already used" in h.result(1, rid).reason
    rid = h.change(2, ReplaceConfiguration("<cib><configuration><bogus/></configuration></cib>"))
    refused = h.result(2, rid)
    assert isinstance(refused, Refused) and not refused.retry
    assert "/cib/configuration: unknown element <bogus>" in refused.reason
    assert h.replica(1).xml == h.replica(2).xml == before


def test_concurrent_edits_are_both_applied_in_the_agreed_order():
    h = Harness(3)
    a = h.change(1, dummy("a"), flush=False)
    b = h.change(3, dummy("b"), flush=False)
    h.cluster.flush()
    ra, rb = h.result(1, a), h.result(3, b)
    assert isinstance(ra, Applied) and isinstance(rb, Applied)
    assert {ra.version, rb.version} == {(0, 1, 0), (0, 2, 0)}
    h.check_quiet()
    assert h.resources(2) == {"a", "b"}


def test_concurrent_conflicting_edits_the_later_is_refused_with_the_reason():
    h = Harness(2)
    a = h.change(1, dummy("web"), flush=False)
    b = h.change(2, CreatePrimitive("web", "ocf:heartbeat:apache"), flush=False)
    h.cluster.flush()
    results = [h.result(1, a), h.result(2, b)]
    assert sum(isinstance(r, Applied) for r in results) == 1
    refused = next(r for r in results if isinstance(r, Refused))
    assert "already used" in refused.reason and "concurrent" in refused.reason
    h.check_quiet()


def test_a_loaded_file_is_not_applied_over_a_change_it_has_not_seen():
    h = Harness(2)
    h.change(1, dummy("old"))
    loaded = h.replica(1).xml
    a = h.change(2, dummy("new"), flush=False)
    b = h.change(1, ReplaceConfiguration(loaded, "f.xml"), flush=False)
    h.cluster.flush()
    assert isinstance(h.result(2, a), Applied)
    refused = h.result(1, b)
    assert isinstance(refused, Refused) and "f.xml" in refused.reason
    assert h.resources(1) == {"old", "new"}


def test_changes_during_a_sync_answer_try_again_and_change_nothing():
    me, other = CpgMember(1, 10), CpgMember(2, 20)
    replica = CibReplica()
    assert replica.handle(LocalChange(1, dummy("x")))[0].result.retry  # not in the group yet
    replica.handle(Seat(me))
    (offer,) = replica.handle(GroupView(CIB_GROUP, (me, other), (), ()))
    assert isinstance(offer, Multicast)
    (answer,) = replica.handle(LocalChange(2, dummy("x")))
    assert isinstance(answer.result, Refused) and answer.result.retry
    assert "synchronising" in answer.result.reason
    replica.handle(GroupMessage(CIB_GROUP, 1, 10, offer.payload))
    assert replica.syncing
    replica.handle(GroupMessage(CIB_GROUP, 2, 20, offer.payload))
    assert not replica.syncing
    (proposal,) = replica.handle(LocalChange(3, dummy("x")))
    assert isinstance(proposal, Multicast)
    assert replica.version == (0, 0, 0)  # applied only when delivered


def test_a_change_delivered_during_a_sync_is_dropped_everywhere_and_its_node_says_retry():
    h = Harness(3)
    h.cluster.partition([1, 2], [3], flush=False)  # a new ring: CPG holds mcasts until its sync
    rid = h.change(1, dummy("x"), flush=False)  # the replica has not seen the view yet
    assert h.result(1, rid) is None
    h.cluster.flush()  # the view reaches the replicas first, the proposal lands in their sync
    result = h.result(1, rid)
    assert isinstance(result, Refused) and result.retry
    h.check_quiet()
    assert all(h.resources(n) == set() and h.replica(n).version == (0, 0, 0) for n in (1, 2, 3))


def test_a_change_sent_before_a_membership_change_is_applied_by_the_survivors():
    h = Harness(3)
    rid = h.change(1, dummy("x"), flush=False)
    h.cluster.partition([1, 2], [3], flush=False)  # delivered in the transitional configuration
    h.cluster.flush()
    assert isinstance(h.result(1, rid), Applied)
    assert all(h.resources(n) == {"x"} for n in (1, 2, 3))


def test_a_node_that_was_away_takes_the_newer_configuration_when_it_returns():
    h = Harness(3)
    h.change(1, dummy("a"))
    h.cluster.partition([1, 2], [3])
    h.change(2, dummy("b"))
    h.change(1, SetProperty("stonith-enabled", "false"))
    assert h.resources(3) == {"a"}
    h.cluster.merge()
    h.check_quiet()
    assert h.resources(3) == {"a", "b"} and h.replica(3).version == (0, 3, 0)
    assert h.disk[3] == h.replica(1).xml


def test_a_crashed_node_restarts_from_its_disk_and_catches_up():
    h = Harness(3)
    h.change(1, dummy("a"))
    h.cluster.crash(3)
    h.change(1, dummy("b"))
    h.cluster.restart(3)
    assert h.resources(3) == {"a"}  # alone, from its disk
    h.cluster.merge()
    h.check_quiet()
    assert h.resources(3) == {"a", "b"}


def test_merged_partitions_converge_to_the_newest():
    h = Harness(4)
    h.change(1, dummy("base"))
    h.cluster.partition([1, 2], [3, 4])
    h.change(1, dummy("left"))
    h.change(3, dummy("right1"))
    h.change(4, dummy("right2"))
    h.cluster.merge()
    h.check_quiet()
    assert h.resources(1) == {"base", "right1", "right2"}  # epoch 3 beats epoch 2


def test_equal_versions_from_two_sides_break_the_tie_the_same_everywhere():
    h = Harness(2)
    h.cluster.partition([1], [2])
    h.change(1, dummy("one"))
    h.change(2, dummy("two"))
    assert h.replica(1).version == h.replica(2).version == (0, 1, 0)
    best = max((h.replica(n).version, h.replica(n).xml) for n in (1, 2))
    best = max((rank(h.replica(n).version, h.replica(n).xml), n) for n in (1, 2))
    h.cluster.merge()
    h.check_quiet()
    assert rank(h.replica(1).version, h.replica(1).xml) == best[0]


# ---- random runs -------------------------------------------------------------------------------


def _random_groups(rng: random.Random, nodes: list[int]) -> list[list[int]]:
    nodes = nodes[:]
    rng.shuffle(nodes)
    k = rng.randint(1, min(3, len(nodes)))
    cuts = sorted(rng.sample(range(1, len(nodes)), k - 1)) if k > 1 else []
    groups, start = [], 0
    for cut in [*cuts, len(nodes)]:
        groups.append(sorted(nodes[start:cut]))
        start = cut
    return groups


def run(seed: int, writers: str) -> Harness:
    """A random run. `writers="newest"`: changes are asked only on the side holding the newest
    configuration (so none may be lost); `"any"`: on every side (the newest side wins)."""
    rng = random.Random(seed)
    n = rng.randint(2, 5)
    h = Harness(n)
    down: set[int] = set()
    names = iter(f"r{i}" for i in range(10_000))
    acked: dict[str, tuple] = {}
    outstanding: list[tuple[int, int, str]] = []

    def newest_side() -> tuple[int, ...]:
        """The ring holding the newest configuration; none when it is on a crashed node's
        disk only (writing elsewhere then would lose to it, by design)."""
        states = {x: rank(h.replica(x).version, h.replica(x).xml) for x in h.cluster.cores}
        states |= {x: rank(version_of(h.disk[x]), h.disk[x]) for x in down if x in h.disk}
        best = max(states, key=lambda x: states[x])
        return () if best in down else next(r for r in h.rings() if best in r)

    for _ in range(rng.randint(10, 40)):
        live = sorted(h.cluster.cores)
        roll = rng.random()
        if roll < 0.55:
            candidates = list(newest_side()) if writers == "newest" else live
            if not candidates:
                continue
            node = rng.choice(candidates)
            name = next(names)
            change = dummy(name) if rng.random() < 0.85 or not acked else DeleteResource(name)
            flush = rng.random() < 0.7
            outstanding.append((node, h.change(node, change, flush=flush), name))
        elif roll < 0.7:
            h.cluster.partition(*_random_groups(rng, live), flush=rng.random() < 0.8)
        elif roll < 0.8:
            h.cluster.merge(flush=rng.random() < 0.8)
        elif roll < 0.88 and len(live) > 1:
            victim = rng.choice(live)
            h.cluster.crash(victim)
            down.add(victim)
            outstanding = [o for o in outstanding if o[0] != victim]
        elif down:
            back = rng.choice(sorted(down))
            down.discard(back)
            h.cluster.restart(back)
        else:
            h.cluster.flush()
        h.record()
        for node, rid, name in list(outstanding):
            result = h.result(node, rid)
            if result is None:
                continue
            outstanding.remove((node, rid, name))
            if isinstance(result, Applied) and any("created" in r for r in result.report):
                acked[name] = result.version
    h.cluster.flush()
    for node in sorted(down):
        h.cluster.restart(node)
    h.cluster.merge()
    h.record()
    h.check_quiet()
    final = {h.replica(x).xml for x in h.cluster.cores}
    assert len(final) == 1
    if writers == "newest":
        missing = set(acked) - h.resources(1)
        assert not missing, f"acknowledged but lost: {sorted(missing)}"
    return h


@pytest.mark.parametrize("seed", range(100))
def test_random_runs_lose_no_acknowledged_change(seed):
    run(seed, "newest")


@pytest.mark.parametrize("seed", range(100))
def test_random_runs_with_writes_on_every_side_converge(seed):
    run(seed, "any")
