"""`ringleader config show | load FILE | export [--out FILE]`: the cluster configuration (the CIB
without its status) as a summary, or as Pacemaker CIB XML in and out. A loaded file replaces the
configuration whole, or is refused whole with the element path; its status section is ignored,
and the version continues from the cluster's (epoch + 1)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from actors.commands.constraint import constraint_lines
from actors.commands.property import property_lines
from actors.config import load_config
from actors.crm.cib.client import change_command, get_config, version_text
from actors.crm.cib.edit import ReplaceConfiguration
from actors.crm.cib.model import Clone, Group, Primitive
from actors.crm.cib.parse import parse_cib
from actors.crm.scheduler.options import plain_values
from actors.errors import UserError
from fencing.store import write_atomic


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="the cluster configuration (CIB)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    show = verbs.add_parser("show", help="summary: options, nodes, resources, constraints")
    show.add_argument("--config", required=True, help="node configuration (TOML)")
    show.set_defaults(func=_show)
    load = verbs.add_parser("load", help="replace the configuration with a CIB XML file")
    load.add_argument("file")
    load.add_argument("--config", required=True)
    load.set_defaults(func=_load)
    export = verbs.add_parser("export", help="the configuration as Pacemaker CIB XML")
    export.add_argument("--out", help="write it here (mode 0600) instead of to stdout")
    export.add_argument("--config", required=True)
    export.set_defaults(func=_export)


def summary_lines(version: tuple[int, int, int], xml: str) -> list[str]:
    cib = parse_cib(xml)
    lines = [f"cib version {version_text(version)}", "", "Cluster options:"]
    lines += [f"  {line}" for line in property_lines(xml)]
    lines += ["", "Nodes:"]
    for node in cib.nodes:
        attrs = plain_values(node.attributes)
        extra = " (standby)" if attrs.get("standby", "off").lower() in ("on", "true") else ""
        lines.append(f"  {node.uname} (id {node.id}){extra}")
    if not cib.nodes:
        lines.append("  (none recorded)")
    lines += ["", "Resources:"]
    for res in cib.resources:
        lines += _resource_lines(res, "  ")
    if not cib.resources:
        lines.append("  (none)")
    lines += [""] + constraint_lines(xml)
    return lines


def _resource_lines(res, indent: str) -> list[str]:
    if isinstance(res, Primitive):
        meta = plain_values(res.meta)
        role = f" target-role={meta['target-role']}" if "target-role" in meta else ""
        params = " ".join(f"{k}={v}" for k, v in plain_values(res.instance).items())
        ops = ", ".join(f"{op.name} every {op.interval_ms // 1000}s" for op in res.ops)
        tail = "".join(f" [{x}]" for x in (params, ops) if x)
        return [f"{indent}{res.id} ({res.agent}){role}{tail}"]
    if isinstance(res, Group):
        lines = [f"{indent}group {res.id}:"]
        for child in res.children:
            lines += _resource_lines(child, indent + "  ")
        return lines
    if isinstance(res, Clone):
        return [f"{indent}clone {res.id}:", *_resource_lines(res.child, indent + "  ")]
    return [f"{indent}{type(res).__name__.lower()} {res.id}"]


def _show(args: argparse.Namespace) -> int:
    cib = get_config(load_config(args.config))
    print("\n".join(summary_lines(cib.version, cib.xml)))
    return 0


def _load(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    parse_cib(text, str(path))  # refused here, whole, before the cluster is asked
    return change_command(args.config, ReplaceConfiguration(text, str(path)))


def _export(args: argparse.Namespace) -> int:
    cib = get_config(load_config(args.config))
    if args.out:
        out = Path(args.out)
        try:
            write_atomic(out, cib.xml + "\n")
        except OSError as exc:
            raise UserError(f"{out}: cannot write: {exc.strerror}") from None
        print(f"cib version {version_text(cib.version)} written to {out}")
    else:
        sys.stdout.write(cib.xml + "\n")
    return 0
