"""Resource sets and tags in colocations and orders, rewritten as constraints between two
resources (as Pacemaker unpacks them), so that one code path places and orders everything.

A sequential set chains its members: in an order each member follows the one before it, in a
colocation each member is placed with the one before it. Between two sets of an order, the
last member of the first set (every member, if it is not sequential) comes before the first
member of the next (every member); between two sets of a colocation, the first member of the
earlier set (every member) is placed with the last member of the later one (every member).
A tag named where a resource is expected stands for a sequential set of the tagged resources.
"""

from __future__ import annotations

from dataclasses import replace

from actors.crm.cib.model import Colocation, Order, ResourceSet


def _tag_set(ref: str | None, tags: dict[str, tuple[str, ...]], ident: str) -> ResourceSet:
    return ResourceSet(ident, tags.get(ref or "", (ref or "",)))


def _sets(
    c: Colocation | Order, tags: dict[str, tuple[str, ...]], first: str | None, then: str | None
) -> tuple[ResourceSet, ...] | None:
    if c.sets:
        return tuple(
            replace(s, resources=tuple(x for r in s.resources for x in tags.get(r, (r,))))
            for s in c.sets
        )
    if first in tags or then in tags:
        return (_tag_set(first, tags, f"{c.id}-first"), _tag_set(then, tags, f"{c.id}-then"))
    return None


def expand_colocation(c: Colocation, tags: dict[str, tuple[str, ...]]) -> list[Colocation]:
    sets = _sets(c, tags, c.rsc, c.with_rsc)
    if sets is None:
        return [c]
    out: list[Colocation] = []

    def pair(dep: str, pri: str, dep_role: str | None, pri_role: str | None) -> None:
        out.append(
            replace(c, rsc=dep, with_rsc=pri, rsc_role=dep_role, with_rsc_role=pri_role, sets=())
        )

    for s in sets:
        members = s.resources
        if s.sequential:
            for before, after in zip(members, members[1:], strict=False):
                pair(after, before, s.role, s.role)
        elif c.score.strip().startswith("-"):
            for i, a in enumerate(members):  # unordered and negative: none with another
                for b in members[i + 1 :]:
                    pair(a, b, s.role, s.role)
    for s1, s2 in zip(sets, sets[1:], strict=False):
        deps = s1.resources[:1] if s1.sequential else s1.resources
        pris = s2.resources[-1:] if s2.sequential else s2.resources
        for dep in deps:
            for pri in pris:
                pair(dep, pri, s1.role, s2.role)
    return out


ANY = "one-or-more:"  # names a set of which any one member will do (require-all=false)


def expand_order(
    o: Order, tags: dict[str, tuple[str, ...]]
) -> tuple[list[Order], dict[str, tuple[str, ...]]]:
    """The pairwise orders, and the "one-or-more:SET" names they use for sets with
    require-all=false (what follows such a set needs any one of its members)."""
    sets = _sets(o, tags, o.first, o.then)
    if sets is None:
        return [o], {}
    out: list[Order] = []
    alternatives: dict[str, tuple[str, ...]] = {}

    def pair(first: str, then: str, fa: str, ta: str) -> None:
        out.append(replace(o, first=first, then=then, first_action=fa, then_action=ta, sets=()))

    for s in sets:
        action = s.action or o.first_action
        if s.sequential:
            for before, after in zip(s.resources, s.resources[1:], strict=False):
                pair(before, after, action, action)
    for s1, s2 in zip(sets, sets[1:], strict=False):
        firsts = s1.resources[-1:] if s1.sequential else s1.resources
        if not s1.require_all:
            firsts = (ANY + s1.id,)
            alternatives[ANY + s1.id] = s1.resources
        thens = s2.resources[:1] if s2.sequential else s2.resources
        for f in firsts:
            for t in thens:
                pair(f, t, s1.action or o.first_action, s2.action or o.then_action)
    return out, alternatives
