"""An event bus on the event service (EVT): publishers and filtered subscribers on any node.

python examples/evt_bus.py                        # starts a local 3-node cluster, then stops it
python examples/evt_bus.py --config n1.toml --config n2.toml --config n3.toml   # a running one

A publisher on the first node publishes order and alert events on the channel "bus"; a
subscriber on the second node takes `orders/...` (a PREFIX filter), one on the third takes
alerts whose second pattern ends in `disk` (PASS_ALL, then SUFFIX). A configuration event is
published with a retention time: a subscriber that comes later still gets it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from actors.ais.client import EvtClient
from actors.ais.evt.messages import Event, Filter, FilterType
from actors.commands.cluster import temporary_cluster
from actors.config import load_config

CHANNEL = "bus"


class Subscriber:
    def __init__(self, name: str, config: Path, filters: list[Filter]) -> None:
        self.name = f"{name}@{load_config(config).node}"
        self.events: list[Event] = []
        self.evt = EvtClient(deliver=self.deliver, config=str(config))
        handle = self.evt.channel_open(CHANNEL, create=True, subscriber=True)
        self.evt.subscribe(handle, filters)

    def deliver(self, event: Event) -> None:
        self.events.append(event)
        patterns = b" ".join(event.patterns).decode()
        data = event.data.decode()
        print(f"  {self.name:<14} got [{patterns}] {data!r} (priority {event.priority})")

    def until(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name}: only {len(self.events)} of {count} events")
            self.evt.dispatch(0.1)


def demo(configs: list[Path]) -> None:
    pub_config, a_config, b_config = (configs * 3)[:3]
    orders = Subscriber("orders", a_config, [Filter(FilterType.PREFIX, b"orders/")])
    disks = Subscriber(
        "disk-alerts",
        b_config,
        [Filter(FilterType.EXACT, b"alert"), Filter(FilterType.SUFFIX, b"disk")],
    )
    bus = EvtClient(config=str(pub_config))
    pub = bus.channel_open(CHANNEL, create=True, publisher=True)
    node = load_config(pub_config).node
    print(f"publishing from {node}")
    bus.publish(pub, [b"orders/new"], b"order 17: 3 widgets", publisher_name=node)
    bus.publish(pub, [b"alert", b"sda/disk"], b"sda 97% full", priority=0, publisher_name=node)
    bus.publish(pub, [b"alert", b"eth0/link"], b"eth0 down", priority=0, publisher_name=node)
    bus.publish(pub, [b"orders/paid"], b"order 17 paid", publisher_name=node)
    bus.publish(pub, [b"config"], b"version 42", retention=300.0, publisher_name=node)
    orders.until(2)
    disks.until(1)
    print("a late subscriber comes, for the configuration")
    late = Subscriber("late-config", b_config, [Filter(FilterType.EXACT, b"config")])
    late.until(1)
    assert [e.data for e in orders.events] == [b"order 17: 3 widgets", b"order 17 paid"]
    assert [e.data for e in disks.events] == [b"sda 97% full"]
    assert [e.data for e in late.events] == [b"version 42"]
    for client in (orders.evt, disks.evt, late.evt, bus):
        client.finalize()
    print("done: each subscriber got exactly what its filters asked for")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, help="node configs (1 to 3)")
    args = parser.parse_args()
    if args.config:
        demo(args.config)
        return 0
    with temporary_cluster(3, "rl-evt-bus-", announce=True) as configs:
        demo(configs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
