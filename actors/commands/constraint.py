"""`ringleader constraint location|colocation|order add|remove|list` and `constraint list|remove`:
constraints in the CIB, with the ids pcs gives them (`location-web-node1-INFINITY`,
`colocation-web-ip-INFINITY`, `order-ip-web-mandatory`)."""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET

from actors.config import load_config
from actors.crm.cib.client import change_command, get_config
from actors.crm.cib.edit import (
    AddColocation,
    AddLocation,
    AddOrder,
    RemoveConstraint,
    describe_constraint,
)

TAGS = {"location": "rsc_location", "colocation": "rsc_colocation", "order": "rsc_order"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("constraint", help="location, colocation, order constraints")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind in TAGS:
        sub = kinds.add_parser(kind, help=f"{kind} constraints")
        verbs = sub.add_subparsers(dest="verb", metavar="VERB", required=True)
        add = verbs.add_parser("add", help=f"add a {kind} constraint")
        if kind == "location":
            add.add_argument("resource")
            add.add_argument("node")
            add.add_argument("score", nargs="?", default="INFINITY", help="default INFINITY")
        elif kind == "colocation":
            add.add_argument("resource")
            add.add_argument("with_resource")
            add.add_argument("score", nargs="?", default="INFINITY", help="default INFINITY")
        else:
            add.add_argument("first")
            add.add_argument("then")
            add.add_argument("--first-action", default="start")
            add.add_argument("--then-action", default="start")
            add.add_argument("--kind", dest="order_kind", default="Mandatory")
        add.add_argument("--config", required=True, help="node configuration (TOML)")
        add.set_defaults(func=_add)
        remove = verbs.add_parser("remove", help=f"remove a {kind} constraint by id")
        remove.add_argument("id")
        remove.add_argument("--config", required=True)
        remove.set_defaults(func=_remove)
        listing = verbs.add_parser("list", help=f"the {kind} constraints")
        listing.add_argument("--config", required=True)
        listing.set_defaults(func=_list)
    listing = kinds.add_parser("list", help="every constraint")
    listing.add_argument("--config", required=True)
    listing.set_defaults(func=_list, kind=None)
    remove = kinds.add_parser("remove", help="remove any constraint by id")
    remove.add_argument("id")
    remove.add_argument("--config", required=True)
    remove.set_defaults(func=_remove, kind=None)


def _add(args: argparse.Namespace) -> int:
    if args.kind == "location":
        change = AddLocation(args.resource, args.node, args.score)
    elif args.kind == "colocation":
        change = AddColocation(args.resource, args.with_resource, args.score)
    else:
        change = AddOrder(
            args.first, args.then, args.first_action, args.then_action, args.order_kind
        )
    return change_command(args.config, change)


def _remove(args: argparse.Namespace) -> int:
    tag = TAGS.get(args.kind) if args.kind else None
    return change_command(args.config, RemoveConstraint(args.id, tag))


def constraint_lines(xml: str, tag: str | None = None) -> list[str]:
    """One line per constraint (of `tag` when given), grouped by type."""
    root = ET.fromstring(xml)
    lines = []
    for kind, element in TAGS.items():
        if tag is not None and element != tag:
            continue
        found = root.findall(f"configuration/constraints/{element}")
        if tag is None and not found:
            continue
        lines.append(f"{kind.capitalize()} constraints:")
        lines += [f"  {describe_constraint(el)}" for el in found] or ["  (none)"]
    return lines or ["no constraints"]


def _list(args: argparse.Namespace) -> int:
    cib = get_config(load_config(args.config))
    tag = TAGS.get(args.kind) if args.kind else None
    print("\n".join(constraint_lines(cib.xml, tag)))
    return 0
