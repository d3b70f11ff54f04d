"""`ringleader resource cleanup RSC [--node N] --config NODE.toml`: forget a resource's failures.

As `crm_resource --cleanup`: the DC clears its fail counts and last-failure times (the attribute
manager) and has the LRM of each node (or of `--node`) delete the resource's history, so it is
probed again and placed afresh.
"""

from __future__ import annotations

import argparse

from actors.config import load_config
from actors.crm.controller import CONTROLLER_ACTOR
from actors.crm.controller.actor import Cleanup
from actors.errors import UserError
from actors.node_client import node_actor
from actors.runtime.errors import ActorUnreachable


def register_verbs(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "cleanup", help="clear a resource's failures and history so it is probed again"
    )
    parser.add_argument("resource")
    parser.add_argument("--node", help="only on this node")
    parser.add_argument("--config", required=True, help="node configuration (TOML)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.node and args.node not in {n.name for n in config.nodes}:
        raise UserError(f"{config.path}: --node {args.node}: no such node in [[nodes]]")
    with node_actor(config, "crm", CONTROLLER_ACTOR) as ref:
        try:
            dc = ref.ask(Cleanup(args.resource, args.node), timeout=10.0).get()
        except ActorUnreachable as exc:
            raise UserError(f"{config.path}: the controller does not answer: {exc}") from None
        except RuntimeError as exc:
            raise UserError(f"{config.path}: {exc}") from None
    where = f" on {args.node}" if args.node else ""
    print(f"Cleaned up {args.resource}{where} (the DC, {dc}, re-probes it)")
    return 0
