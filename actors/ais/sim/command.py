"""`ringleader sim evs` / `python3 -m actors.ais.sim`: run many seeded EVS scenarios;
`ringleader sim ais`: the same with the application services (CKPT, EVT, MSG, LCK) and their
checkers (`actors.ais.sim.services`).

Prints every failing seed with its fault script and violations (replay one with `--seed N`) and
exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import sys
import time

from actors.ais.sim.scenario import FAULT_CLASSES, run_scenario
from actors.ais.sim.services import run_services_scenario
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


def add_arguments(parser: argparse.ArgumentParser, nodes: str = "2-6") -> None:
    parser.add_argument("--seeds", type=int, default=1000, help="how many seeds (default 1000)")
    parser.add_argument("--first", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--seed", type=int, help="replay this one seed and print its script")
    parser.add_argument(
        "--nodes", default=nodes, help=f"node count or range LO-HI (default {nodes})"
    )
    parser.add_argument(
        "--faults",
        help=f"comma-separated fault classes to force ({','.join(FAULT_CLASSES)}); "
        "default: a random mix per seed",
    )
    parser.add_argument("--duration", type=float, default=2.0, help="faulty virtual seconds")


def run(args: argparse.Namespace) -> int:
    return _run(args, run_scenario, "python3 -m actors.ais.sim")


def run_ais(args: argparse.Namespace) -> int:
    return _run(args, run_services_scenario, "ringleader sim ais")


def _run(args: argparse.Namespace, scenario, replay: str) -> int:
    nodes = _node_range(args.nodes)
    faults = None
    if args.faults is not None:
        faults = tuple(f for f in args.faults.split(",") if f)
        unknown = sorted(set(faults) - set(FAULT_CLASSES))
        if unknown:
            raise UserError(f"--faults: unknown class(es) {unknown}; known: {FAULT_CLASSES}")
    if args.seed is not None:
        outcome = scenario(args.seed, nodes, args.duration, faults=faults)
        print(outcome.describe())
        print("ok" if outcome.ok else "FAILED")
        return 0 if outcome.ok else 1
    started = time.perf_counter()
    failed = 0
    for seed in range(args.first, args.first + args.seeds):
        outcome = scenario(seed, nodes, args.duration, faults=faults)
        if not outcome.ok:
            failed += 1
            print(outcome.describe(), flush=True)
            print(f"replay: {replay} --seed {seed} --nodes {args.nodes}")
    elapsed = time.perf_counter() - started
    print(f"{args.seeds - failed}/{args.seeds} seeds passed in {elapsed:.1f}s")
    return 1 if failed else 0


def register(subparsers) -> None:
    """Adds `ringleader sim evs` and `ringleader sim ais`."""
    sim = subparsers.add_parser("sim", help="deterministic simulations")
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="SIMULATION")
    evs = sim_sub.add_parser("evs", help="seeded totem scenarios checked for virtual synchrony")
    add_arguments(evs)
    evs.set_defaults(func=run)
    ais = sim_sub.add_parser(
        "ais", help="seeded CKPT/EVT/MSG/LCK workloads under faults, checked per service"
    )
    add_arguments(ais, nodes="2-5")
    ais.set_defaults(func=run_ais)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m actors.ais.sim", description=__doc__)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
