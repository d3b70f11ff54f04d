"""`ringleader agent list [ocf|lsb|stonith]` and `ringleader agent show SPEC`: installed agents.

`add_exec_arguments` / `exec_agent` implement running one operation by hand (the issue's
`ringleader resource exec RSC_TYPE ACTION -p key=value`) for the module that owns `resource`.
For now these run agents directly through the runner, as the invoking user.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from actors.agents.catalog import list_agents
from actors.agents.duration import parse_ms
from actors.agents.execute import RunAgent, execute, show
from actors.agents.spec import AgentDirs, AgentSpec, Standard
from actors.errors import UserError


def add_dir_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = AgentDirs()
    parser.add_argument("--ocf-root", type=Path, default=defaults.ocf_root, help="OCF root")
    parser.add_argument("--lsb-dir", type=Path, default=defaults.lsb_dir, help="LSB init dir")
    parser.add_argument(
        "--fence-dir", type=Path, default=defaults.fence_dir, help="fence agent dir"
    )


def agent_dirs(args: argparse.Namespace) -> AgentDirs:
    return AgentDirs(ocf_root=args.ocf_root, lsb_dir=args.lsb_dir, fence_dir=args.fence_dir)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("agent", help="list installed agents, show their parameters")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    lister = verbs.add_parser("list", help="list installed agents")
    lister.add_argument("standard", nargs="?", choices=[s.value for s in Standard])
    add_dir_arguments(lister)
    lister.set_defaults(func=_list)
    shower = verbs.add_parser("show", help="an agent's parameters and actions (from meta-data)")
    shower.add_argument("spec", help="ocf:PROVIDER:TYPE or stonith:fence_NAME")
    add_dir_arguments(shower)
    shower.set_defaults(func=_show)


def _list(args: argparse.Namespace) -> int:
    standard = Standard(args.standard) if args.standard else None
    for spec in list_agents(agent_dirs(args), standard):
        print(spec)
    return 0


def _show(args: argparse.Namespace) -> int:
    spec = AgentSpec.parse(args.spec)
    meta = show(spec, agent_dirs(args))
    print(f"{spec} ({meta.name} {meta.version})".rstrip())
    if meta.shortdesc:
        print(f"  {meta.shortdesc}")
    print("\nParameters:")
    for p in meta.parameters:
        flags = [p.type] + [f for f, on in (("required", p.required), ("unique", p.unique)) if on]
        default = f" [default: {p.default}]" if p.default not in (None, "") else ""
        print(f"  {p.name} ({', '.join(flags)}){default}")
        if p.shortdesc:
            print(textwrap.indent(textwrap.fill(p.shortdesc, 90), "      "))
    print("\nActions:")
    for a in meta.actions:
        fields = (("timeout", a.timeout_ms), ("interval", a.interval_ms))
        extra = [f"{k}={v}ms" for k, v in fields if v is not None]
        extra += [f"role={a.role}"] if a.role else []
        print(f"  {a.name} {' '.join(extra)}".rstrip())
    return 0


def _key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    return name, value


def add_exec_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `resource exec RSC_TYPE ACTION [-p key=value ...]`."""
    parser.add_argument("spec", help="agent: ocf:PROVIDER:TYPE, lsb:NAME or stonith:fence_NAME")
    parser.add_argument("action", help="start, stop, monitor, meta-data, ...")
    parser.add_argument("-p", "--param", type=_key_value, action="append", default=[])
    parser.add_argument("-m", "--meta", type=_key_value, action="append", default=[])
    parser.add_argument("--resource", default="exec", help="OCF_RESOURCE_INSTANCE")
    parser.add_argument("--interval", default="0", help="OCF_RESKEY_CRM_meta_interval (e.g. 10s)")
    parser.add_argument("--timeout", default="20s", help="operation timeout (e.g. 20s)")
    add_dir_arguments(parser)


def exec_agent(args: argparse.Namespace) -> int:
    """Run one operation; print the agent's output and the result; exit with the OCF code."""
    try:
        timeout_ms, interval_ms = parse_ms(args.timeout), parse_ms(args.interval)
    except ValueError as exc:
        raise UserError(f"--timeout/--interval: {exc}") from None
    req = RunAgent(
        call_id=0,
        spec=AgentSpec.parse(args.spec),
        action=args.action,
        resource=args.resource,
        params=dict(args.param),
        meta=dict(args.meta),
        interval_ms=interval_ms,
        timeout_ms=timeout_ms,
    )
    result = execute(req, agent_dirs(args))
    sys.stdout.write(result.stdout.decode(errors="replace"))
    sys.stderr.write(result.stderr.decode(errors="replace"))
    print(f"{req.spec} {req.action}: {result.describe()} in {result.exec_ms}ms", file=sys.stderr)
    return int(result.rc)
