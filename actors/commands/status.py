"""`ringleader status [--json] [--watch] --config NODE.toml`: the cluster as crm_mon shows it.

The node's controller answers with the DC's view (it asks the DC): the CIB the DC plans with
(configuration plus the status section it rebuilt from the LRMs) and the fencing history. The
node and resource lines are the scheduler's own reading of that CIB, printed as crm_simulate
prints them (`actors.crm.scheduler.status_text`), so what is shown is what the DC decides on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from actors.agents.results import OcfResult
from actors.config import load_config
from actors.crm.cib import parse_cib
from actors.crm.cib.model import Cib, Clone, Group, Primitive
from actors.crm.controller import CONTROLLER_ACTOR
from actors.crm.controller.actor import GetStatus
from actors.crm.scheduler import schedule, status_text
from actors.crm.scheduler.model import Transition
from actors.errors import UserError
from actors.node_client import node_actor
from actors.runtime.errors import ActorUnreachable

ASK_TIMEOUT = 10.0
PACEMAKER_STATUS = [
    "complete",
    "Cancelled",
    "Timed Out",
    "NOT SUPPORTED",
    "Error",
    "Hard error",
    "Fatal error",
    "Not installed",
    "Not connected",
    "Invalid",
    "No fence device",
    "No secrets",
]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("status", help="the cluster's state, like crm_mon")
    parser.add_argument("--config", required=True, help="node configuration (TOML)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--watch", action="store_true", help="print again on every change")
    parser.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def fetch(config_path: str, timeout: float = ASK_TIMEOUT) -> dict:
    """The DC's view, through this node's controller."""
    config = load_config(config_path)
    with node_actor(config, "crm", CONTROLLER_ACTOR) as ref:
        try:
            return ref.ask(GetStatus(), timeout=timeout).get()
        except ActorUnreachable as exc:
            raise UserError(
                f"{config.path}: the controller of {config.node} does not answer: {exc}"
            ) from None


def _model(status: dict) -> tuple[Cib, Transition] | None:
    if not status.get("cib"):
        return None
    cib = parse_cib(status["cib"], "status")
    return cib, schedule(cib, dt.datetime.now(dt.UTC))


def _count(cib: Cib) -> int:
    total = 0
    for r in cib.resources:
        if isinstance(r, Primitive):
            total += 1
        elif isinstance(r, Group):
            total += len(r.children)
        elif isinstance(r, Clone):
            total += 1
    return total


def failed_actions(cib: Cib) -> list[dict]:
    """Each node's last failures (`*_last_failure_0`), as crm_mon's Failed Resource Actions."""
    out = []
    for state in cib.node_states:
        for hist in state.history:
            for op in hist.ops:
                if not op.id.endswith("_last_failure_0"):
                    continue
                probe = op.operation == "monitor" and op.interval_ms == 0
                if probe and op.op_status == 0 and op.rc_code in (0, 7, 8):
                    continue  # a probe finding the resource running is news, not a failure
                try:
                    name = OcfResult(op.rc_code).name
                except ValueError:
                    name = str(op.rc_code)
                out.append(
                    {
                        "op": f"{hist.id}_{op.operation}_{op.interval_ms}",
                        "node": state.uname or state.id,
                        "rc": op.rc_code,
                        "rc_name": name,
                        "status": op.op_status,
                        "call": op.call_id,
                        "exit_reason": op.exit_reason or "",
                        "last_rc_change": op.last_rc_change,
                    }
                )
    return out


def _when(stamp: float | int | None) -> str:
    if not stamp:
        return "?"
    return dt.datetime.fromtimestamp(stamp).strftime("%a %b %d %H:%M:%S %Y")


def summary(status: dict) -> dict:
    """Everything shown, as plain data (the --json output)."""
    model = _model(status)
    out: dict = {
        "dc": status.get("dc"),
        "quorate": status.get("quorate"),
        "members": status.get("members", []),
        "queried": status.get("node"),
    }
    if model is not None:
        cib, transition = model
        out["nodes_configured"] = len(cib.nodes)
        out["resources_configured"] = _count(cib)
        out["nodes"] = [
            {
                "name": n.name,
                "online": n.online,
                "unclean": n.unclean,
                "standby": n.standby,
                "maintenance": n.maintenance,
                "pending": n.pending,
            }
            for n in transition.nodes
        ]
        out["resources"] = [
            {
                "id": v.id,
                "agent": v.agent,
                "role": v.role,
                "nodes": list(v.current),
                "failed": v.failed,
                "managed": v.managed,
                "group": v.group,
            }
            for v in transition.resources
        ]
        out["failed_actions"] = failed_actions(cib)
    fencing = status.get("fencing")
    if fencing is not None:
        out["fencing"] = [
            {
                "target": e.target,
                "action": e.action,
                "state": str(e.state),
                "executor": e.executor,
                "origin": e.origin,
                "client": e.client,
                "completed": e.completed,
            }
            for e in fencing
        ]
    return out


def text(status: dict) -> list[str]:
    model = _model(status)
    dc = status.get("dc")
    quorum = "partition with quorum" if status.get("quorate") else "partition WITHOUT quorum"
    lines = ["Cluster Summary:", "  * Stack: ringleader"]
    lines.append(f"  * Current DC: {dc} - {quorum}" if dc else "  * Current DC: NONE")
    if model is None:
        lines.append("  * (the DC has no configuration yet)")
        return lines
    cib, transition = model
    lines.append(f"  * {len(cib.nodes)} nodes configured")
    lines.append(f"  * {_count(cib)} resource instances configured")
    lines.append("")
    lines += status_text.status_lines(cib, transition.nodes, transition.resources)
    failed = failed_actions(cib)
    if failed:
        lines += ["", "Failed Resource Actions:"]
        for f in failed:
            idx = f["status"]
            state = PACEMAKER_STATUS[idx] if 0 <= idx < len(PACEMAKER_STATUS) else str(idx)
            lines.append(
                f"  * {f['op']} on {f['node']} '{f['rc_name']}' ({f['rc']}): call={f['call']},"
                f" status='{state}', exitreason='{f['exit_reason']}',"
                f" last-rc-change='{_when(f['last_rc_change'])}'"
            )
    fencing = status.get("fencing")
    if fencing:
        lines += ["", "Fencing History:"]
        for e in sorted(fencing, key=lambda e: e.completed, reverse=True):
            verb = "successful" if e.ok else "failed"
            lines.append(
                f"  * {e.action} of {e.target} {verb}: delegate={e.executor or '?'},"
                f" client={e.client}, origin={e.origin}, completed='{_when(e.completed)}'"
            )
    return lines


def run(args: argparse.Namespace) -> int:
    last = None
    while True:
        status = fetch(args.config)
        shown = json.dumps(summary(status), indent=2, default=str) if args.json else None
        if shown is None:
            shown = "\n".join(text(status))
        if shown != last:
            if args.watch and last is not None:
                print(f"\n--- {time.strftime('%H:%M:%S')} ---")
            print(shown, flush=True)
            last = shown
        if not args.watch:
            return 0 if status.get("dc") else 1
        time.sleep(args.interval)
