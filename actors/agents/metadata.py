"""Agent meta-data XML (OCF `meta-data`, fence-agents `metadata`) as typed values, and a cache.

The LRM needs the meta-data for parameter defaults, reloadable / private parameters and default
timeouts, and `ringleader agent show` prints it; agents are slow to ask (a shell agent takes tens
of ms), and the answer does not change while the agent file does not, so it is cached per agent
and refreshed when the file's mtime changes.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from actors.agents.duration import parse_ms
from actors.agents.spec import AgentSpec
from actors.errors import UserError


@dataclass(frozen=True)
class ParameterInfo:
    """One `<parameter>`: what `agent show` prints and what the LRM checks."""

    name: str
    required: bool = False
    unique: bool = False
    type: str = "string"
    default: str | None = None
    shortdesc: str = ""
    longdesc: str = ""
    reloadable: bool = False
    private: bool = False
    deprecated: bool = False


@dataclass(frozen=True)
class ActionInfo:
    """One `<action>`: its advised timeout (and interval for monitors), in ms."""

    name: str
    timeout_ms: int | None = None
    interval_ms: int | None = None
    depth: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class AgentMetadata:
    name: str
    version: str = ""
    shortdesc: str = ""
    longdesc: str = ""
    parameters: tuple[ParameterInfo, ...] = ()
    actions: tuple[ActionInfo, ...] = ()

    def parameter(self, name: str) -> ParameterInfo | None:
        return next((p for p in self.parameters if p.name == name), None)

    def action(self, name: str, interval_ms: int | None = None) -> ActionInfo | None:
        """The first matching action; with `interval_ms`, one with that interval if any."""
        matches = [a for a in self.actions if a.name == name]
        if interval_ms is not None:
            exact = [a for a in matches if (a.interval_ms or 0) == interval_ms]
            matches = exact or matches
        return matches[0] if matches else None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on", "y")


def _text(node: ET.Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def _desc(parent: ET.Element, tag: str) -> str:
    """`shortdesc`/`longdesc` as an element (OCF) or an attribute (fence-agents)."""
    node = parent.find(tag)
    return _text(node) if node is not None else (parent.get(tag) or "")


def _ms(value: str | None, where: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_ms(value)
    except ValueError as exc:
        raise UserError(f"meta-data {where}: {exc}") from None


def parse_metadata(xml_text: str | bytes, source: str = "agent") -> AgentMetadata:
    """Parse a `<resource-agent>` document; UserError names `source` if it is not one."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise UserError(f"meta-data of {source}: not XML ({exc})") from None
    if root.tag != "resource-agent":
        raise UserError(f"meta-data of {source}: root is <{root.tag}>, not <resource-agent>")
    params = []
    for p in root.iterfind("parameters/parameter"):
        content = p.find("content")
        params.append(
            ParameterInfo(
                name=p.get("name", ""),
                required=_flag(p.get("required")),
                unique=_flag(p.get("unique")) or bool(p.get("unique-group")),
                type=content.get("type", "string") if content is not None else "string",
                default=content.get("default") if content is not None else None,
                shortdesc=_desc(p, "shortdesc"),
                longdesc=_desc(p, "longdesc"),
                reloadable=_flag(p.get("reloadable")),
                private=_flag(p.get("private")),
                deprecated=_flag(p.get("deprecated")) or p.find("deprecated") is not None,
            )
        )
    actions = [
        ActionInfo(
            name=a.get("name", ""),
            timeout_ms=_ms(a.get("timeout"), f"{source} action {a.get('name')} timeout"),
            interval_ms=_ms(a.get("interval"), f"{source} action {a.get('name')} interval"),
            depth=a.get("depth"),
            role=a.get("role"),
        )
        for a in root.iterfind("actions/action")
    ]
    return AgentMetadata(
        name=root.get("name", ""),
        version=root.get("version") or _text(root.find("version")),
        shortdesc=_desc(root, "shortdesc"),
        longdesc=_desc(root, "longdesc"),
        parameters=tuple(params),
        actions=tuple(actions),
    )


class MetadataCache:
    """Meta-data per agent, asked once through `load(spec) -> (xml, version_key)`.

    `version_key` is anything that changes when the agent does (the file's mtime); a lookup
    whose `current_key(spec)` differs from the cached one asks again. Thread-safe.
    """

    def __init__(
        self,
        load: Callable[[AgentSpec], str | bytes],
        current_key: Callable[[AgentSpec], object] = lambda spec: None,
    ) -> None:
        self._load = load
        self._key = current_key
        self._cache: dict[AgentSpec, tuple[object, AgentMetadata]] = {}
        self._lock = threading.Lock()

    def get(self, spec: AgentSpec) -> AgentMetadata:
        key = self._key(spec)
        with self._lock:
            hit = self._cache.get(spec)
        if hit is not None and hit[0] == key:
            return hit[1]
        meta = parse_metadata(self._load(spec), str(spec))
        with self._lock:
            self._cache[spec] = (key, meta)
        return meta

    def forget(self, spec: AgentSpec) -> None:
        with self._lock:
            self._cache.pop(spec, None)
