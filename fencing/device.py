"""A fence device: an agent plus its options, and which nodes it can fence (Pacemaker's rules).

Options starting with `pcmk_` (and `priority`, `rl_self_fence`) belong to the fencer; every other
option is a parameter of the agent and must be one its meta-data declares. The fencer options:

- `pcmk_host_list`: nodes the device can fence (separated by spaces, commas or semicolons).
- `pcmk_host_map`: `node1:1;node2:2,3` — the port to give the agent per node (`=` works for `:`).
- `pcmk_host_check`: `static-list` | `dynamic-list` (the agent's `list` output) | `status` (the
  agent's `status` for the target answers) | `none` (every node). Default, as in Pacemaker:
  static-list if a list or map is set, else dynamic-list if the agent has `list`, else status if it
  has `status`, else none.
- `pcmk_host_argument`: the agent parameter that names the target: default `port`, or `plug` when
  the agent's meta-data has plug but not port; `none` gives only `nodename`.
- `pcmk_<action>_timeout` (default 60s), `pcmk_<action>_retries` (default 2),
  `pcmk_<action>_action` (run another agent action instead, e.g. pcmk_reboot_action=off).
- `pcmk_delay_base` / `pcmk_delay_max`: wait base + a random part up to max before an off or
  reboot (so that in a two-node split only one node shoots), on top of the action's timeout.
- `priority`: devices of higher priority are tried first when there is no topology.
- `rl_self_fence`: yes lets the target run this device against itself when no other node can.
- `rl_run_on`: the nodes that may run this device (default: every node; the registry is the
  same everywhere). Pacemaker says this with location constraints on the stonith resource; a
  device that reaches the fence hardware from some nodes only needs it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from actors.agents.duration import parse_ms
from actors.agents.metadata import AgentMetadata
from actors.agents.spec import AgentSpec, Standard
from actors.errors import UserError

FENCE_ACTIONS = ("off", "on", "reboot")
AGENT_ACTIONS = ("off", "on", "reboot", "status", "monitor", "list", "metadata")
HOST_CHECKS = ("static-list", "dynamic-list", "status", "none")
DEFAULT_TIMEOUT_MS = 60_000
DEFAULT_RETRIES = 2
# Parameters the fencer itself gives the agent: never required from the user.
SUPPLIED = frozenset({"action", "option", "port", "plug", "nodename"})
_PER_ACTION = re.compile(r"pcmk_(off|on|reboot|status|monitor|list)_(timeout|retries|action)\Z")
_FENCER_KEYS = {
    "pcmk_host_list",
    "pcmk_host_map",
    "pcmk_host_check",
    "pcmk_host_argument",
    "pcmk_delay_base",
    "pcmk_delay_max",
    "priority",
    "rl_self_fence",
    "rl_run_on",
}
_DEVICE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*\Z")


def is_fencer_option(name: str) -> bool:
    return name in _FENCER_KEYS or bool(_PER_ACTION.match(name)) or name.startswith("pcmk_")


def parse_host_list(text: str) -> tuple[str, ...]:
    """`node1 node2,node3;node4` -> the names, in order, without duplicates."""
    names = [n for n in re.split(r"[\s,;]+", text) if n]
    return tuple(dict.fromkeys(names))


def parse_host_map(text: str, where: str = "pcmk_host_map") -> dict[str, str]:
    """`node1:1;node2:2,3` -> {node1: "1", node2: "2,3"} (entries split by `;` or whitespace,
    name and port by `:` or `=`, as Pacemaker reads it); UserError names a malformed entry."""
    mapping: dict[str, str] = {}
    for entry in re.split(r"[;\s]+", text.strip()):
        if not entry:
            continue
        match = re.fullmatch(r"([^:=]+)[:=](.+)", entry)
        if match is None or not match.group(2).strip(":="):
            raise UserError(
                f"{where}: entry {entry!r} is not NODE:PORT (expected like node1:1;node2:2,3)"
            )
        node, port = match.group(1), match.group(2)
        if node in mapping:
            raise UserError(f"{where}: node {node!r} is mapped twice")
        mapping[node] = port
    if not mapping:
        raise UserError(f"{where}: empty (expected like node1:1;node2:2,3)")
    return mapping


def parameter_aliases(metadata_xml: str | bytes) -> dict[str, str]:
    """{new: old} from fence-agents' `<parameter name="ip" obsoletes="ipaddr">`: either name
    satisfies a required parameter (agents still mark the old names required)."""
    try:
        root = ET.fromstring(metadata_xml)
    except ET.ParseError:
        return {}
    return {
        p.get("name", ""): p.get("obsoletes", "")
        for p in root.iterfind("parameters/parameter")
        if p.get("obsoletes")
    }


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on", "y")


@dataclass(frozen=True)
class Device:
    """One registered device. `options` are kept as given (for listing and persisting);
    `agent_actions` / `agent_parameters` come from the agent's meta-data at registration."""

    id: str
    agent: str
    options: Mapping[str, str] = field(default_factory=dict)
    agent_actions: frozenset[str] = frozenset(AGENT_ACTIONS)
    agent_parameters: frozenset[str] = frozenset()

    @property
    def spec(self) -> AgentSpec:
        return AgentSpec(Standard.STONITH, "", self.agent)

    @property
    def params(self) -> dict[str, str]:
        """The agent's own parameters (every option that is not the fencer's)."""
        return {k: v for k, v in self.options.items() if not is_fencer_option(k)}

    @property
    def host_list(self) -> tuple[str, ...]:
        return parse_host_list(self.options.get("pcmk_host_list", ""))

    @property
    def host_map(self) -> dict[str, str]:
        text = self.options.get("pcmk_host_map", "")
        return parse_host_map(text, f"device {self.id}: pcmk_host_map") if text.strip() else {}

    @property
    def host_check(self) -> str:
        given = self.options.get("pcmk_host_check")
        if given:
            return given
        if self.host_list or self.host_map:
            return "static-list"
        if "list" in self.agent_actions:
            return "dynamic-list"
        if "status" in self.agent_actions:
            return "status"
        return "none"

    @property
    def host_argument(self) -> str:
        given = self.options.get("pcmk_host_argument")
        if given:
            return given
        if "port" not in self.agent_parameters and "plug" in self.agent_parameters:
            return "plug"
        return "port"

    @property
    def priority(self) -> int:
        return int(self.options.get("priority", "0"))

    @property
    def run_on(self) -> tuple[str, ...]:
        """Nodes that may run the device; () for every node."""
        return parse_host_list(self.options.get("rl_run_on", ""))

    def runs_on(self, node: str) -> bool:
        return not self.run_on or node in self.run_on

    @property
    def self_fence(self) -> bool:
        return _flag(self.options.get("rl_self_fence", "no"))

    def timeout_ms(self, action: str) -> int:
        """The whole budget of `action`, retries included."""
        text = self.options.get(f"pcmk_{action}_timeout")
        return parse_ms(text) if text else DEFAULT_TIMEOUT_MS

    def delay_ms(self) -> tuple[int, int]:
        """(base, max) of the random delay before off and reboot; max is at least base."""
        base = parse_ms(self.options.get("pcmk_delay_base") or "0")
        top = parse_ms(self.options.get("pcmk_delay_max") or "0")
        return base, max(base, top)

    def retries(self, action: str) -> int:
        return int(self.options.get(f"pcmk_{action}_retries", DEFAULT_RETRIES))

    def agent_action(self, action: str) -> str:
        """The action to ask the agent for (`pcmk_<action>_action` may rename it)."""
        return self.options.get(f"pcmk_{action}_action") or action

    def port_for(self, target: str) -> str:
        """What the host argument says for `target`: its mapped port, else its name."""
        return self.host_map.get(target, target)

    def static_targets(self) -> frozenset[str]:
        return frozenset(self.host_list) | frozenset(self.host_map)

    def agent_params(self, action: str, target: str | None) -> dict[str, str]:
        """The stdin parameters for one run: the device's parameters, `nodename` and the host
        argument (unless `pcmk_host_argument=none`, or the user fixed it to a value other
        than `dynamic`), as Pacemaker's make_args builds them."""
        params = self.params
        if target:
            params["nodename"] = target
            arg = self.host_argument
            if arg.lower() != "none" and params.get(arg, "dynamic").lower() == "dynamic":
                params[arg] = self.port_for(target)
        return params

    def summary(self) -> str:
        """`fence_x (static-list: node1, node2)`, for `fence list`."""
        check = self.host_check
        if check == "static-list":
            targets = ", ".join(sorted(self.static_targets()))
            return f"{self.agent} ({check}: {targets})"
        return f"{self.agent} ({check})"


def make_device(
    device_id: str,
    agent: str,
    options: Mapping[str, str],
    metadata: AgentMetadata | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Device:
    """A checked Device; UserError names the device and the option that is wrong.

    With `metadata`, every agent option must be a parameter it declares, its required
    parameters must be given (under their name or an alias, see `parameter_aliases`), and the
    host check must be one the agent can do."""
    if not _DEVICE_ID.match(device_id or ""):
        raise UserError(f"device {device_id!r}: name may use letters, digits and _.:- only")
    AgentSpec(Standard.STONITH, "", agent).checked()
    options = {str(k): str(v) for k, v in options.items()}
    where = f"device {device_id}"
    for name in options:
        if name in ("action", "option"):
            raise UserError(
                f"{where}: option {name!r} is set by the fencer per request "
                "(use pcmk_<action>_action to rename an action)"
            )
        if name.startswith("pcmk_") and name not in _FENCER_KEYS and not _PER_ACTION.match(name):
            raise UserError(f"{where}: option {name!r} is not a fencer option ringleader knows")
    actions = frozenset(AGENT_ACTIONS)
    parameters: frozenset[str] = frozenset()
    if metadata is not None:
        actions = frozenset(a.name for a in metadata.actions)
        parameters = frozenset(p.name for p in metadata.parameters)
        _check_against_metadata(where, agent, options, metadata, aliases or {})
    device = Device(device_id, agent, options, actions, parameters)
    _check_fencer_options(where, device)
    return device


def _check_against_metadata(
    where: str,
    agent: str,
    options: Mapping[str, str],
    metadata: AgentMetadata,
    aliases: Mapping[str, str],
) -> None:
    known = {p.name for p in metadata.parameters}
    for name in options:
        if not is_fencer_option(name) and name not in known:
            raise UserError(
                f"{where}: option {name!r} is not a parameter of {agent} "
                f"(it knows: {', '.join(sorted(known - SUPPLIED)) or 'none'})"
            )
    host_arg = options.get("pcmk_host_argument", "")
    given = set(options) | SUPPLIED | {host_arg}
    for new, old in aliases.items():
        if new in given or old in given:
            given |= {new, old}
    missing = [
        p.name
        for p in metadata.parameters
        if p.required and p.default in (None, "") and not p.deprecated and p.name not in given
    ]
    if missing:
        raise UserError(f"{where}: {agent} requires option(s) {', '.join(missing)}")


def _check_fencer_options(where: str, device: Device) -> None:
    check = device.host_check
    if check not in HOST_CHECKS:
        raise UserError(
            f"{where}: pcmk_host_check {check!r} is not one of {', '.join(HOST_CHECKS)}"
        )
    device.host_map  # noqa: B018 - parses, raising on a malformed map
    if check == "static-list" and not device.static_targets():
        raise UserError(f"{where}: pcmk_host_check=static-list needs pcmk_host_list or _map")
    for needed, action in (("dynamic-list", "list"), ("status", "status")):
        if check == needed and action not in device.agent_actions:
            raise UserError(
                f"{where}: pcmk_host_check={check} needs the agent's {action} action, "
                f"which {device.agent} does not have"
            )
    for action in AGENT_ACTIONS:
        try:
            device.timeout_ms(action)
        except ValueError as exc:
            raise UserError(f"{where}: pcmk_{action}_timeout: {exc}") from None
        try:
            if device.retries(action) < 0:
                raise ValueError
        except ValueError:
            value = device.options.get(f"pcmk_{action}_retries")
            raise UserError(f"{where}: pcmk_{action}_retries {value!r} is not a count") from None
        renamed = device.agent_action(action)
        if renamed not in AGENT_ACTIONS:
            raise UserError(f"{where}: pcmk_{action}_action {renamed!r} is not a fence action")
    try:
        device.delay_ms()
    except ValueError as exc:
        raise UserError(f"{where}: pcmk_delay_base/pcmk_delay_max: {exc}") from None
    try:
        device.priority  # noqa: B018
    except ValueError:
        raise UserError(
            f"{where}: priority {device.options['priority']!r} is not an integer"
        ) from None


def parse_options(items: Iterable[str], where: str = "-o") -> dict[str, str]:
    """`["ip=10.0.0.1", "login=admin"]` -> dict; UserError names an item without `=`."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"{where} {item!r}: expected key=value")
        out[name.strip()] = value
    return out
