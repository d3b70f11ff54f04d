"""The OCF environment an agent expects (OCF resource agent API 1.1, as Pacemaker sets it).

Instance parameters become OCF_RESKEY_<name>; meta attributes become OCF_RESKEY_CRM_meta_<name>
with '-' turned into '_' (Pacemaker's crm_meta_name), and the operation's interval and timeout are
always given in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from actors.agents.spec import AgentSpec

OCF_RA_VERSION = ("1", "1")
CRM_FEATURE_SET = "3.16.2"  # Pacemaker 2.1.5's: agents pick their tools' calls by it
META_PREFIX = "CRM_meta_"


def meta_name(name: str) -> str:
    """`migration-threshold` -> `CRM_meta_migration_threshold`."""
    return META_PREFIX + name.replace("-", "_")


def op_meta(meta: Mapping[str, str], interval_ms: int, timeout_ms: int) -> dict[str, str]:
    """Meta attributes as the agent and the op-digest see them: CRM_meta_* names, with the
    operation's interval and timeout in ms."""
    out = {meta_name(k): str(v) for k, v in meta.items()}
    out[meta_name("interval")] = str(interval_ms)
    out[meta_name("timeout")] = str(timeout_ms)
    return out


def ocf_env(
    spec: AgentSpec,
    ocf_root: Path,
    resource: str,
    params: Mapping[str, str],
    meta: Mapping[str, str],
    interval_ms: int = 0,
    timeout_ms: int = 20000,
) -> dict[str, str]:
    """Every OCF_* variable for one invocation of `spec` on `resource`."""
    env = {
        "OCF_ROOT": str(ocf_root),
        "OCF_RA_VERSION_MAJOR": OCF_RA_VERSION[0],
        "OCF_RA_VERSION_MINOR": OCF_RA_VERSION[1],
        "OCF_RESOURCE_INSTANCE": resource,
        "OCF_RESOURCE_TYPE": spec.type,
        "OCF_RESOURCE_PROVIDER": spec.provider,
        "OCF_RESKEY_crm_feature_set": CRM_FEATURE_SET,
    }
    for name, value in params.items():
        env["OCF_RESKEY_" + name] = str(value)
    for name, value in op_meta(meta, interval_ms, timeout_ms).items():
        env["OCF_RESKEY_" + name] = value
    return env


def fence_stdin(action: str, params: Mapping[str, str]) -> bytes:
    """The key=value lines a fence agent reads on stdin (fence-agents' `--stdin` convention)."""
    lines = [f"action={action}"]
    for name, value in params.items():
        if "\n" in name or "=" in name or "\n" in str(value):
            raise ValueError(f"fence parameter {name!r}: no newline, no '=' in the name")
        if name != "action":
            lines.append(f"{name}={value}")
    return ("\n".join(lines) + "\n").encode()
