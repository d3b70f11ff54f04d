"""Throughput of the totem core alone: 3 cores in the simulator, no faults, saturated.

`ringleader bench totem-sim` (module interface of `actors.bench`). Each node submits `--messages`
64-byte messages at once; we time, on the wall clock, until every node has delivered all of
them. The reference, run side by side, delivers the same messages to 3 nodes with no protocol
at all (just building the `Delivery` events), so the ratio is the price of ordering.
"""

from __future__ import annotations

import argparse

from actors.ais.effects import Multicast
from actors.ais.evs import Delivery, RingId
from actors.ais.sim.simulator import Simulator
from actors.bench.report import BenchReport, rate, repeat, stopwatch

PAYLOAD = b"x" * 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=20000, help="messages per node")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)


def measure_totem(nodes: int, per_node: int) -> float:
    """Agreed messages delivered per second at each node (wall clock)."""
    sim = Simulator(nodes, seed=1)
    sim.run_until(0.5)  # form the ring
    total = nodes * per_node
    logs = [sim.nodes[i].log for i in sim.node_ids]
    base = [len(log.events) for log in logs]
    elapsed = stopwatch()
    for node in sim.node_ids:
        for _ in range(per_node):
            sim.multicast(node, Multicast(PAYLOAD))

    def busy() -> bool:
        return any(len(log.events) - b < total for log, b in zip(logs, base, strict=True))

    sim.run_while(busy, 0.05, sim.now + 600.0)
    seconds = elapsed()
    got = [len(log.events) - b for log, b in zip(logs, base, strict=True)]
    if any(g < total for g in got):
        raise RuntimeError(f"totem-sim: only {got} of {total} delivered")
    return rate(total, seconds)


def measure_reference(nodes: int, per_node: int) -> float:
    ring = RingId(4, 1)
    total = nodes * per_node
    elapsed = stopwatch()
    for _ in range(nodes):
        out = [Delivery(ring, 1 + i % nodes, i, PAYLOAD) for i in range(total)]
    seconds = elapsed()
    assert len(out) == total
    return rate(total, seconds)


def run(args: argparse.Namespace) -> BenchReport:
    report = BenchReport("totem-sim")
    unit = "msg/s/node"
    report.add(
        "totem agreed delivery",
        unit,
        repeat(lambda: measure_totem(args.nodes, args.messages), args.repeat),
        higher_is_better=True,
    )
    report.add(
        "no-protocol delivery",
        unit,
        repeat(lambda: measure_reference(args.nodes, args.messages), args.repeat),
        higher_is_better=True,
    )
    report.ratio("totem / no protocol", "totem agreed delivery", "no-protocol delivery")
    report.notes.append(
        f"{args.nodes} cores in one process on the simulator, {args.messages} x 64 B per node, "
        f"no faults; the cores share one CPU: each node's own share is about 1/{args.nodes}"
    )
    return report


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    add_arguments(p)
    print(run(p.parse_args()).to_text())
