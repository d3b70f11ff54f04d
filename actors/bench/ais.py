"""`ringleader bench ais [--json]`: the application services through the client library.

A local 3-node cluster (`cluster up`, ipc) is started in a temporary directory. Every figure is
one application client making blocking calls, as an AIS application does, each call a round
trip to its node's executive and (for a change) one agreed message through totem:

- checkpoint writes/s: `overwrite` of a 64-byte section from a client on node1 (answered once
  applied on every replica); reads/s: `read` of it (served by node1's own replica);
- lock acquire + release latency: `lock` EX then `unlock` of an uncontended resource;
- events: a publisher on node1 publishes 64-byte events (blocking), subscribers on node2 and
  node3 take them (dispatch threads); published/s, and delivered/s at the slower subscriber;
- messages through a queue group: a sender on node1 sends 64-byte messages (blocking) to a
  round-robin group of three queues, one per node, each with a worker getting from it;
  messages/s until the last was received.

The reference, in the same run: the CPG client library on the same cluster, a client on node1
multicasting 64-byte messages and waiting for each to come back in agreed order before sending
the next (one agreed message per call, as a checkpoint write is); and, as the ceiling, one CPG
client per node with blocking `mcast_joined`, which answers once the message is queued, not
delivered (`bench evs`'s figure). Ratios say what each service costs over a bare agreed message.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import threading
import time
from pathlib import Path

from actors.ais.ckpt.messages import DEFAULT_SECTION, CreationAttributes, WriteMode
from actors.ais.client import CkptClient, CpgClient, EvtClient, LckClient, MsgClient
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evt.messages import Filter, FilterType
from actors.ais.lck.messages import LockMode
from actors.ais.msg.messages import GroupPolicy, QueueAttributes
from actors.bench.evs import measure_cpg_clients
from actors.bench.report import BenchReport, rate, repeat, stopwatch
from actors.commands.cluster import temporary_cluster

PAYLOAD = b"x" * 64
_groups = itertools.count()
DEADLINE = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ops", type=int, default=2000, help="calls per measurement")
    parser.add_argument("--repeat", type=int, default=3)


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench ais: timed out waiting for {what}")
        time.sleep(0.002)


def measure_cpg(config: Path, count: int) -> float:
    """CPG multicasts per second from one client that waits for each to be delivered back
    to it (agreed order) before the next: what a service call that changes state costs."""
    got = [0]
    with CpgClient(deliver=lambda _cb: got.__setitem__(0, got[0] + 1), config=str(config)) as cpg:
        cpg.join(f"bench-ais-{next(_groups)}")  # the last one's leave may still be under way
        elapsed = stopwatch()
        for k in range(1, count + 1):
            cpg.mcast_joined(PAYLOAD, retry=30.0)
            while got[0] < k:
                cpg.dispatch(1.0)
        return rate(count, elapsed())


class CkptBench:
    def __init__(self, config: Path) -> None:
        self.client = CkptClient(config=str(config))
        attrs = CreationAttributes(WriteMode.ALL_REPLICAS, 1024, 1, 1024)
        self.handle = self.client.open("bench-ais", attrs, create=True, write=True)

    def writes(self, count: int) -> float:
        elapsed = stopwatch()
        for _ in range(count):
            self.client.overwrite(self.handle, DEFAULT_SECTION, PAYLOAD)
        return rate(count, elapsed())

    def reads(self, count: int) -> float:
        elapsed = stopwatch()
        for _ in range(count):
            self.client.read(self.handle, DEFAULT_SECTION)
        return rate(count, elapsed())


def measure_lock_latency(config: Path, count: int) -> list[float]:
    """Seconds per lock EX + unlock, each pair on its own."""
    with LckClient(config=str(config)) as lck:
        resource = lck.resource_open("bench-ais", create=True)
        samples = []
        for _ in range(count):
            elapsed = stopwatch()
            lck.unlock(lck.lock(resource, LockMode.EX).lock_id)
            samples.append(elapsed())
        return samples


def measure_events(configs: list[Path], count: int) -> tuple[float, float]:
    """(published/s, delivered/s at the slower subscriber) for `count` events."""
    counts = [0, 0]
    last = [0.0, 0.0]

    def deliver(i: int):
        def got(_event) -> None:
            counts[i] += 1
            last[i] = time.perf_counter()

        return got

    subscribers = [EvtClient(deliver=deliver(i), config=str(c)) for i, c in enumerate(configs[1:])]
    publisher = EvtClient(config=str(configs[0]))
    try:
        for sub in subscribers:
            handle = sub.channel_open("bench-ais", create=True, subscriber=True)
            sub.subscribe(handle, [Filter(FilterType.PREFIX, b"bench/")])
            sub.start_dispatch_thread()
        handle = publisher.channel_open("bench-ais", create=True, publisher=True)
        start = time.perf_counter()
        for k in range(count):
            publisher.publish(handle, [b"bench/%d" % k], PAYLOAD)
        published = rate(count, time.perf_counter() - start)
        _wait(lambda: min(counts) >= count, f"{count} events at each subscriber ({counts})")
        return published, rate(count, max(last) - start)
    finally:
        for client in (*subscribers, publisher):
            client.finalize()


def measure_messages(configs: list[Path], count: int) -> float:
    """Messages per second sent to a round-robin group of one queue per node, until every
    message was received by the workers."""
    received = [0]
    lock = threading.Lock()
    stop = threading.Event()
    workers = [MsgClient(config=str(c)) for c in configs]
    sender = MsgClient(config=str(configs[0]))
    threads = []
    try:
        try:
            sender.group_create("bench-ais", GroupPolicy.ROUND_ROBIN)
        except AisError as exc:
            if exc.code != AisErrorCode.EXIST:
                raise
        for i, worker in enumerate(workers):
            name = f"bench-ais-{i}"
            handle = worker.queue_open(name, QueueAttributes((1 << 20,) * 4), create=True)
            sender.group_insert("bench-ais", name)
            thread = threading.Thread(target=_work, args=(worker, handle, received, lock, stop))
            thread.start()
            threads.append(thread)
        elapsed = stopwatch()
        for _ in range(count):
            sender.send("bench-ais", PAYLOAD)
        _wait(lambda: received[0] >= count, f"{count} messages received ({received})")
        return rate(count, elapsed())
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        for client in (*workers, sender):
            client.finalize()


def _work(worker: MsgClient, handle: int, received: list, lock, stop) -> None:
    while not stop.is_set():
        try:
            worker.get(handle, timeout=0.2)
        except AisError:
            continue
        with lock:
            received[0] += 1


def run(args: argparse.Namespace) -> BenchReport:
    report = BenchReport("ais")
    n = args.ops
    with temporary_cluster(3, "rl-bench-ais-") as configs:
        cpg = "CPG mcast + own delivery, 1 client"
        measure_cpg(configs[0], min(n, 500))  # warm-up
        report.add(cpg, "msg/s", repeat(lambda: measure_cpg(configs[0], n), args.repeat), True)
        report.add(
            "CPG blocking mcast (answered when queued), 1 client per node",
            "msg/s/node",
            [measure_cpg_clients(configs, n, pipelined=False)],
            higher_is_better=True,
        )
        ckpt = CkptBench(configs[0])
        report.add("ckpt writes", "ops/s", repeat(lambda: ckpt.writes(n), args.repeat), True)
        report.add("ckpt reads", "ops/s", repeat(lambda: ckpt.reads(n), args.repeat), True)
        ckpt.client.finalize()
        latencies = measure_lock_latency(configs[0], n)
        report.add("lock+unlock latency median", "ms", [statistics.median(latencies) * 1e3])
        report.add(
            "lock+unlock latency p99", "ms", [statistics.quantiles(latencies, n=100)[98] * 1e3]
        )
        events = [measure_events(configs, n) for _ in range(args.repeat)]
        report.add("events published", "ev/s", [p for p, _ in events], True)
        report.add("events delivered (slower subscriber)", "ev/s", [d for _, d in events], True)
        report.add(
            "messages through a queue group",
            "msg/s",
            repeat(lambda: measure_messages(configs, n), args.repeat),
            higher_is_better=True,
        )
        for name in ("ckpt writes", "events delivered (slower subscriber)"):
            report.ratio(f"{name} / {cpg}", name, cpg)
        report.ratio(f"queue group msg/s / {cpg}", "messages through a queue group", cpg)
        report.ratio(f"ckpt reads (local) / {cpg}", "ckpt reads", cpg)
        pair = 2e3 / report.figure(cpg).median  # ms for two agreed CPG round trips
        report.add("2 CPG mcasts + own delivery", "ms", [pair])
        report.ratio(
            "lock+unlock latency / 2 CPG mcasts + own delivery",
            "lock+unlock latency median",
            "2 CPG mcasts + own delivery",
        )
        report.notes.append(
            f"3 nodes on one machine (ipc), {n} calls per measurement, 64 B payloads, one "
            "blocking client per figure; every change is one agreed message, like a CPG mcast"
        )
    return report
