"""The attribute manager's core (sans-IO): node attributes replicated to every node.

Every node's attribute manager holds the whole table (node -> name -> value) and changes it only
through messages multicast in the CPG group `ringleader-attrd`. Each value carries a stamp
(a Lamport counter, the writer's node): a newer stamp wins, so replicas that saw the same
updates hold the same table whatever the order, and two partitions that merge converge.

- `Set(node, name, value)` from a local client: `value` None deletes, "++" increments (fail
  counts; INFINITY stays INFINITY; resolved on delivery, against the value then held),
  anything else is stored. The update is multicast and applied when it comes back, like
  everyone else's, in agreed order.
- A view change: the values of nodes that left are dropped (Pacemaker erases a lost node's
  transient attributes), and if anyone joined every member multicasts its whole table (`Sync`)
  so the newcomer, or a restarted manager, learns everything and merges converge.
- Effects: `Broadcast(payload)` to the group, `Changed(table)` for local subscribers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

INFINITY = 1_000_000

Stamp = tuple[int, str]  # (Lamport counter, writer node)


# ---- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Set:
    node: str
    name: str
    value: str | None


@dataclass(frozen=True)
class Delivered:
    sender: str
    payload: object


@dataclass(frozen=True)
class ViewChanged:
    members: tuple[str, ...]
    left: tuple[str, ...] = ()
    joined: tuple[str, ...] = ()


# ---- between managers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    node: str
    name: str
    value: str | None  # None: deleted (kept as a stamped tombstone)
    stamp: Stamp


@dataclass(frozen=True)
class Sync:
    entries: tuple[Update, ...]


# ---- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast:
    payload: object


@dataclass(frozen=True)
class Changed:
    table: Mapping[str, Mapping[str, str]]


def incremented(value: str | None) -> str:
    """A fail count plus one, saturating at INFINITY (Pacemaker's value++)."""
    if value is None:
        return "1"
    text = value.strip().upper().lstrip("+")
    if text == "INFINITY":
        return "INFINITY"
    try:
        n = int(text)
    except ValueError:
        n = 0
    return "INFINITY" if n + 1 >= INFINITY else str(n + 1)


class AttrdCore:
    def __init__(self, node: str) -> None:
        self.node = node
        self._clock = 0
        self._entries: dict[tuple[str, str], Update] = {}

    def table(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for (node, name), entry in sorted(self._entries.items()):
            if entry.value is not None:
                out.setdefault(node, {})[name] = entry.value
        return out

    def value(self, node: str, name: str) -> str | None:
        entry = self._entries.get((node, name))
        return entry.value if entry else None

    def handle(self, event: object) -> list:
        match event:
            case Set(node, name, value):
                self._clock += 1
                return [Broadcast(Update(node, name, value, (self._clock, self.node)))]
            case Delivered(_, Update() as update):
                return self._merge([update])
            case Delivered(_, Sync(entries)):
                return self._merge(entries)
            case ViewChanged(_, left, joined):
                effects: list = []
                gone = [k for k in self._entries if k[0] in set(left)]
                for k in gone:
                    del self._entries[k]
                if gone:
                    effects.append(Changed(self.table()))
                if joined and self._entries:
                    effects.append(Broadcast(Sync(tuple(self._entries.values()))))
                return effects
            case Delivered():
                return []
        raise TypeError(f"AttrdCore cannot handle {event!r}")

    def _merge(self, updates: Iterable[Update]) -> list:
        before = self.table()
        for u in updates:
            self._clock = max(self._clock, u.stamp[0])
            old = self._entries.get((u.node, u.name))
            if old is None or u.stamp > old.stamp:
                if u.value == "++":  # resolved in agreed order, not at the sender
                    u = Update(u.node, u.name, incremented(old.value if old else None), u.stamp)
                self._entries[(u.node, u.name)] = u
        after = self.table()
        return [Changed(after)] if after != before else []
