"""Clone notifications (`notify=true`), as Pacemaker sends them.

Around each kind of change a clone goes through in a transition (demote, stop, start, promote,
in that order), every instance active at that point is told `notify` before ("pre") and
after ("post"), with the whole change in `OCF_RESKEY_CRM_meta_notify_*`: which instances start,
stop, are promoted or demoted, where, which are active or inactive, promoted or unpromoted, and
the cluster's nodes. Agents such as DRBD or galera wait for these to act.

The phases run one after the other (a phase's post notifications before the next one's pre), so
an instance never has two notifications in flight; the graph actions are named as Pacemaker's
keys (`rsc:0_pre_notify_start_0`), and the controller runs them as the agent's `notify` action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

PHASES = ("demote", "stop", "start", "promote")
PREFIXES = ("pre_notify_", "post_notify_")


@dataclass(frozen=True)
class CloneChange:
    """One notifying clone in a transition: who runs where before and after, and the changes
    (phase -> [(instance, node, action id)])."""

    before: tuple[tuple[str, str], ...]  # (instance, node) active now
    after: tuple[tuple[str, str], ...]  # (instance, node) active afterwards
    promoted: tuple[tuple[str, str], ...]  # promoted now
    instances: tuple[str, ...]
    nodes: tuple[str, ...]  # the cluster's online nodes
    changes: dict[str, list[tuple[str, str, int]]]


def notified_operation(task: str) -> tuple[str, str] | None:
    """("pre" | "post", operation) for a notification's graph task, else None."""
    for prefix in PREFIXES:
        if task.startswith(prefix):
            return prefix.split("_")[0], task[len(prefix) :]
    return None


def _names(pairs: Iterable[tuple[str, str]]) -> tuple[str, str]:
    pairs = list(pairs)
    return " ".join(i for i, _ in pairs), " ".join(n for _, n in pairs)


def _meta(kind: str, op: str, c: CloneChange) -> tuple[tuple[str, str], ...]:
    out = {"notify_type": kind, "notify_operation": op}
    out["notify_key_type"], out["notify_key_operation"] = kind, op
    for phase in PHASES:
        rsc, uname = _names((i, n) for i, n, _ in c.changes.get(phase, ()))
        out[f"notify_{phase}_resource"], out[f"notify_{phase}_uname"] = rsc, uname
    out["notify_active_resource"], out["notify_active_uname"] = _names(c.before)
    active = {i for i, _ in c.before}
    out["notify_inactive_resource"] = " ".join(i for i in c.instances if i not in active)
    promoted = set(c.promoted)
    unpromoted = [p for p in c.before if p not in promoted]
    for old, new, pairs in (
        ("master", "promoted", c.promoted),
        ("slave", "unpromoted", unpromoted),
    ):
        rsc, uname = _names(pairs)
        out[f"notify_{new}_resource"] = out[f"notify_{old}_resource"] = rsc
        out[f"notify_{new}_uname"] = out[f"notify_{old}_uname"] = uname
    out["notify_all_uname"] = out["notify_available_uname"] = " ".join(c.nodes)
    return tuple(sorted(out.items()))


def add_notifications(
    change: CloneChange,
    act: Callable[..., int],
    edges: list[tuple[int, int]],
) -> None:
    """Add the notifications of one clone's changes to the graph (see the module docstring)."""
    running = list(change.before)
    previous: list[int] = []  # the last phase's post notifications (or its changes)
    for phase in PHASES:
        done = change.changes.get(phase)
        if not done:
            continue
        ids = [aid for _, _, aid in done]
        pre = [
            act(f"pre_notify_{phase}", inst, node, meta=_meta("pre", phase, change))
            for inst, node in running
        ]
        edges.extend((p, a) for p in pre for a in ids)
        edges.extend((b, x) for b in previous for x in (pre or ids))
        if phase == "stop":
            gone = {(i, n) for i, n, _ in done}
            running = [p for p in running if p not in gone]
        elif phase == "start":
            running = list(change.after)
        post = [
            act(f"post_notify_{phase}", inst, node, meta=_meta("post", phase, change))
            for inst, node in running
        ]
        edges.extend((a, p) for a in ids for p in post)
        previous = post or ids
