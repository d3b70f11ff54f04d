"""Node health: `#health-*` node attributes turned into a location score for every resource.

As Pacemaker's node-health-strategy: `none` ignores them; `migrate-on-red` bans a node with any
red attribute; `only-green` bans any node not all green; `progressive` and `custom` add the
configured node-health-red/yellow/green scores (or the attribute's own integer), progressive
starting from node-health-base.
"""

from __future__ import annotations

from actors.crm.scheduler.options import ClusterOptions
from actors.crm.scheduler.scores import INFINITY, add, parse_score

_FIXED = {
    "migrate-on-red": {"red": -INFINITY, "yellow": 0, "green": 0},
    "only-green": {"red": -INFINITY, "yellow": -INFINITY, "green": 0},
}


def node_health(options: ClusterOptions, attrs: dict[str, str]) -> int:
    """The node's overall health score (0: no effect)."""
    strategy = options.get("node-health-strategy") or "none"
    if strategy == "none":
        return 0
    colours = _FIXED.get(strategy) or {
        c: parse_score(options.values.get(f"node-health-{c}"), 0)
        for c in ("red", "yellow", "green")
    }
    total = (
        parse_score(options.values.get("node-health-base"), 0) if strategy == "progressive" else 0
    )
    for name, value in attrs.items():
        if name.startswith("#health"):
            colour = value.strip().lower()
            total = add(total, colours[colour] if colour in colours else parse_score(value, 0))
    return total
