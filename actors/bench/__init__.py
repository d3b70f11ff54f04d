"""Benchmarks behind `ringleader bench NAME`: each runs its reference side by side in one run.

A benchmark module exposes `add_arguments(parser)` and `run(args) -> BenchReport`.
"""

BENCHMARKS: dict[str, str] = {
    "actors": "actors.bench.actors",
    "lrm": "actors.bench.lrm",
    "scheduler": "actors.bench.scheduler",
    "totem-sim": "actors.ais.sim.throughput",
    "evs": "actors.bench.evs",
    "ais": "actors.bench.ais",
    "fence": "fencing.bench",
    "failover": "actors.bench.failover",
}
