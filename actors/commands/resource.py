"""`ringleader resource VERB ...`: the verbs come from several modules (running one operation
through the LRM, editing resources in the CIB, ...); each adds its own to the `resource` parser."""

from __future__ import annotations

import argparse
import importlib

RESOURCE_VERB_MODULES: tuple[str, ...] = (
    "actors.commands.resource_exec",
    "actors.commands.resource_config",
    "actors.commands.resource_cleanup",
)
"""Each has `register_verbs(verbs)`, `verbs` being the `resource` parser's sub-parsers."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("resource", help="resources: run operations, configure")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name in RESOURCE_VERB_MODULES:
        importlib.import_module(name).register_verbs(verbs)
