"""`ringleader property set NAME=VALUE | unset NAME | list [--all]`: cluster options in the CIB's
`cib-bootstrap-options`, checked against the options Pacemaker knows."""

from __future__ import annotations

import argparse

from actors.config import load_config
from actors.crm.cib.client import change_command, get_config
from actors.crm.cib.edit import SetProperty, check_property
from actors.crm.cib.parse import parse_cib
from actors.crm.scheduler.options import CLUSTER_DEFAULTS, plain_values
from actors.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("property", help="cluster options (crm_config)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    set_ = verbs.add_parser("set", help="set a cluster option: NAME=VALUE")
    set_.add_argument("assignment", metavar="NAME=VALUE")
    set_.add_argument("--config", required=True, help="node configuration (TOML)")
    set_.set_defaults(func=_set)
    unset = verbs.add_parser("unset", help="back to the default")
    unset.add_argument("name")
    unset.add_argument("--config", required=True)
    unset.set_defaults(func=_unset)
    listing = verbs.add_parser("list", help="the options set (--all: with the defaults)")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--config", required=True)
    listing.set_defaults(func=_list)


def _set(args: argparse.Namespace) -> int:
    name, sep, value = args.assignment.partition("=")
    if not sep or not name:
        raise UserError(f"property set: {args.assignment!r} is not NAME=VALUE")
    check_property(name, value)
    return change_command(args.config, SetProperty(name, value))


def _unset(args: argparse.Namespace) -> int:
    check_property(args.name, None)
    return change_command(args.config, SetProperty(args.name, None))


def property_lines(xml: str, everything: bool = False) -> list[str]:
    values = plain_values(parse_cib(xml).crm_config)
    shown = dict(CLUSTER_DEFAULTS) | values if everything else values
    if not shown:
        return ["no cluster options set (all at their defaults; --all shows them)"]
    return [
        f"{name}: {value}" + ("" if name in values else " (default)")
        for name, value in sorted(shown.items())
    ]


def _list(args: argparse.Namespace) -> int:
    cib = get_config(load_config(args.config))
    print("\n".join(property_lines(cib.xml, args.all)))
    return 0
