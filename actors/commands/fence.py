"""`ringleader fence ...`: fence devices, topology levels, fencing a node, the fencing history.

With the node (`--config`) running, every command asks its fencer (`<node>/fencer/fencer`):
registrations and levels go to every node's fencer, a fence is run cluster-wide. With the node
stopped, the command runs a fencer in this process on the node's state dir (standalone, like
`pacemaker-fenced -s`, and says so); the node's fencer starts from there, and the registry of
the running cluster wins over it if that one is newer (`fencing.registry`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from actors.config import load_config
from actors.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fence",
        help="fence devices, topology, fencing, history",
        description="Asks the running node's fencer (cluster-wide); with the node stopped, runs "
        "a standalone fencer in this process on the node's state dir.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(name: str, help: str, func) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help)
        sub.add_argument("--config", required=True, help="node configuration (TOML)")
        sub.add_argument(
            "--fence-dir",
            action="append",
            type=Path,
            help="where fence agents live, node stopped only (repeatable; default [agents] "
            "fence_dirs or /usr/sbin, then the built-in)",
        )
        sub.set_defaults(func=func)
        return sub

    reg = verb("register", "register (or replace) a fence device", _register)
    reg.add_argument("name", help="device name")
    reg.add_argument("--agent", required=True, help="fence agent, e.g. fence_ipmilan")
    reg.add_argument("--host-list", help="nodes it can fence (pcmk_host_list)")
    reg.add_argument("--host-map", help="node:port map (pcmk_host_map), e.g. 'n1:1;n2:2,3'")
    reg.add_argument("--host-check", help="static-list, dynamic-list, status or none")
    reg.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE", help="device option"
    )
    unreg = verb("unregister", "remove a fence device", _unregister)
    unreg.add_argument("name")
    lister = verb("list", "registered devices, or those that can fence --target", _list)
    lister.add_argument("--target", help="only devices that can fence this node (runs checks)")

    level = verbs.add_parser("level", help="fencing topology levels")
    level_verbs = level.add_subparsers(dest="level_verb", metavar="VERB", required=True)
    for name, help, func in (
        ("add", "add (or replace) level INDEX for TARGET", _level_add),
        ("remove", "remove level INDEX of TARGET", _level_remove),
        ("list", "every level", _level_list),
    ):
        sub = level_verbs.add_parser(name, help=help)
        sub.add_argument("--config", required=True, help="node configuration (TOML)")
        sub.set_defaults(func=func, fence_dir=None)
        if name != "list":
            sub.add_argument("target", help="NODE, regexp%%PATTERN or attrib%%NAME=VALUE")
            sub.add_argument("index", help="1..9, tried in order")
        if name == "add":
            sub.add_argument("devices", help="DEV[,DEV...]: all must succeed")

    node = verb("node", "fence a node (default: reboot)", _node)
    node.add_argument("target")
    action = node.add_mutually_exclusive_group()
    for flag in ("off", "reboot", "on"):
        action.add_argument(f"--{flag}", dest="action", action="store_const", const=flag)
    node.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    confirm = verb("confirm", "record that TARGET is down (the operator made sure)", _confirm)
    confirm.add_argument("target")
    history = verb("history", "fencing history, newest last", _history)
    history.add_argument("target", nargs="?")


ASK_TIMEOUT = 120.0


class _Fencer:
    """The fencer a command talks to: the running node's, or one in this process."""

    def __init__(self, ref, remote: bool, where: str) -> None:
        self.ref, self.remote, self.where = ref, remote, where

    def ask(self, message: object, timeout: float = ASK_TIMEOUT) -> object:
        """The answer to `message` (a FenceRequest, ConfirmDown or ListCapable without
        reply_to is answered when its result is there)."""
        from actors.runtime.errors import ActorUnreachable

        if not self.remote:
            return self.ref.ask(message, timeout=timeout)
        try:
            return self.ref.ask(message, timeout=timeout).get()
        except ActorUnreachable as exc:
            raise UserError(f"{self.where}: no answer from the node's fencer ({exc})") from None


@contextlib.contextmanager
def _fencer(args: argparse.Namespace) -> Iterator[_Fencer]:
    """The running node's fencer, or (node stopped) one run here on its state dir."""
    from actors.node import read_pid

    config = load_config(args.config)
    if read_pid(config) is not None:
        from actors.node_client import node_actor
        from fencing.process import FENCER_ACTOR, PROCESS

        if args.fence_dir:
            print("note: --fence-dir is ignored: the node's fencer uses [agents]", file=sys.stderr)
        with node_actor(config, PROCESS, FENCER_ACTOR) as ref:
            yield _Fencer(ref, True, f"{config.path}: node {config.node}")
        return
    from actors.runtime.privileges import default_user
    from fencing.agents import AgentLocator
    from fencing.fencer import Fencer
    from fencing.store import FencingStore

    print(
        f"note: node {config.node} is not running: standalone fencer on {config.state_dir}",
        file=sys.stderr,
    )
    locator = AgentLocator(tuple(args.fence_dir or config.fence_dirs()))
    store = FencingStore(config.state_dir)
    ref = Fencer.start(config.node, store, locator)
    try:
        yield _Fencer(ref, False, str(config.path))
    finally:
        ref.stop()
        if store.dir.exists():
            store.hand_to(config.user or default_user())  # the node's fencer writes it later


def _register(args: argparse.Namespace) -> int:
    from fencing.device import parse_options
    from fencing.fencer import RegisterDevice

    options = parse_options(args.option)
    for flag, key in (
        ("host_list", "pcmk_host_list"),
        ("host_map", "pcmk_host_map"),
        ("host_check", "pcmk_host_check"),
    ):
        if getattr(args, flag):
            options[key] = getattr(args, flag)
    with _fencer(args) as fencer:
        device = fencer.ask(RegisterDevice(args.name, args.agent, options))
    print(f"registered {device.id}: {device.summary()}")
    return 0


def _unregister(args: argparse.Namespace) -> int:
    from fencing.fencer import UnregisterDevice

    with _fencer(args) as fencer:
        if not fencer.ask(UnregisterDevice(args.name)):
            raise UserError(f"device {args.name!r} is not registered")
    print(f"unregistered {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from fencing.fencer import GetDevices
    from fencing.messages import ListCapable

    with _fencer(args) as fencer:
        devices = {d.id: d for d in fencer.ask(GetDevices())}
        if args.target:
            offers = fencer.ask(ListCapable(args.target, None), timeout=300)
            shown = [devices[o.device] for o in offers if o.device in devices]
        else:
            shown = list(devices.values())
    for device in shown:
        print(f"{device.id}: {device.summary()}")
    if args.target and not shown:
        print(f"no device can fence {args.target}")
    return 0


def _level_add(args: argparse.Namespace) -> int:
    from fencing.fencer import AddLevel, GetDevices
    from fencing.topology import make_level

    level = make_level(args.target, args.index, args.devices)
    with _fencer(args) as fencer:
        known = {d.id for d in fencer.ask(GetDevices())}
        fencer.ask(AddLevel(level))
    unknown = [d for d in level.devices if d not in known]
    if unknown:
        print(f"note: not registered on this node: {', '.join(unknown)}", file=sys.stderr)
    print(f"level {level.index} for {level.target}: {','.join(level.devices)}")
    return 0


def _level_remove(args: argparse.Namespace) -> int:
    from fencing.fencer import RemoveLevel
    from fencing.topology import make_level

    index = make_level(args.target, args.index, "x").index
    with _fencer(args) as fencer:
        if not fencer.ask(RemoveLevel(args.target, index)):
            raise UserError(f"no level {index} for {args.target}")
    print(f"removed level {index} for {args.target}")
    return 0


def _level_list(args: argparse.Namespace) -> int:
    from fencing.fencer import GetLevels

    with _fencer(args) as fencer:
        levels = fencer.ask(GetLevels())
    for level in levels:
        print(f"{level.target} {level.index}: {','.join(level.devices)}")
    return 0


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _print_event(event) -> None:
    took = event.completed - event.requested
    by = f" by {event.executor}" if event.executor else ""
    devices = f" with {','.join(event.devices)}" if event.devices else ""
    line = (
        f"{_when(event.completed)} {event.target}: {event.action} {event.state.value}{by}"
        f"{devices} (asked by {event.client} on {event.origin}, {took:.2f}s)"
    )
    print(line + (f": {event.reason}" if event.reason else ""))
    for a in event.attempts:
        level = f"level {a.level} " if a.level else ""
        where = f" on {a.executor}" if a.executor else ""
        result = "ok" if a.ok else f"failed: {a.reason}"
        print(f"    {level}{a.device}{where}: {result}")


def _node(args: argparse.Namespace) -> int:
    from fencing.messages import FenceRequest

    action = args.action or "reboot"
    with _fencer(args) as fencer:
        event = fencer.ask(FenceRequest(args.target, action, None, "cli"), args.timeout)
    _print_event(event)
    return 0 if event.ok else 1


def _confirm(args: argparse.Namespace) -> int:
    from fencing.messages import ConfirmDown

    with _fencer(args) as fencer:
        event = fencer.ask(ConfirmDown(args.target, None), timeout=60)
    _print_event(event)
    return 0


def _history(args: argparse.Namespace) -> int:
    from fencing.fencer import GetHistory

    with _fencer(args) as fencer:
        events = fencer.ask(GetHistory(args.target))
    for event in events:
        _print_event(event)
    if not events:
        print("no fencing events" + (f" for {args.target}" if args.target else ""))
    return 0
