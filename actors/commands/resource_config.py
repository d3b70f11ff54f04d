"""`ringleader resource create|delete|move|ban|clear|enable|disable`: resources in the CIB, as
pcs edits them (the change goes to this node's CIB actor and is applied cluster-wide).

    resource create web ocf:heartbeat:apache configfile=/etc/apache2/apache2.conf \\
        --op monitor interval=10s timeout=20s --meta resource-stickiness=100 --group g
    resource move web node2 [--lifetime PT1H]    # prints the constraint it made
    resource clear web                           # removes exactly the move/ban constraints
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import replace

from actors.crm.cib.client import change_command, cluster_node
from actors.crm.cib.edit import (
    DEFAULT_MONITOR_INTERVAL,
    BanResource,
    ClearResource,
    CreatePrimitive,
    DeleteResource,
    MoveResource,
    OpSpec,
    SetTargetRole,
)
from actors.crm.cib.parse import _duration_ms
from actors.errors import UserError

CREATE_USAGE = (
    "resource create NAME CLASS:PROVIDER:TYPE [key=value ...] [--op ACTION key=value ...] "
    "[--meta key=value ...] [--group G | --clone | --promotable] --config NODE.toml"
)


def register_verbs(verbs: argparse._SubParsersAction) -> None:
    create = verbs.add_parser(
        "create", help="add a primitive to the CIB", usage=f"ringleader {CREATE_USAGE}"
    )
    create.add_argument("name")
    create.add_argument("agent", help="CLASS:PROVIDER:TYPE, e.g. ocf:heartbeat:Dummy")
    create.add_argument("rest", nargs=argparse.REMAINDER, help="params, --op, --meta, ...")
    create.set_defaults(func=_create)

    for verb, helptext, func in (
        ("delete", "remove a resource and the constraints that name it", _delete),
        ("enable", "let a resource run (removes target-role)", _enable),
        ("disable", "stop a resource (target-role=Stopped)", _disable),
    ):
        parser = verbs.add_parser(verb, help=helptext)
        parser.add_argument("resource")
        parser.add_argument("--config", required=True, help="node configuration (TOML)")
        parser.set_defaults(func=func)

    for verb, helptext, func in (
        ("move", "make a resource prefer NODE (cli-prefer-RSC, INFINITY)", _move),
        ("ban", "keep a resource off NODE (cli-ban-RSC-on-NODE, -INFINITY)", _ban),
    ):
        parser = verbs.add_parser(verb, help=helptext)
        parser.add_argument("resource")
        parser.add_argument("node")
        parser.add_argument("--lifetime", help="the constraint expires after this (PT1H, 30m, 90s)")
        parser.add_argument("--config", required=True)
        parser.set_defaults(func=func)

    clear = verbs.add_parser("clear", help="remove the move/ban constraints of a resource")
    clear.add_argument("resource")
    clear.add_argument("node", nargs="?", help="only those about this node")
    clear.add_argument("--config", required=True)
    clear.set_defaults(func=_clear)


def parse_create(name: str, agent: str, tokens: list[str]) -> tuple[CreatePrimitive, str]:
    """The pcs-style tail of `resource create` -> (the edit, the --config path): key=value
    pairs are parameters, or meta attributes after --meta, or the op's after --op ACTION."""
    params: list[tuple[str, str]] = []
    meta: list[tuple[str, str]] = []
    ops: list[OpSpec] = []
    group, clone, promotable, config = None, False, False, None
    mode = "params"
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("--config", "--group", "--op"):
            value = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not value or value.startswith("--") or "=" in value:
                raise UserError(f"resource create {name}: {token} needs a value ({CREATE_USAGE})")
            if token == "--config":
                config = value
            elif token == "--group":
                group = value
            else:
                ops.append(OpSpec(value))
                mode = "op"
            i += 2
            continue
        if token == "--clone":
            clone = True
        elif token == "--promotable":
            promotable = True
        elif token == "--meta":
            mode = "meta"
        elif token.startswith("--"):
            raise UserError(f"resource create {name}: unknown option {token} ({CREATE_USAGE})")
        else:
            key, sep, value = token.partition("=")
            if not sep or not key:
                raise UserError(f"resource create {name}: {token!r} is not key=value")
            if mode == "op":
                ops[-1] = OpSpec(ops[-1].action, (*ops[-1].attrs, (key, value)))
            else:
                (meta if mode == "meta" else params).append((key, value))
        i += 1
    if config is None:
        raise UserError(f"resource create {name}: --config NODE.toml is required")
    return (
        CreatePrimitive(
            name, agent, tuple(params), tuple(ops), tuple(meta), group, clone, promotable=promotable
        ),
        config,
    )


def default_monitor(agent: str, config_path: str) -> tuple[str, str | None]:
    """The monitor interval and timeout the agent's meta-data recommends (pcs does the same),
    or 60s when the agent is not installed here or recommends none."""
    from actors.agents.execute import show
    from actors.agents.spec import AgentSpec
    from actors.config import load_config

    try:
        config = load_config(config_path)
        action = show(AgentSpec.parse(agent), config.agent_dirs()).action("monitor")
    except Exception:  # noqa: BLE001 - no meta-data here: the default, as pcs without it
        return DEFAULT_MONITOR_INTERVAL, None
    if action is None or not action.interval_ms:
        return DEFAULT_MONITOR_INTERVAL, None
    timeout = _ms_text(action.timeout_ms) if action.timeout_ms else None
    return _ms_text(action.interval_ms), timeout


def _ms_text(ms: int) -> str:
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def role_monitors(agent: str, config_path: str) -> tuple[OpSpec, ...]:
    """The monitors per role the agent's meta-data recommends (Stateful: Promoted every 10s,
    Unpromoted every 11s), as pcs creates them for a promotable resource; () when it has none."""
    from actors.agents.execute import show
    from actors.agents.spec import AgentSpec
    from actors.config import load_config

    try:
        config = load_config(config_path)
        actions = show(AgentSpec.parse(agent), config.agent_dirs()).actions
    except Exception:  # noqa: BLE001 - no meta-data here: the plain default monitor
        return ()
    ops = []
    for action in actions:
        if action.name == "monitor" and action.role and action.interval_ms:
            attrs = [("interval", _ms_text(action.interval_ms)), ("role", action.role)]
            if action.timeout_ms:
                attrs.append(("timeout", _ms_text(action.timeout_ms)))
            ops.append(OpSpec("monitor", tuple(attrs)))
    return tuple(ops)


def _create(args: argparse.Namespace) -> int:
    change, config = parse_create(args.name, args.agent, args.rest)
    if not change.ops and change.promotable:
        change = replace(change, ops=role_monitors(args.agent, config))
    if not change.ops:
        interval, timeout = default_monitor(args.agent, config)
        change = replace(change, monitor_interval=interval, monitor_timeout=timeout)
    return change_command(config, change)


def lifetime_end(lifetime: str | None, now: dt.datetime | None = None) -> str | None:
    """`--lifetime` as the absolute end date the constraint carries (UTC, ISO 8601)."""
    if lifetime is None:
        return None
    try:
        ms = _duration_ms(lifetime)
    except ValueError:
        raise UserError(f"--lifetime: '{lifetime}' is not a duration (PT1H, 30m, 90s)") from None
    if ms <= 0:
        raise UserError(f"--lifetime: '{lifetime}' must be longer than zero")
    now = now or dt.datetime.now(dt.UTC)
    end = now + dt.timedelta(milliseconds=ms)
    return end.strftime("%Y-%m-%d %H:%M:%SZ")


def _delete(args: argparse.Namespace) -> int:
    return change_command(args.config, DeleteResource(args.resource))


def _enable(args: argparse.Namespace) -> int:
    return change_command(args.config, SetTargetRole(args.resource, True))


def _disable(args: argparse.Namespace) -> int:
    return change_command(args.config, SetTargetRole(args.resource, False))


def _move(args: argparse.Namespace) -> int:
    cluster_node(args.config, args.node)
    until = lifetime_end(args.lifetime)
    return change_command(args.config, MoveResource(args.resource, args.node, until))


def _ban(args: argparse.Namespace) -> int:
    cluster_node(args.config, args.node)
    until = lifetime_end(args.lifetime)
    return change_command(args.config, BanResource(args.resource, args.node, until))


def _clear(args: argparse.Namespace) -> int:
    return change_command(args.config, ClearResource(args.resource, args.node))
