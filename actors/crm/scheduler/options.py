"""Cluster options (crm_config) and resource meta-attributes, with Pacemaker's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from actors.crm.cib.model import Cib, NvSet

CLUSTER_DEFAULTS: dict[str, str] = {
    "stonith-enabled": "true",
    "symmetric-cluster": "true",
    "no-quorum-policy": "stop",
    "start-failure-is-fatal": "true",
    "maintenance-mode": "false",
    "stop-all-resources": "false",
    "stop-orphan-resources": "true",
    "stop-orphan-actions": "true",
    "placement-strategy": "default",
    "default-resource-stickiness": "0",
    "is-managed-default": "true",
    "startup-fencing": "true",
    "stonith-action": "reboot",
    "concurrent-fencing": "false",
    "node-health-strategy": "none",
    "shutdown-lock": "false",
}


def true(value: str | None) -> bool:
    return str(value).strip().lower() in ("true", "yes", "y", "1", "on")


def plain_values(sets: tuple[NvSet, ...]) -> dict[str, str]:
    """First value wins, sets taken by descending score; sets with rules are left to callers."""
    out: dict[str, str] = {}
    for s in sorted(sets, key=lambda s: -s.score):
        if s.rule is not None:
            continue
        for k, v in s.values:
            out.setdefault(k, v)
    return out


@dataclass(frozen=True)
class ClusterOptions:
    values: dict[str, str]

    @classmethod
    def from_cib(cls, cib: Cib) -> ClusterOptions:
        values = dict(CLUSTER_DEFAULTS)
        values.update(plain_values(cib.crm_config))
        return cls(values)

    def flag(self, name: str) -> bool:
        return true(self.values.get(name))

    def get(self, name: str) -> str:
        return self.values.get(name, "")
