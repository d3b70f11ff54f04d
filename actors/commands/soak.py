"""`ringleader soak`: does membership hold still when nothing fails, idle and under full load?

A local cluster (`cluster up`, ipc) runs an idle phase, then a loaded one: every executive
multicasts benchmark messages back to back (`BenchLoad`, as `bench evs` does) while burner
processes keep every core busy. Every new ring has a new ring id, so a false membership change
— a node declared lost though none failed — shows as a ring id that moved. The ring ids are
read every few seconds and at each phase's end; the command exits non-zero if any moved.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path

from actors.bench.evs import _Cluster, measure_throughput
from actors.commands.cluster import cluster_down, cluster_up, ring_views


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "soak", help="count false membership changes of a local cluster, idle and loaded"
    )
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--idle", type=float, default=300.0, help="seconds idle")
    parser.add_argument("--loaded", type=float, default=300.0, help="seconds under full load")
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2, help="busy processes")
    parser.set_defaults(func=run)


def _burn(stop) -> None:
    while not stop.is_set():
        sum(range(10000))


def _rings(configs: list[Path]) -> dict[str, object]:
    views = ring_views(configs, timeout=10.0)
    return {node: view.ring_id for node, view in views.items()}


def _phase(name: str, configs: list[Path], seconds: float, load=None) -> int:
    """Run one phase; the number of ring changes seen (0: membership held)."""
    first = _rings(configs)
    seen = {first.get(n) for n in first}
    delivered = 0
    end = time.monotonic() + seconds
    next_look = time.monotonic() + 5.0
    while time.monotonic() < end:
        if load is not None:
            delivered += load()
        else:
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        if time.monotonic() >= next_look:
            seen |= set(_rings(configs).values())
            next_look = time.monotonic() + 5.0
    last = _rings(configs)
    seen |= set(last.values())
    missing = sorted(set(first) ^ set(last))
    changes = len(seen) - 1 + len(missing)
    extra = f", {delivered} messages delivered per node" if load is not None else ""
    print(
        f"{name}: {seconds:g} s, rings seen {len(seen)}, membership changes {changes}"
        f"{', nodes not answering ' + ', '.join(missing) if missing else ''}{extra}",
        flush=True,
    )
    return changes


def run(args: argparse.Namespace) -> int:
    directory = Path(tempfile.mkdtemp(prefix="rl-soak-"))
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    burners: list = []
    try:
        configs = cluster_up(directory, args.nodes, "ipc")
        print(f"cluster of {args.nodes} nodes up in {directory}", flush=True)
        changes = _phase("idle", configs, args.idle)
        cluster = _Cluster(configs)
        try:
            burners = [ctx.Process(target=_burn, args=(stop,)) for _ in range(args.burners)]
            for proc in burners:
                proc.start()
            per_node = 5000

            def load() -> int:
                measure_throughput(cluster, per_node, 64)
                return per_node * args.nodes

            changes += _phase(f"loaded ({args.burners} burners)", configs, args.loaded, load)
        finally:
            cluster.close()
    finally:
        stop.set()
        for proc in burners:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)
    print("membership held" if changes == 0 else f"{changes} false membership change(s)")
    return 0 if changes == 0 else 1
