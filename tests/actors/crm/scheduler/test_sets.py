"""Resource sets and tags become constraints between two resources."""

from __future__ import annotations

from actors.crm.cib.model import Colocation, Order, ResourceSet
from actors.crm.scheduler.sets import ANY, expand_colocation, expand_order


def test_a_sequential_order_set_chains_and_joins_the_next_set() -> None:
    o = Order("o", None, None, sets=(ResourceSet("s1", ("a", "b")), ResourceSet("s2", ("c",))))
    pairs, alternatives = expand_order(o, {})
    assert [(p.first, p.then) for p in pairs] == [("a", "b"), ("b", "c")]
    assert alternatives == {}


def test_require_all_false_makes_any_member_enough() -> None:
    sets = (
        ResourceSet("s1", ("a", "b"), sequential=False, require_all=False),
        ResourceSet("s2", ("c",)),
    )
    pairs, alternatives = expand_order(Order("o", None, None, sets=sets), {})
    assert [(p.first, p.then) for p in pairs] == [(ANY + "s1", "c")]
    assert alternatives == {ANY + "s1": ("a", "b")}


def test_a_tag_in_a_colocation_is_a_sequential_set() -> None:
    c = Colocation("c", "t", "x", "INFINITY")
    pairs = expand_colocation(c, {"t": ("a", "b")})
    assert [(p.rsc, p.with_rsc) for p in pairs] == [("b", "a"), ("a", "x")]
