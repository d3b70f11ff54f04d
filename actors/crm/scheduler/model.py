"""What the scheduler produces: a transition graph (actions + ordering edges) and its summary."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Action:
    """One graph node: a resource operation, a pseudo action, a fencing or a shutdown."""

    id: int
    task: str  # start, stop, monitor, stonith, do_shutdown, ...
    rsc: str | None
    node: str | None
    interval_ms: int = 0
    pseudo: bool = False
    runnable: bool = True
    meta: tuple[tuple[str, str], ...] = ()  # given to the agent (a notification's lists)

    @property
    def key(self) -> str:
        if self.rsc is None:
            return f"{self.task}-{self.node}"
        return f"{self.rsc}_{self.task}_{self.interval_ms}"


@dataclass(frozen=True)
class SummaryLine:
    """One `Transition Summary` entry, as crm_simulate prints it."""

    kind: str  # Start Stop Move Recover Restart Fence Shutdown
    name: str  # resource or node
    source: str | None = None
    target: str | None = None
    reason: str = ""
    fence_action: str = "reboot"  # Fence lines: reboot, off or on (unfencing)


@dataclass(frozen=True)
class Contribution:
    """One reason a resource scores what it does on a node (for `--explain`)."""

    node: str | None  # None: every node
    score: int
    source: str


@dataclass(frozen=True)
class NodeView:
    """A node as `Current cluster status` shows it."""

    name: str
    online: bool
    unclean: bool
    standby: bool
    maintenance: bool
    pending: bool = False


@dataclass(frozen=True)
class ResourceView:
    """A primitive as `Current cluster status` shows it."""

    id: str
    agent: str  # class:provider:type
    current: tuple[str, ...]
    failed: bool
    managed: bool
    group: str | None = None
    role: str = "Stopped"  # Stopped, Started, Unpromoted, Promoted
    blocked: bool = False
    target_role_stopped: bool = False
    orphan: bool = False


@dataclass(frozen=True)
class Transition:
    actions: tuple[Action, ...]
    edges: tuple[tuple[int, int], ...]  # (before, after) by action id
    summary: tuple[SummaryLine, ...]
    placement: dict[str, str | None]
    current: dict[str, tuple[str, ...]]
    scores: dict[str, dict[str, int]]
    explain: dict[str, tuple[Contribution, ...]] = field(default_factory=dict)
    nodes: tuple[NodeView, ...] = ()
    resources: tuple[ResourceView, ...] = ()  # configuration order
