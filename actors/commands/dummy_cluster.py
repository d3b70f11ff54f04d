"""A local cluster running ocf:heartbeat:Dummy resources whose state lives in each node's state dir.

On real machines each node has its own /run, where a Dummy keeps its state file by default. The
nodes of a local cluster share one machine, so each Dummy gets its `state` per node, by a rule on
`#uname` (Pacemaker's per-node instance attributes): `ROOT/<node>/agents/<rsc>.state`. Where a
resource runs is then judged from the agents' own files, not from the cluster's belief. Used by
`ringleader demo` and `ringleader bench failover` (and fit for tests of failover).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from actors.runtime.procfs import descendants
from actors.runtime.procfs import pid_alive as alive

AGENTS = "agents"
T = TypeVar("T")


def agents_dir(root: Path, node: str) -> Path:
    return root / node / AGENTS


def prepare_agents_dirs(root: Path, nodes: Sequence[str]) -> None:
    """The dirs the Dummies write to (open to all: the agents may run as the node's user)."""
    for node in nodes:
        path = agents_dir(root, node)
        path.mkdir(exist_ok=True)
        os.chmod(path, 0o777)


def dummy_primitive(rsc: str, root: Path, nodes: Sequence[str], monitor: str = "2s") -> str:
    """A Dummy whose `state` is `ROOT/<node>/agents/<rsc>.state` on whichever node runs it."""
    sets = "".join(
        f'<instance_attributes id="{rsc}-on-{n}" score="{len(nodes) - i}">'
        f'<rule id="{rsc}-{n}-rule" score="0"><expression id="{rsc}-{n}-is" attribute="#uname"'
        f' operation="eq" value="{n}"/></rule>'
        f'<nvpair id="{rsc}-{n}-state" name="state" value="{agents_dir(root, n)}/{rsc}.state"/>'
        "</instance_attributes>"
        for i, n in enumerate(nodes)
    )
    return (
        f'<primitive id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">{sets}'
        f'<operations><op id="{rsc}-mon" name="monitor" interval="{monitor}" timeout="20s"/>'
        "</operations></primitive>"
    )


def configuration(resources: str, stonith: bool = True) -> str:
    """A whole CIB (for `config load`) holding `resources` (XML of primitives, groups, clones)."""
    return (
        '<cib><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">'
        f'<nvpair id="opt-stonith" name="stonith-enabled" value="{str(stonith).lower()}"/>'
        f"</cluster_property_set></crm_config><nodes/><resources>{resources}</resources>"
        "<constraints/></configuration><status/></cib>"
    )


def where(root: Path, rsc: str, nodes: Sequence[str]) -> list[str]:
    """The nodes whose agent state says `rsc` runs there."""
    return [n for n in nodes if (agents_dir(root, n) / f"{rsc}.state").exists()]


def started_at(root: Path, rsc: str, node: str) -> float:
    """When the agent started `rsc` on `node` (its state file's mtime: the agent's own word)."""
    return (agents_dir(root, node) / f"{rsc}.state").stat().st_mtime


def kill_node(root: Path, node: str) -> tuple[float, list[int]]:
    """SIGKILL a node's supervisor and every process below it at once, as a power cut would:
    nothing gets to stop cleanly or say goodbye. Returns when it was done and the pids."""
    pid = int((root / node / "run" / "supervisor.pid").read_text())
    tree = [pid, *descendants(pid)]
    when = time.time()
    for p in tree:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return when, tree


def power_off(root: Path, node: str) -> int:
    """What a fenced node ran is gone once it is powered off (a reboot clears /run): remove its
    agents' state files. Returns how many there were."""
    files = list(agents_dir(root, node).glob("*.state"))
    for f in files:
        f.unlink(missing_ok=True)
    return len(files)


def cluster_pids(root: Path, nodes: Sequence[str]) -> set[int]:
    """Every supervisor of the cluster in `root` and every process below them."""
    pids: set[int] = set()
    for node in nodes:
        try:
            pid = int((root / node / "run" / "supervisor.pid").read_text())
        except (OSError, ValueError):
            continue
        if alive(pid):
            pids |= {pid, *descendants(pid)}
    return pids


def left_alive(pids: set[int]) -> list[int]:
    return sorted(p for p in pids if alive(p))


def wait_for(predicate: Callable[[], T], timeout: float = 120.0, what: str = "condition") -> T:
    """Poll `predicate` until it is truthy (an exception: a node restarting, ask again)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a component (re)starting: ask again
            last = exc
        else:
            if last:
                return last  # type: ignore[return-value]
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")


def fence_success(view: dict, target: str, after: float = 0.0) -> dict | None:
    """The newest successful fencing of `target` completed after `after`, from a status summary."""
    done = [
        e
        for e in view.get("fencing") or []
        if e["target"] == target and e["state"] == "success" and e["completed"] >= after
    ]
    return max(done, key=lambda e: e["completed"]) if done else None
