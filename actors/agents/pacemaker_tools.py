"""`crm_attribute`, `crm_master`, `attrd_updater` and `crm_node` for agents run by a node.

Resource agents talk back to the cluster through Pacemaker's command-line tools, found in
`$HA_SBIN_DIR`: a promotable agent sets its promotion score with `crm_attribute --promotion`
(or `crm_master`), others keep transient node attributes with `attrd_updater` or ask
`crm_node -n` for their node's name. The privileged child points `HA_SBIN_DIR` of every OCF
agent at `tools/` beside this module, whose scripts run this one with the node's configuration
(`RINGLEADER_CONFIG`), so the agents' calls reach the node's attribute manager and its
values reach the scheduler (a `master-<resource>` attribute is that instance's promotion score
on the node), as with Pacemaker.

Supported: transient node attributes (lifetime `reboot`, section `status`), which is what agents
use; anything else (`crm_config`, permanent `nodes` attributes) is refused with a message
naming the option, exit status 1. Exit statuses otherwise as Pacemaker's tools: 0, and 105
(CRM_EX_NOSUCH) for a query of an attribute that is not set.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

TOOLS_DIR = Path(__file__).parent / "tools"
CONFIG_ENV = "RINGLEADER_CONFIG"
PYTHON_ENV = "RINGLEADER_PYTHON"
NOSUCH = 105  # CRM_EX_NOSUCH
ASK_TIMEOUT = 30.0


def tools_env(config_path: str) -> dict[str, str]:
    """What an OCF agent run for the node configured at `config_path` gets so that its calls
    to Pacemaker's tools reach that node."""
    return {
        "HA_SBIN_DIR": str(TOOLS_DIR),
        CONFIG_ENV: str(config_path),
        PYTHON_ENV: sys.executable,
    }


class ToolError(Exception):
    """A call this implementation does not support or cannot serve: message, exit status 1."""


# ---- the node's attribute manager ---------------------------------------------------------------


class Attributes:
    """The transient node attributes of the cluster, through the local node's attrd."""

    def __init__(self, config_path: str | None) -> None:
        from actors.config import load_config
        from actors.errors import UserError

        path = config_path or os.environ.get(CONFIG_ENV)
        if not path:
            raise ToolError(f"no node configuration: ${CONFIG_ENV} is not set")
        try:
            self.config = load_config(path)
        except UserError as exc:
            raise ToolError(str(exc)) from None

    def node(self, given: str | None) -> str:
        """The node meant: -N, else the node the operation runs on, else this node."""
        return given or os.environ.get("OCF_RESKEY_CRM_meta_on_node") or self.config.node

    def _call(self, message: object | None) -> dict[str, dict[str, str]]:
        from actors.crm.attrd import ATTRD_ACTOR
        from actors.crm.attrd.actor import GetAttributes
        from actors.node_client import node_actor

        with node_actor(self.config, "crm", ATTRD_ACTOR) as attrd:
            if message is not None:
                attrd.tell(message)
            # Asked on the same channel after the tell: answered once the change is in.
            return attrd.ask(GetAttributes(), timeout=ASK_TIMEOUT).get()

    def set(self, node: str, name: str, value: str | None) -> None:
        from actors.crm.attrd.core import Set

        self._call(Set(node, name, value))

    def table(self) -> dict[str, dict[str, str]]:
        return self._call(None)

    def get(self, node: str, name: str) -> str | None:
        return self.table().get(node, {}).get(name)


# ---- the tools ----------------------------------------------------------------------------------


def _promotion_name(resource: str | None) -> str:
    rsc = resource or os.environ.get("OCF_RESOURCE_INSTANCE")
    if not rsc:
        raise ToolError("--promotion: no resource given and $OCF_RESOURCE_INSTANCE is not set")
    return f"master-{rsc}"


def _transient_only(lifetime: str | None, section: str | None) -> None:
    if lifetime not in (None, "reboot"):
        raise ToolError(f"--lifetime {lifetime}: only transient attributes (reboot) are supported")
    if section not in (None, "status"):
        raise ToolError(f"--type {section}: only node attributes in status are supported")


def _query(attrs: Attributes, node: str, name: str, quiet: bool, default: str | None) -> int:
    value = attrs.get(node, name)
    if value is None:
        value = default
    if value is None:
        print(f"crm_attribute: {name} is not set on {node}", file=sys.stderr)
        return NOSUCH
    print(value if quiet else f"scope=status  name={name} value={value}")
    return 0


def crm_attribute(argv: list[str]) -> int:
    p = _parser("crm_attribute")
    p.add_argument("-n", "--name", "--attr-name")
    p.add_argument("-v", "--update", "--attr-value", dest="value")
    p.add_argument("-D", "--delete", action="store_true")
    p.add_argument("-G", "--query", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("-N", "--node")
    p.add_argument("-l", "--lifetime")
    p.add_argument("-t", "--type", dest="section")
    p.add_argument("-p", "--promotion", nargs="?", const="", default=None)
    p.add_argument("-d", "--default")
    p.add_argument("-s", "--set-name")
    p.add_argument("-i", "--id")
    p.add_argument("-z", "--utilization", action="store_true")
    p.add_argument("-r", "--resource", help="crm_master's: the instance of --promotion")
    args = p.parse_args(argv)
    if args.utilization:
        raise ToolError("--utilization: not supported")
    if args.promotion is not None:
        args.name = _promotion_name(args.promotion or args.resource)
        args.lifetime = args.lifetime or "reboot"
    _transient_only(args.lifetime, args.section)
    if not args.name:
        raise ToolError("--name is required")
    attrs = Attributes(args.config)
    node = attrs.node(args.node)
    if _changed(attrs, node, args.name, args.delete, args.value):
        return 0
    return _query(attrs, node, args.name, args.quiet, args.default)


def crm_master(argv: list[str]) -> int:
    """Pacemaker's older wrapper: crm_attribute on the promotion score of the running instance
    (`-r RESOURCE` names another)."""
    return crm_attribute(["--promotion", *argv])


def _changed(attrs: Attributes, node: str, name: str, delete: bool, value: str | None) -> bool:
    """Apply a delete or an update, if that is what was asked (else it is a query)."""
    if delete:
        attrs.set(node, name, None)
    elif value is not None:
        attrs.set(node, name, value)
    else:
        return False
    return True


def attrd_updater(argv: list[str]) -> int:
    p = _parser("attrd_updater")
    p.add_argument("-n", "--name", required=True)
    p.add_argument("-U", "-B", "--update", "--update-both", dest="value")
    p.add_argument("-D", "--delete", action="store_true")
    p.add_argument("-Q", "--query", action="store_true")
    p.add_argument("-A", "--all", action="store_true")
    p.add_argument("-N", "--node")
    p.add_argument("-d", "--delay")
    p.add_argument("-Y", "--update-delay", action="store_true")
    p.add_argument("-p", "--private", action="store_true")
    p.add_argument("-R", "--refresh", action="store_true")
    args = p.parse_args(argv)
    attrs = Attributes(args.config)
    node = attrs.node(args.node)
    if _changed(attrs, node, args.name, args.delete, args.value):
        return 0
    if args.update_delay or args.refresh:
        return 0  # no dampening here: every update is written at once
    table = attrs.table()
    nodes = sorted(table) if args.all else [node]
    found = [(n, table[n][args.name]) for n in nodes if args.name in table.get(n, {})]
    for n, value in found:
        print(f'name="{args.name}" host="{n}" value="{value}"')
    return 0 if found else NOSUCH


def crm_node(argv: list[str]) -> int:
    p = _parser("crm_node")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("-n", "--name", action="store_true")
    what.add_argument("-i", "--cluster-id", action="store_true")
    what.add_argument("-l", "--list", action="store_true")
    what.add_argument("-p", "--partition", action="store_true")
    what.add_argument("-q", "--quorum", action="store_true")
    p.add_argument("-N", "--name-for-id", type=int)
    args = p.parse_args(argv)
    attrs = Attributes(args.config)
    cfg = attrs.config
    if args.name:
        if args.name_for_id is not None:
            names = {n.id: n.name for n in cfg.nodes}
            if args.name_for_id not in names:
                raise ToolError(f"no node with id {args.name_for_id}")
            print(names[args.name_for_id])
        else:
            print(cfg.node)
        return 0
    if args.cluster_id:
        print(cfg.me.id)
        return 0
    from actors.commands.status import fetch

    status = fetch(str(cfg.path))
    members = set(status.get("members", []))
    if args.list:
        for n in cfg.nodes:
            print(f"{n.id} {n.name} {'member' if n.name in members else 'lost'}")
    elif args.partition:
        print(" ".join(n.name for n in cfg.nodes if n.name in members))
    else:
        print(1 if status.get("quorate") else 0)
    return 0


TOOLS = {
    "crm_attribute": crm_attribute,
    "crm_master": crm_master,
    "attrd_updater": attrd_updater,
    "crm_node": crm_node,
}


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=f"ringleader's {prog} for agents")
    p.add_argument("--config", help=f"node configuration (default: ${CONFIG_ENV})")
    return p


def main(argv: list[str] | None = None) -> int:
    from actors.errors import UserError

    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in TOOLS:
        print(f"usage: pacemaker_tools {{{','.join(TOOLS)}}} ...", file=sys.stderr)
        return 2
    try:
        return TOOLS[argv[0]](argv[1:])
    except (ToolError, UserError) as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - an agent gets a status and a line, not a trace
        print(f"{argv[0]}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
