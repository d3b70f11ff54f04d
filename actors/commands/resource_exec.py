"""`ringleader resource exec RSC_TYPE ACTION [-p key=value ...] --config NODE.toml`.

Runs one operation through the running node's LRM and its privileged child (so as root, with
the node's agent directories), like `crm_resource --force-start`, and prints the result by
name: `ocf:heartbeat:Dummy start: OCF_SUCCESS (0)`. Exit status 0 when the rc is the expected
one (`--expect`, default OCF_SUCCESS), else the rc (1 when that is 0).
"""

from __future__ import annotations

import argparse
import sys

from actors.agents.duration import parse_ms
from actors.agents.results import ExecStatus, OcfResult
from actors.agents.spec import AgentSpec
from actors.config import load_config
from actors.errors import UserError

EXTRA_WAIT = 15.0  # seconds beyond the operation's timeout before giving up on the node


def register_verbs(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "exec", help="run one operation through the node's LRM and privileged child"
    )
    parser.add_argument("spec", metavar="RSC_TYPE", help="ocf:PROVIDER:TYPE, lsb:NAME, ...")
    parser.add_argument("action", metavar="ACTION", help="start, stop, monitor, promote, ...")
    parser.add_argument("-p", "--param", action="append", default=[], help="key=value")
    parser.add_argument("-m", "--meta", action="append", default=[], help="key=value (meta)")
    parser.add_argument("--resource", default="exec", help="resource id (OCF_RESOURCE_INSTANCE)")
    parser.add_argument("--interval", default="0", help="OCF_RESKEY_CRM_meta_interval (10s)")
    parser.add_argument("--timeout", default="20s", help="operation timeout (default 20s)")
    parser.add_argument(
        "--expect", default="OCF_SUCCESS", help="the rc that means success (name or number)"
    )
    parser.add_argument("--config", required=True, help="node configuration (TOML)")
    parser.set_defaults(func=run_exec)


def _rc(text: str) -> OcfResult:
    try:
        return OcfResult(int(text)) if text.isdigit() else OcfResult[text.upper()]
    except (KeyError, ValueError):
        names = ", ".join(r.name for r in OcfResult)
        raise UserError(f"--expect {text!r}: not an OCF return code ({names})") from None


def run_exec(args: argparse.Namespace) -> int:
    from actors.crm.lrm import LRM_ACTOR, PROCESS
    from actors.crm.lrm.actor import RunOnce
    from actors.crm.lrm.messages import OpRequest
    from actors.node_client import node_actor
    from actors.runtime.errors import ActorUnreachable
    from fencing.device import parse_options

    config = load_config(args.config)
    try:
        timeout_ms, interval_ms = parse_ms(args.timeout), parse_ms(args.interval)
    except ValueError as exc:
        raise UserError(f"--timeout/--interval: {exc}") from None
    expected = _rc(args.expect)
    request = OpRequest(
        rsc_id=args.resource,
        spec=AgentSpec.parse(args.spec),
        action=args.action,
        params=parse_options(args.param, "-p"),
        meta=parse_options(args.meta, "-m"),
        interval_ms=interval_ms,
        timeout_ms=timeout_ms,
        expected_rc=expected,
    )
    with node_actor(config, PROCESS, LRM_ACTOR) as lrm:
        try:
            report = lrm.ask(RunOnce(request), timeout=timeout_ms / 1000 + EXTRA_WAIT).get()
        except ActorUnreachable as exc:
            raise UserError(f"node {config.node}: its LRM does not answer: {exc}") from None
    record = report.record
    line = f"{request.spec} {request.action}: {record.rc.name} ({int(record.rc)})"
    if record.status is not ExecStatus.DONE:
        line += f" [{record.status.name.lower()}]"
    print(line)
    if record.exit_reason:
        print(f"  {record.exit_reason}", file=sys.stderr)
    if record.status is ExecStatus.DONE and record.rc is expected:
        return 0
    return int(record.rc) or 1
