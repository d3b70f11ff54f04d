"""The CPG checker accepts what the cores do and names what breaks the guarantees."""

from __future__ import annotations

from actors.ais.cpg.checker import Life, check
from actors.ais.cpg.core import CpgCore
from actors.ais.cpg.messages import ConfchgCallback, CpgAddress, CpgMember, CpgReason, Join, Mcast
from actors.ais.effects import Callback, ClientRequest, Reply
from actors.ais.evs import Delivery, RingId
from actors.ais.sync.harness import Cluster


def run() -> Cluster:
    c = Cluster(CpgCore, [1, 2, 3])
    for node, conn, pid in ((1, "a", 10), (2, "b", 20), (3, "c", 30)):
        c.call(node, conn, Join("g", pid))
    c.call(1, "a", Mcast("m1"))
    c.request(3, "c", Mcast("m2"), flush=False)
    c.partition([1, 2], [3])
    c.call(2, "b", Mcast("m3"))
    c.merge()
    c.call(3, "c", Mcast("m4"))
    return c


def lives(c: Cluster) -> list[Life]:
    return [Life(node, [entry.item for entry in log]) for node, log in c.log.items()]


def test_a_real_run_is_clean() -> None:
    assert check(lives(run())) == []


def test_a_lost_own_message_is_reported() -> None:
    c = run()
    broken = lives(c)
    items = list(broken[0].items)
    own = next(
        i
        for i, item in enumerate(items)
        if isinstance(item, Callback) and getattr(item.payload, "data", None) == "m1"
    )
    del items[own]
    broken[0] = Life(1, items)
    problems = check(broken)
    assert any("never received its own ['m1']" in p for p in problems)
    assert any("different messages between" in p for p in problems)
    assert check(broken, complete=False) != []  # still the virtual synchrony violation


def test_reordered_and_inconsistent_views_are_reported() -> None:
    ring = RingId(1, 1)
    m = CpgMember
    join = ConfchgCallback("g", (m(1, 10),), (), (CpgAddress(1, 10, CpgReason.JOIN),))
    wrong = ConfchgCallback("g", (m(1, 10), m(2, 20)), (), ())  # 2 appears from nowhere
    life = Life(
        1,
        [
            ClientRequest("a", 1, Join("g", 10)),
            Reply("a", 1, None),
            Delivery(ring, 1, 1, None),
            Callback("a", join),
            Delivery(ring, 2, 2, None),
            Callback("a", wrong),
        ],
    )
    problems = check([life])
    assert len(problems) == 1 and "does not follow from the previous view" in problems[0]
