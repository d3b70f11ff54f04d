"""`ringleader bench NAME [--json]`: run a benchmark and its reference side by side."""

from __future__ import annotations

import argparse
import importlib

from actors.bench import BENCHMARKS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark against its reference")
    names = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        sub = names.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        sub.add_argument("--json", action="store_true", help="print every figure as JSON")
        module.add_arguments(sub)
        sub.set_defaults(func=_runner(module))


def _runner(module):
    def run(args: argparse.Namespace) -> int:
        report = module.run(args)
        print(report.to_json() if args.json else report.to_text())
        return 0

    return run
