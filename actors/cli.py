"""The `ringleader` command: builds the argument parser from the command modules and runs one."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from actors.errors import UserError

# Each module registers its sub-command(s) with `register(subparsers)` and sets `func` on them.
COMMAND_MODULES: tuple[str, ...] = (
    "actors.commands.keygen",
    "actors.commands.node",
    "actors.commands.demo",
    "actors.commands.bench",
    "actors.commands.agent",
    "actors.commands.conformance",
    "actors.commands.simulate",
    "actors.commands.fence",
    "actors.ais.sim.command",
    "actors.commands.cluster",
    "actors.commands.quorum",
    "actors.commands.resource",
    "actors.commands.soak",
    "actors.commands.constraint",
    "actors.commands.property",
    "actors.commands.config_cmd",
    "actors.commands.status",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ringleader",
        description="High-availability cluster stack: AIS services and a Pacemaker-style CRM.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except UserError as exc:
        print(f"ringleader: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
