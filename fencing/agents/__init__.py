"""Fence agents shipped with ringleader, and finding an agent among several fence-agent dirs.

`fence_ringleader` (in this directory) fences a node of a local cluster by killing its node
supervisor's process tree; the fencer searches this directory after the configured fence dir
(`/usr/sbin` by default), so it is always available. `AgentLocator` keeps the confinement of
`actors.agents.spec.AgentDirs` (an agent is only ever found inside one of the dirs) and keeps
each agent's meta-data until its file changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from actors.agents.execute import RunAgent, execute, fetch_metadata
from actors.agents.metadata import AgentMetadata, parse_metadata
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.agents.spec import AgentDirs, AgentNotFound, AgentSpec, Standard
from actors.errors import UserError
from fencing.device import parameter_aliases

BUILTIN_DIR = Path(__file__).resolve().parent
DEFAULT_FENCE_DIR = AgentDirs().fence_dir


class AgentLocator:
    """Fence agents looked up in `fence_dirs` in order (the built-in dir always last)."""

    def __init__(self, fence_dirs: tuple[Path, ...] = (DEFAULT_FENCE_DIR,)) -> None:
        dirs = [Path(d) for d in fence_dirs]
        if BUILTIN_DIR not in dirs:
            dirs.append(BUILTIN_DIR)
        self.fence_dirs = tuple(dirs)
        self._described: dict[str, tuple[object, AgentMetadata, dict[str, str]]] = {}

    def dirs_for(self, agent: str) -> AgentDirs:
        """The AgentDirs whose fence dir holds `agent`; AgentNotFound names every dir tried."""
        spec = AgentSpec(Standard.STONITH, "", agent).checked()
        for fence_dir in self.fence_dirs:
            dirs = AgentDirs(fence_dir=fence_dir)
            try:
                dirs.resolve(spec)
            except AgentNotFound:
                continue
            return dirs
        where = ", ".join(str(d) for d in self.fence_dirs)
        raise AgentNotFound(f"fence agent {agent!r} not found (looked in {where})")

    def metadata(self, agent: str) -> AgentMetadata:
        """The agent's parsed meta-data; UserError (naming the agent) when it has none."""
        return self._describe(agent)[0]

    def aliases(self, agent: str) -> dict[str, str]:
        """{new: old} parameter names of the agent (see `fencing.device.parameter_aliases`)."""
        return self._describe(agent)[1]

    def _describe(self, agent: str) -> tuple[AgentMetadata, dict[str, str]]:
        """Asked once per agent file version (path and mtime)."""
        dirs = self.dirs_for(agent)
        spec = AgentSpec(Standard.STONITH, "", agent)
        path = dirs.resolve(spec)
        key = (path, os.stat(path).st_mtime_ns)
        hit = self._described.get(agent)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        xml = fetch_metadata(spec, dirs)
        meta, aliases = parse_metadata(xml, str(spec)), parameter_aliases(xml)
        self._described[agent] = (key, meta, aliases)
        return meta, aliases

    def run(self, req: RunAgent) -> OpResult:
        """Run `req` in this process (standalone mode; a node's fencer asks its privileged
        child instead)."""
        try:
            dirs = self.dirs_for(req.spec.type)
        except UserError as exc:
            return OpResult(OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED, str(exc))
        return execute(req, dirs)
