"""`ringleader quorum [--config FILE]`: this node's quorum view, as corosync-quorumtool -s."""

from __future__ import annotations

import argparse
import time

from actors.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quorum", help="quorum status of this node (quorumtool -s)")
    parser.add_argument("--config", help="node configuration (default: $RINGLEADER_CONFIG)")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from actors.ais.client import QuorumClient
    from actors.ais.errors import AisError
    from actors.ais.quorum.status import render_status
    from actors.config import load_config

    try:
        with QuorumClient(config=args.config, timeout=args.timeout) as client:
            status = client.status()
    except AisError as exc:
        raise UserError(f"quorum: the executive did not answer: {exc}") from None
    names = {}
    if args.config:
        names = {n.id: n.name for n in load_config(args.config).nodes}
    print(render_status(status, names, time.strftime("%a %b %d %H:%M:%S %Y")), end="")
    return 0 if status.quorate else 1
