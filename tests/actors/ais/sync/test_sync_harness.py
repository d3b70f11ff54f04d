"""The test cluster itself: total order per ring, configuration changes, timers, wire copies."""

from __future__ import annotations

from actors.ais.effects import Callback, ClientRequest, Multicast, SetTimer, TimerFired
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.sync.harness import Cluster


class Echo:
    """Multicasts every request; records what it sees; a request 'timer' sets a timer."""

    def __init__(self, node: int) -> None:
        self.node = node
        self.seen: list[object] = []

    def handle(self, event: object, now: float = 0.0) -> list:
        self.seen.append(event)
        if isinstance(event, ClientRequest):
            if event.op == "timer":
                return [SetTimer("t", 5.0)]
            return [Multicast([event.op, self.node])]
        if isinstance(event, TimerFired):
            return [Callback("c", ("fired", now))]
        return []


def deliveries(core: Echo) -> list[object]:
    return [e.payload for e in core.seen if isinstance(e, Delivery)]


def test_one_total_order_per_ring_and_copies_per_receiver() -> None:
    c = Cluster(Echo, [1, 2, 3])
    c.request(1, "c", "x", flush=False)
    c.request(3, "c", "y", flush=False)
    c.flush()
    assert deliveries(c.cores[1]) == deliveries(c.cores[2]) == [["x", 1], ["y", 3]]
    assert deliveries(c.cores[1])[0] is not deliveries(c.cores[2])[0]


def test_partition_delivers_pending_in_transitional_and_reports_changes() -> None:
    c = Cluster(Echo, [1, 2, 3])
    c.request(1, "c", "late", flush=False)
    c.partition([1, 2], [3])
    changes = [e for e in c.cores[3].seen if isinstance(e, ConfigurationChange)]
    assert [(ch.kind, ch.members) for ch in changes[-2:]] == [
        ("transitional", (3,)),
        ("regular", (3,)),
    ]
    assert deliveries(c.cores[3]) == [["late", 1]]
    assert changes[-1].left == (1, 2)
    c.request(1, "c", "split")
    assert deliveries(c.cores[3]) == [["late", 1]]
    assert deliveries(c.cores[2])[-1] == ["split", 1]


def test_timers_fire_on_the_virtual_clock() -> None:
    c = Cluster(Echo, [1])
    c.request(1, "c", "timer")
    c.advance(4.0)
    assert c.take_callbacks(1, "c") == []
    c.advance(2.0)
    assert c.take_callbacks(1, "c") == [("fired", 5.0)]
