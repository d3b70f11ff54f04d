"""`ringleader node start|stop|status --config FILE`: this machine's node supervisor."""

from __future__ import annotations

import argparse
import logging

from actors.config import load_config
from actors.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("node", help="start, stop or inspect this node's supervisor")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="run the node supervisor (foreground by default)")
    start.add_argument("--config", required=True, help="node configuration (TOML)")
    start.add_argument("--daemon", action="store_true", help="detach and log to the state dir")
    start.set_defaults(func=_start)
    stop = actions.add_parser("stop", help="stop the node supervisor and all its processes")
    stop.add_argument("--config", required=True)
    stop.set_defaults(func=_stop)
    status = actions.add_parser("status", help="the node's processes, pids and restarts")
    status.add_argument("--config", required=True)
    status.set_defaults(func=_status)
    for verb, helptext in (
        ("standby", "keep resources off NODE (standby=on in the CIB)"),
        ("unstandby", "let NODE run resources again (removes standby)"),
    ):
        standby = actions.add_parser(verb, help=helptext)
        standby.add_argument("node")
        standby.add_argument("--config", required=True)
        standby.set_defaults(func=_standby, standby=verb == "standby")


def _start(args: argparse.Namespace) -> int:
    from actors.node import NodeSupervisor, daemonize, read_pid

    config = load_config(args.config)
    running = read_pid(config)
    if running is not None:
        raise UserError(f"{config.path}: node {config.node} is already running (pid {running})")
    if args.daemon:
        daemonize(config.state_dir / "log" / "supervisor.log")
    if logging.getLogger().level > logging.WARNING or not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING)
    return NodeSupervisor(config).run()


def _stop(args: argparse.Namespace) -> int:
    from actors.node import stop_node

    config = load_config(args.config)
    if not stop_node(config):
        print(f"node {config.node}: not running")
        return 1
    print(f"node {config.node}: stopped")
    return 0


def _status(args: argparse.Namespace) -> int:
    from actors.node import node_status, read_pid
    from actors.runtime.errors import ActorUnreachable

    config = load_config(args.config)
    pid = read_pid(config)
    if pid is None:
        print(f"node {config.node}: not running")
        return 1
    try:
        children = node_status(config)
    except ActorUnreachable as exc:
        raise UserError(f"node {config.node} (pid {pid}) does not answer: {exc}") from None
    print(f"node {config.node}: supervisor pid {pid}")
    for status in children.values():
        state = "running" if status.alive else f"down ({status.last_exit})"
        print(
            f"  {status.name:<16} pid {status.pid or '-':<8} {state:<24} restarts {status.restarts}"
        )
    return 0


def _standby(args: argparse.Namespace) -> int:
    from actors.crm.cib.client import change_command, cluster_node
    from actors.crm.cib.edit import SetNodeStandby

    entry = cluster_node(args.config, args.node)
    return change_command(args.config, SetNodeStandby(entry.name, entry.id, args.standby))
