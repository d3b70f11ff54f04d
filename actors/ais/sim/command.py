"""`ringleader sim evs` / `python3 -m actors.ais.sim`: run many seeded EVS scenarios.

Prints every failing seed with its fault script and violations (replay one with `--seed N`) and
exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import sys
import time

from actors.ais.sim.scenario import FAULT_CLASSES, run_scenario
from actors.errors import UserError


def _node_range(text: str) -> tuple[int, int]:
    try:
        lo, _, hi = text.partition("-")
        bounds = (int(lo), int(hi or lo))
    except ValueError:
        raise UserError(f"--nodes: expected N or LO-HI, got {text!r}") from None
    if not 1 <= bounds[0] <= bounds[1]:
        raise UserError(f"--nodes: need 1 <= LO <= HI, got {text!r}")
    return bounds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=1000, help="how many seeds (default 1000)")
    parser.add_argument("--first", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--seed", type=int, help="replay this one seed and print its script")
    parser.add_argument("--nodes", default="2-6", help="node count or range LO-HI (default 2-6)")
    parser.add_argument(
        "--faults",
        help=f"comma-separated fault classes to force ({','.join(FAULT_CLASSES)}); "
        "default: a random mix per seed",
    )
    parser.add_argument("--duration", type=float, default=2.0, help="faulty virtual seconds")


def run(args: argparse.Namespace) -> int:
    nodes = _node_range(args.nodes)
    faults = None
    if args.faults is not None:
        faults = tuple(f for f in args.faults.split(",") if f)
        unknown = sorted(set(faults) - set(FAULT_CLASSES))
        if unknown:
            raise UserError(f"--faults: unknown class(es) {unknown}; known: {FAULT_CLASSES}")
    if args.seed is not None:
        outcome = run_scenario(args.seed, nodes, args.duration, faults=faults)
        print(outcome.describe())
        print("ok" if outcome.ok else "FAILED")
        return 0 if outcome.ok else 1
    started = time.perf_counter()
    failed = 0
    for seed in range(args.first, args.first + args.seeds):
        outcome = run_scenario(seed, nodes, args.duration, faults=faults)
        if not outcome.ok:
            failed += 1
            print(outcome.describe(), flush=True)
            print(f"replay: python3 -m actors.ais.sim --seed {seed} --nodes {args.nodes}")
    elapsed = time.perf_counter() - started
    print(f"{args.seeds - failed}/{args.seeds} seeds passed in {elapsed:.1f}s")
    return 1 if failed else 0


def register(subparsers) -> None:
    """Adds `ringleader sim evs`."""
    sim = subparsers.add_parser("sim", help="deterministic simulations")
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="SIMULATION")
    evs = sim_sub.add_parser("evs", help="seeded totem scenarios checked for virtual synchrony")
    add_arguments(evs)
    evs.set_defaults(func=run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m actors.ais.sim", description=__doc__)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
