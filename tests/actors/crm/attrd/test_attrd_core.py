"""Attribute replicas: agreed-order updates, increments, convergence across any delivery order
and partition merges, a left node's attributes dropped."""

from __future__ import annotations

import itertools
import random

from actors.crm.attrd.core import (
    AttrdCore,
    Broadcast,
    Changed,
    Delivered,
    Set,
    Sync,
    Update,
    ViewChanged,
    incremented,
)


def send(cores: dict[str, AttrdCore], origin: str, event) -> list:
    """Run `event` at `origin` and deliver what it broadcasts to every core, in order."""
    out = []
    for fx in cores[origin].handle(event):
        if isinstance(fx, Broadcast):
            for core in cores.values():
                out += core.handle(Delivered(origin, fx.payload))
    return out


def test_set_is_applied_everywhere_and_reported():
    cores = {n: AttrdCore(n) for n in ("n1", "n2", "n3")}
    changes = send(cores, "n2", Set("n1", "standby", "on"))
    assert all(c.table() == {"n1": {"standby": "on"}} for c in cores.values())
    assert Changed({"n1": {"standby": "on"}}) in changes
    send(cores, "n3", Set("n1", "standby", None))
    assert all(c.table() == {} for c in cores.values())


def test_increments_resolve_in_agreed_order():
    cores = {n: AttrdCore(n) for n in ("n1", "n2")}
    for origin in ("n1", "n2", "n1"):
        send(cores, origin, Set("n2", "fail-count-web#monitor_10000", "++"))
    assert {c.value("n2", "fail-count-web#monitor_10000") for c in cores.values()} == {"3"}
    assert incremented("INFINITY") == "INFINITY"
    assert incremented("999999") == "INFINITY"
    assert incremented(None) == "1"


def test_any_delivery_order_converges():
    rng = random.Random(7)
    writers = [AttrdCore(n) for n in ("n1", "n2", "n3")]
    updates = []
    for i in range(30):
        w = rng.choice(writers)
        [fx] = w.handle(Set(rng.choice(["n1", "n2"]), rng.choice(["a", "b"]), str(i)))
        updates.append(fx.payload)
        if rng.random() < 0.5:  # the writer sees some of what was sent so far
            w.handle(Delivered("x", updates[-1]))
    tables = set()
    for perm in itertools.islice(itertools.permutations(range(len(updates))), 0, 200, 37):
        r = AttrdCore("r")
        for i in perm:
            r.handle(Delivered("x", updates[i]))
        tables.add(repr(r.table()))
    assert len(tables) == 1


def test_view_change_drops_leavers_and_syncs_newcomers():
    a, b = AttrdCore("n1"), AttrdCore("n2")
    for core in (a, b):
        core.handle(Delivered("n1", Update("n1", "x", "1", (1, "n1"))))
        core.handle(Delivered("n2", Update("n2", "y", "2", (1, "n2"))))
    fx = a.handle(ViewChanged(("n1",), left=("n2",)))
    assert a.table() == {"n1": {"x": "1"}}
    assert Changed({"n1": {"x": "1"}}) in fx
    new = AttrdCore("n2")  # restarted: knows nothing
    [sync] = [
        f for f in a.handle(ViewChanged(("n1", "n2"), joined=("n2",))) if isinstance(f, Broadcast)
    ]
    assert isinstance(sync.payload, Sync)
    new.handle(Delivered("n1", sync.payload))
    assert new.table() == a.table()
