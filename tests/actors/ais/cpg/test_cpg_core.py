"""CPG core: several nodes driven through scripted EVS sequences (actors.ais.sync.harness)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.ais.cpg.checker import Life, check
from actors.ais.cpg.core import CpgCore
from actors.ais.cpg.messages import (
    ConfchgCallback,
    CpgAddress,
    CpgMember,
    CpgReason,
    DeliverCallback,
    FlowControl,
    FlowControlGet,
    Join,
    Leave,
    LocalGet,
    Mcast,
    MembershipGet,
    ProcJoin,
    TotemConfchgCallback,
)
from actors.ais.effects import ClientGone, ClientRequest, Multicast, Reply
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evs import ConfigurationChange, Delivery, RingId
from actors.ais.sync.harness import Cluster

JOIN, LEAVE, NODEDOWN, NODEUP, PROCDOWN = (
    CpgReason.JOIN,
    CpgReason.LEAVE,
    CpgReason.NODEDOWN,
    CpgReason.NODEUP,
    CpgReason.PROCDOWN,
)


def cluster(*nodes: int, limit: int = 64) -> Cluster:
    return Cluster(lambda n: CpgCore(n, flow_control_limit=limit), nodes)


def confchgs(c: Cluster, node: int, conn: str) -> list[ConfchgCallback]:
    return [cb for cb in c.take_callbacks(node, conn) if isinstance(cb, ConfchgCallback)]


def messages(c: Cluster, node: int, conn: str) -> list[DeliverCallback]:
    return [cb for cb in c.take_callbacks(node, conn) if isinstance(cb, DeliverCallback)]


def code(result: object) -> AisErrorCode | None:
    return result.code if isinstance(result, AisError) else None


def m(node: int, pid: int) -> CpgMember:
    return CpgMember(node, pid)


def test_join_reports_members_to_everyone_in_the_group() -> None:
    c = cluster(1, 2, 3)
    assert c.call(1, "a", Join("g", 100)) is None
    assert confchgs(c, 1, "a") == [
        ConfchgCallback("g", (m(1, 100),), (), (CpgAddress(1, 100, JOIN),))
    ]
    assert c.call(2, "b", Join("g", 200)) is None
    expected = ConfchgCallback("g", (m(1, 100), m(2, 200)), (), (CpgAddress(2, 200, JOIN),))
    assert confchgs(c, 1, "a") == [expected]
    assert confchgs(c, 2, "b") == [expected]
    for node in (1, 2, 3):
        assert c.call(node, "q", MembershipGet("g")) == (m(1, 100), m(2, 200))
    assert c.call(3, "q", MembershipGet("other")) == ()
    assert c.call(2, "q", LocalGet()) == 2


def test_error_cases_follow_corosync() -> None:
    c = cluster(1, 2)
    assert code(c.call(1, "a", Mcast(b"x"))) is AisErrorCode.NOT_EXIST
    assert code(c.call(1, "a", Leave("g"))) is AisErrorCode.NOT_EXIST
    assert code(c.call(1, "a", Join("g" * 129, 100))) is AisErrorCode.NAME_TOO_LONG
    assert c.call(1, "a", Join("g", 100)) is None
    assert code(c.call(1, "a", Join("g", 100))) is AisErrorCode.EXIST
    assert code(c.call(1, "a", Join("h", 100))) is AisErrorCode.EXIST
    # the same process on another connection
    assert code(c.call(1, "b", Join("g", 100))) is AisErrorCode.EXIST
    # the same pid on another node is another process
    assert c.call(2, "b", Join("g", 100)) is None
    assert code(c.call(1, "a", Leave("h"))) is AisErrorCode.NOT_EXIST
    assert code(c.call(1, "a", object())) is AisErrorCode.INVALID_PARAM


def test_join_and_leave_while_in_flight_answer_busy() -> None:
    c = cluster(1)
    rid = c.request(1, "a", Join("g", 100), flush=False)
    assert c.reply(1, "a", rid) is None
    assert code(c.call(1, "a", Leave("g"))) is AisErrorCode.BUSY  # delivered by this flush
    rid = c.request(1, "a", Leave("g"), flush=False)
    assert c.reply(1, "a", rid) is None
    assert code(c.call(1, "a", Join("h", 100))) is AisErrorCode.BUSY
    # after the leave is applied the connection can join again
    assert c.call(1, "a", Join("h", 100)) is None


def test_mcast_reaches_every_member_in_one_order_and_not_outsiders() -> None:
    c = cluster(1, 2, 3)
    for node, conn, pid in ((1, "a", 10), (2, "b", 20), (3, "c", 30)):
        assert c.call(node, conn, Join("g", pid)) is None
    assert c.call(3, "other", Join("h", 31)) is None
    for node in (1, 2, 3):
        c.take_callbacks(node, {1: "a", 2: "b", 3: "c"}[node])
    c.request(1, "a", Mcast("one"), flush=False)
    c.request(2, "b", Mcast("two", "safe"), flush=False)
    c.request(1, "a", Mcast("three"), flush=False)
    c.flush()
    seen = {
        node: [(d.nodeid, d.pid, d.data) for d in messages(c, node, conn)]
        for node, conn in ((1, "a"), (2, "b"), (3, "c"))
    }
    assert seen[1] == seen[2] == seen[3]
    assert [x[2] for x in seen[1] if x[0] == 1] == ["one", "three"]  # FIFO, own included
    assert sorted(x[2] for x in seen[1]) == ["one", "three", "two"]
    assert messages(c, 3, "other") == []


def test_safe_mcast_is_multicast_safe() -> None:
    core = CpgCore(1)
    _single_node_active(core, RingId(1, 1))
    core.handle(ClientRequest("a", 1, Join("g", 5)))
    effects = core.handle(ClientRequest("a", 2, Mcast("x", "safe")))
    assert [e.safe for e in effects if isinstance(e, Multicast)] == [True]


def test_leave_is_reported_to_the_leaver_and_the_rest() -> None:
    c = cluster(1, 2)
    c.call(1, "a", Join("g", 10))
    c.call(2, "b", Join("g", 20))
    c.take_callbacks(1, "a")
    c.take_callbacks(2, "b")
    assert c.call(1, "a", Leave("g")) is None
    expected = ConfchgCallback("g", (m(2, 20),), (CpgAddress(1, 10, LEAVE),), ())
    assert confchgs(c, 1, "a") == [expected]
    assert confchgs(c, 2, "b") == [expected]
    c.call(2, "b", Mcast("after"))
    assert messages(c, 1, "a") == []
    assert code(c.call(1, "a", Mcast("x"))) is AisErrorCode.NOT_EXIST


def test_process_death_is_procdown_and_frees_the_pid() -> None:
    c = cluster(1, 2)
    c.call(1, "a", Join("g", 10))
    c.call(2, "b", Join("g", 20))
    c.take_callbacks(2, "b")
    c.close(1, "a")
    assert confchgs(c, 2, "b") == [
        ConfchgCallback("g", (m(2, 20),), (CpgAddress(1, 10, PROCDOWN),), ())
    ]
    assert c.call(1, "new", Join("g", 10)) is None  # same pid may join again


def test_death_before_join_is_applied_still_reaches_everyone() -> None:
    c = cluster(1, 2)
    c.call(2, "b", Join("g", 20))
    c.take_callbacks(2, "b")
    c.request(1, "a", Join("g", 10), flush=False)
    c.close(1, "a")
    seen = confchgs(c, 2, "b")
    assert [(cb.joined, cb.left) for cb in seen] == [
        ((CpgAddress(1, 10, JOIN),), ()),
        ((), (CpgAddress(1, 10, PROCDOWN),)),
    ]
    assert c.cores[1].groups == c.cores[2].groups == {"g": {m(2, 20)}}


def test_partition_reports_nodedown_on_each_side() -> None:
    c = cluster(1, 2, 3)
    for node, conn, pid in ((1, "a", 10), (2, "b", 20), (3, "c", 30)):
        c.call(node, conn, Join("g", pid))
    for node, conn in ((1, "a"), (2, "b"), (3, "c")):
        c.take_callbacks(node, conn)
    c.partition([1, 2], [3])
    expected_12 = ConfchgCallback("g", (m(1, 10), m(2, 20)), (CpgAddress(3, 30, NODEDOWN),), ())
    assert confchgs(c, 1, "a") == [expected_12]
    assert confchgs(c, 2, "b") == [expected_12]
    assert confchgs(c, 3, "c") == [
        ConfchgCallback(
            "g", (m(3, 30),), (CpgAddress(1, 10, NODEDOWN), CpgAddress(2, 20, NODEDOWN)), ()
        )
    ]


def test_merge_agrees_on_membership_changed_on_both_sides() -> None:
    c = cluster(1, 2, 3)
    c.call(1, "a", Join("g", 10))
    c.call(3, "c", Join("g", 30))
    c.call(3, "d", Join("g", 31))
    c.partition([1, 2], [3])
    c.call(2, "b", Join("g", 20))  # only 1 and 2 see this
    c.call(3, "d", Leave("g"))  # only 3 sees this
    c.call(3, "e", Join("h", 32))
    for node, conn in ((1, "a"), (2, "b"), (3, "c")):
        c.take_callbacks(node, conn)
    c.merge()
    expected = {"g": {m(1, 10), m(2, 20), m(3, 30)}, "h": {m(3, 32)}}
    assert c.cores[1].groups == c.cores[2].groups == c.cores[3].groups == expected
    assert confchgs(c, 1, "a") == [
        ConfchgCallback("g", (m(1, 10), m(2, 20), m(3, 30)), (), (CpgAddress(3, 30, NODEUP),))
    ]
    assert confchgs(c, 3, "c") == [
        ConfchgCallback(
            "g",
            (m(1, 10), m(2, 20), m(3, 30)),
            (),
            (CpgAddress(1, 10, NODEUP), CpgAddress(2, 20, NODEUP)),
        )
    ]
    ring = [cb for cb in c.take_callbacks(2, "b") if isinstance(cb, TotemConfchgCallback)]
    assert [cb.members for cb in ring] == [(1, 2, 3)]
    c.partition([1], [2, 3])
    ring = [cb for cb in c.take_callbacks(2, "b") if isinstance(cb, TotemConfchgCallback)]
    assert [cb.members for cb in ring] == [(2, 3)]


def test_process_gone_while_partitioned_is_procdown_after_merge() -> None:
    c = cluster(1, 2)
    c.call(1, "a", Join("g", 10))
    c.call(2, "b", Join("g", 20))
    c.partition([1], [2])
    c.close(2, "b")
    c.take_callbacks(1, "a")
    c.merge()
    assert confchgs(c, 1, "a") == []
    # node 1 already saw 2's process go with the partition (NODEDOWN); nothing new to report
    assert c.cores[1].groups == c.cores[2].groups == {"g": {m(1, 10)}}


def test_crashed_node_processes_are_nodedown() -> None:
    c = cluster(1, 2, 3)
    c.call(1, "a", Join("g", 10))
    c.call(2, "b", Join("g", 20))
    c.take_callbacks(1, "a")
    c.crash(2)
    assert confchgs(c, 1, "a") == [
        ConfchgCallback("g", (m(1, 10),), (CpgAddress(2, 20, NODEDOWN),), ())
    ]
    c.restart(2)
    c.merge()
    assert c.call(2, "b", Join("g", 20)) is None
    assert [cb.joined for cb in confchgs(c, 1, "a")] == [(CpgAddress(2, 20, JOIN),)]


def test_flow_control_answers_try_again_until_messages_are_delivered() -> None:
    c = cluster(1, 2, limit=2)
    c.call(1, "a", Join("g", 10))
    assert c.call(1, "a", FlowControlGet()) is FlowControl.DISABLED
    first = [c.request(1, "a", Mcast(i), flush=False) for i in range(3)]
    assert [code(c.reply(1, "a", rid)) for rid in first] == [None, None, AisErrorCode.TRY_AGAIN]
    assert c.call(1, "q", FlowControlGet()) is FlowControl.ENABLED  # the flush delivers them
    assert c.call(1, "q", FlowControlGet()) is FlowControl.DISABLED
    assert [d.data for d in messages(c, 2, "b")] == []
    assert [d.data for d in messages(c, 1, "a")] == [0, 1]


def _single_node_active(core: CpgCore, ring: RingId) -> None:
    [sync] = core.handle(ConfigurationChange("regular", ring, (1,), (1,)))
    assert isinstance(sync, Multicast)
    core.handle(Delivery(ring, 1, 1, sync.payload))


def test_requests_during_sync_answer_try_again() -> None:
    core = CpgCore(1)
    assert core.handle(ClientRequest("a", 1, Join("g", 5))) == [
        Reply("a", 1, AisError(AisErrorCode.TRY_AGAIN, "cpg: membership change in progress"))
    ]
    _single_node_active(core, RingId(1, 1))
    assert core.handle(ClientRequest("a", 2, Join("g", 5)))[0] == Reply("a", 2, None)
    core.handle(ConfigurationChange("transitional", RingId(1, 1), (1,)))
    [reply] = core.handle(ClientRequest("a", 3, Mcast("x")))
    assert code(reply.result) is AisErrorCode.TRY_AGAIN


def test_own_operation_dropped_during_sync_is_sent_again_after_it() -> None:
    core = CpgCore(1)
    r1, r2 = RingId(1, 1), RingId(2, 1)
    _single_node_active(core, r1)
    effects = core.handle(ClientRequest("a", 1, Join("g", 5)))
    join = ProcJoin("g", m(1, 5))
    assert effects == [Reply("a", 1, None), Multicast(join)]
    # totem queued the join before the membership changed: it is delivered in the new ring,
    # before the sync barrier, and dropped by everyone
    [sync] = core.handle(ConfigurationChange("regular", r2, (1, 2), (2,)))
    assert core.handle(Delivery(r2, 1, 1, join)) == []
    assert core.handle(Delivery(r2, 1, 2, sync.payload)) == []
    peer = CpgCore(2)
    [peer_sync] = peer.handle(ConfigurationChange("regular", r2, (1, 2), (1,)))
    effects = core.handle(Delivery(r2, 2, 3, peer_sync.payload))
    assert Multicast(join) in effects
    effects = core.handle(Delivery(r2, 1, 4, join))
    assert [e.payload.joined for e in effects if hasattr(e, "payload")] == [
        (CpgAddress(1, 5, JOIN),)
    ]
    assert core.in_flight == 0


# ---- property: whatever happens, a configuration agrees, and every client's view is right ------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("join"), st.integers(1, 3), st.integers(0, 2), st.sampled_from("gh")),
        st.tuples(st.just("leave"), st.integers(1, 3), st.integers(0, 2)),
        st.tuples(st.just("mcast"), st.integers(1, 3), st.integers(0, 2)),
        st.tuples(st.just("mcast-queued"), st.integers(1, 3), st.integers(0, 2)),
        st.tuples(st.just("close"), st.integers(1, 3), st.integers(0, 2)),
        st.tuples(
            st.just("split"), st.sampled_from([[[1, 2], [3]], [[1], [2, 3]], [[1], [2], [3]]])
        ),
        st.tuples(st.just("merge")),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_groups_agree_and_confchgs_track_them(script: list[tuple]) -> None:
    c = cluster(1, 2, 3)
    generation = {(n, k): 0 for n in (1, 2, 3) for k in range(3)}
    views: dict[tuple[int, str], tuple[CpgMember, ...]] = {}
    group_of: dict[tuple[int, str], str] = {}
    received: dict[tuple[int, str], list[tuple[int, int]]] = {}
    sent = 0
    own: dict[tuple[int, str], list[tuple[int, int]]] = {}

    def collect() -> None:
        for node, cid in list(c.callbacks):
            for cb in c.take_callbacks(node, cid):
                if isinstance(cb, ConfchgCallback):
                    views[(node, cid)] = cb.members
                elif isinstance(cb, DeliverCallback):
                    received.setdefault((node, cid), []).append(cb.data)

    def conn(node: int, k: int) -> str:
        return f"c{k}.{generation[(node, k)]}"

    for step in script:
        if step[0] == "join":
            _, node, k, group = step
            if c.call(node, conn(node, k), Join(group, 100 * k + generation[(node, k)])) is None:
                group_of[(node, conn(node, k))] = group
        elif step[0] == "leave":
            _, node, k = step
            group = group_of.get((node, conn(node, k)), "g")
            if c.call(node, conn(node, k), Leave(group)) is None:
                own.pop((node, conn(node, k)), None)
        elif step[0] in ("mcast", "mcast-queued"):
            _, node, k = step
            sent += 1
            rid = c.request(node, conn(node, k), Mcast((node, sent)), flush=step[0] == "mcast")
            if c.reply(node, conn(node, k), rid) is None:
                own.setdefault((node, conn(node, k)), []).append((node, sent))
        elif step[0] == "close":
            _, node, k = step
            own.pop((node, conn(node, k)), None)
            c.close(node, conn(node, k))
            generation[(node, k)] += 1
        elif step[0] == "split":
            c.partition(*step[1])
        else:
            c.merge()
        collect()
        for ring in c.rings:
            first = c.cores[ring.members[0]].groups
            assert all(c.cores[n].groups == first for n in ring.members)
        for node, core in c.cores.items():
            for cid, state in core.conns.items():
                if state.group is not None and state.state.name == "JOIN_COMPLETED":
                    assert views[(node, cid)] == core.members(state.group)
    c.merge()
    collect()
    assert c.cores[1].groups == c.cores[2].groups == c.cores[3].groups
    for core in c.cores.values():
        assert core.in_flight == 0
    lives = [Life(node, [entry.item for entry in log]) for node, log in c.log.items()]
    assert check(lives) == []
    for sender, messages_sent in own.items():  # a sender gets its own messages
        assert [x for x in received.get(sender, []) if x in messages_sent] == messages_sent
    # one total order: any two receivers see the messages they share in the same order,
    # and every sender's messages in the order it sent them
    for a in received.values():
        senders = {node for node, _ in a}
        assert all(
            [i for n, i in a if n == node] == sorted(i for n, i in a if n == node)
            for node in senders
        )
        for b in received.values():
            common = set(a) & set(b)
            assert [x for x in a if x in common] == [x for x in b if x in common]


def test_rejoin_before_procdown_is_applied_answers_try_again() -> None:
    core = CpgCore(1)
    ring = RingId(1, 1)
    _single_node_active(core, ring)
    [_, join] = core.handle(ClientRequest("a", 1, Join("g", 5)))
    core.handle(Delivery(ring, 1, 2, join.payload))
    [leave] = core.handle(ClientGone("a"))
    [reply] = core.handle(ClientRequest("b", 1, Join("g", 5)))
    assert code(reply.result) is AisErrorCode.TRY_AGAIN
    core.handle(Delivery(ring, 1, 3, leave.payload))
    assert core.handle(ClientRequest("b", 2, Join("g", 5)))[0] == Reply("b", 2, None)


def test_messages_in_flight_at_a_partition_reach_survivors_on_both_sides() -> None:
    c = cluster(1, 2, 3)
    for node, conn, pid in ((1, "a", 10), (2, "b", 20), (3, "c", 30)):
        c.call(node, conn, Join("g", pid))
    c.request(3, "c", Mcast("last words"), flush=False)
    c.partition([1, 2], [3])
    for node, conn in ((1, "a"), (2, "b"), (3, "c")):
        callbacks = c.take_callbacks(node, conn)
        delivered = [i for i, cb in enumerate(callbacks) if isinstance(cb, DeliverCallback)]
        nodedown = [i for i, cb in enumerate(callbacks) if isinstance(cb, ConfchgCallback)]
        assert len(delivered) == 1 and callbacks[delivered[0]].data == "last words"
        assert delivered[0] < nodedown[-1]  # in the old configuration, before the change
