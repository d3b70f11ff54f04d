"""Fencing topology: levels of devices per target, tried in index order (Pacemaker's
fencing-topology).

A level names its target as pcs does: a node name, `regexp%PATTERN` (the whole node name must
match) or `attrib%NAME=VALUE` (a node attribute). Every device of a level must succeed for the level
to succeed; a failed level moves on to the next; the request fails when every level has failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from actors.errors import UserError

_DEVICE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*\Z")


@dataclass(frozen=True)
class Level:
    """Level `index` (1..9, as Pacemaker) for `target`: `devices`, all of which must succeed."""

    target: str
    index: int
    devices: tuple[str, ...]

    @property
    def kind(self) -> str:
        """`node`, `regexp` or `attrib`."""
        prefix, sep, _ = self.target.partition("%")
        return prefix if sep and prefix in ("regexp", "attrib") else "node"

    def matches(self, node: str, attributes: Mapping[str, str] | None = None) -> bool:
        kind = self.kind
        if kind == "node":
            return node == self.target
        value = self.target.partition("%")[2]
        if kind == "regexp":
            return re.fullmatch(value, node) is not None
        name, _, wanted = value.partition("=")
        return (attributes or {}).get(name) == wanted


def make_level(target: str, index: int | str, devices: str | Iterable[str]) -> Level:
    """A checked Level; UserError names the part that is wrong."""
    try:
        idx = int(index)
    except (TypeError, ValueError):
        raise UserError(f"fencing level for {target}: index {index!r} is not a number") from None
    if not 1 <= idx <= 9:
        raise UserError(f"fencing level for {target}: index {idx} must be 1..9")
    names = devices.split(",") if isinstance(devices, str) else list(devices)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise UserError(f"fencing level {target} {idx}: no devices")
    for name in names:
        if not _DEVICE.match(name):
            raise UserError(f"fencing level {target} {idx}: {name!r} is not a device name")
    level = Level(target, idx, tuple(names))
    value = target.partition("%")[2]
    if level.kind == "regexp":
        try:
            re.compile(value)
        except re.error as exc:
            raise UserError(f"fencing level target {target!r}: bad pattern: {exc}") from None
    elif level.kind == "attrib" and "=" not in value:
        raise UserError(f"fencing level target {target!r}: expected attrib%NAME=VALUE")
    elif not target or "%" in target and level.kind == "node":
        raise UserError(
            f"fencing level target {target!r}: expected NODE, regexp%PATTERN or attrib%NAME=VALUE"
        )
    return level


def levels_for(
    levels: Iterable[Level], node: str, attributes: Mapping[str, str] | None = None
) -> list[Level]:
    """The levels that apply to `node`, by index. Pacemaker uses one topology entry per target:
    an exact node name wins over a pattern, a pattern over an attribute."""
    matching = [lv for lv in levels if lv.matches(node, attributes)]
    for kind in ("node", "regexp", "attrib"):
        chosen = [lv for lv in matching if lv.kind == kind]
        if chosen:
            return sorted(chosen, key=lambda lv: lv.index)
    return []
