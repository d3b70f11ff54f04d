"""What agents are installed (for `ringleader agent list`): every name that would resolve."""

from __future__ import annotations

import os
from pathlib import Path

from actors.agents.spec import FENCE_PREFIX, AgentDirs, AgentNotFound, AgentSpec, Standard
from actors.errors import UserError


def _names(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _usable(dirs: AgentDirs, spec: AgentSpec) -> bool:
    try:
        dirs.resolve(spec)
    except (AgentNotFound, UserError):
        return False
    return True


def list_agents(dirs: AgentDirs, standard: Standard | None = None) -> list[AgentSpec]:
    """Installed agents of `standard` (all standards if None), sorted, each one resolvable."""
    found: list[AgentSpec] = []
    standards = [standard] if standard else list(Standard)
    for std in standards:
        if std is Standard.OCF:
            base = dirs.ocf_root / "resource.d"
            candidates = [
                AgentSpec(std, provider, name)
                for provider in _names(base)
                for name in _names(base / provider)
            ]
        else:
            names = _names(dirs.root(std))
            if std is Standard.STONITH:
                names = [n for n in names if n.startswith(FENCE_PREFIX)]
            candidates = [AgentSpec(std, "", name) for name in names]
        found.extend(spec for spec in candidates if _usable(dirs, spec))
    return found
