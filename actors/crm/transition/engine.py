"""One transition graph being executed (sans-IO): which actions may run now, which are done.

The scheduler's `Transition` is a DAG: an action may start once every action ordered before it
has completed. Pseudo actions (a group's start/running, a stop implied by fencing) have nothing
to run and complete as soon as they are ready. Actions the scheduler marked unrunnable never run,
and neither does anything after them.

An unexpected result (a failure, a timeout, a probe finding a resource active) aborts the
transition, as Pacemaker's does: nothing new starts, the actions in flight are awaited (their
results matter to the next plan), and then the DC re-plans from the new status. `abort()` does
the same for any other news (a configuration change, a node leaving).
"""

from __future__ import annotations

from collections.abc import Iterable

from actors.crm.scheduler.model import Action, Transition
from actors.crm.scheduler.notifications import notified_operation


class TransitionEngine:
    def __init__(
        self,
        transition: Transition,
        transition_id: int = 0,
        extra_edges: Iterable[tuple[int, int]] = (),
    ) -> None:
        self.id = transition_id
        self.transition = transition
        self.actions = {a.id: a for a in transition.actions if a.runnable}
        self._inputs: dict[int, set[int]] = {a: set() for a in self.actions}
        unrunnable = {a.id for a in transition.actions if not a.runnable}
        self._blocked: set[int] = set()
        for before, after in (*transition.edges, *extra_edges):
            if after in self._inputs:
                if before in unrunnable:
                    self._blocked.add(after)
                elif before in self.actions:
                    self._inputs[after].add(before)
        self.done: set[int] = set()
        self.failed: set[int] = set()
        self.in_flight: set[int] = set()
        self.aborted = False
        self.abort_reason = ""

    # ---- queries ----------------------------------------------------------------------------

    def _ready(self, aid: int) -> bool:  # all inputs done, not begun
        return (
            aid not in self.done
            and aid not in self.failed
            and aid not in self.in_flight
            and aid not in self._blocked
            and self._inputs[aid] <= self.done
        )

    @property
    def complete(self) -> bool:
        """Nothing in flight and nothing more will start: the DC may plan again."""
        if self.in_flight:
            return False
        return not any(self._ready(a.id) and self._may_start(a) for a in self.actions.values())

    @property
    def did_work(self) -> bool:
        return bool(self.done) or bool(self.failed)

    # ---- events -----------------------------------------------------------------------------

    def _may_start(self, action: Action) -> bool:
        """After an abort only recurring monitors still begin (their start is done): they
        change nothing, and a plan cannot tell a monitor never begun from a running one (the
        history's last failure of the same monitor looks alike). So do the post notifications
        of a clone's change already made (an agent setting its promotion score in its start
        aborts the transition right there): no later plan would send them."""
        if not self.aborted:
            return True
        if action.task == "monitor" and action.interval_ms > 0:
            return True
        notified = notified_operation(action.task)
        return notified is not None and notified[0] == "post"

    def start(self) -> list[Action]:
        """The actions to execute now (each marked in flight); pseudo actions complete here."""
        out: list[Action] = []
        progress = True
        while progress:
            progress = False
            for aid in sorted(self.actions):
                action = self.actions[aid]
                if not self._ready(aid) or not self._may_start(action):
                    continue
                if action.pseudo:
                    self.done.add(aid)
                    progress = True
                else:
                    self.in_flight.add(aid)
                    out.append(action)
        return out

    def completed(self, action_id: int, ok: bool, reason: str = "") -> list[Action]:
        """An action's result: `ok` is False for anything unexpected, which aborts. Returns
        what may run now."""
        if action_id not in self.in_flight:
            return []
        self.in_flight.discard(action_id)
        if ok:
            self.done.add(action_id)
        else:
            self.failed.add(action_id)
            self.abort(
                reason
                or f"{self.actions[action_id].key} on "
                f"{self.actions[action_id].node}: unexpected result"
            )
        return self.start()

    def abort(self, reason: str) -> None:
        if not self.aborted:
            self.aborted, self.abort_reason = True, reason

    def in_flight_on(self, nodes: Iterable[str]) -> list[Action]:
        wanted = set(nodes)
        return [self.actions[a] for a in sorted(self.in_flight) if self.actions[a].node in wanted]


FENCE_TASKS = ("stonith", "reboot", "off")


def starts_after_fencing(
    transition: Transition, exempt: Iterable[str] = ()
) -> list[tuple[int, int]]:
    """Edges making every start and promote wait for every fencing in the graph, as Pacemaker
    orders them (`pcmk__order_vs_fence`, resources with requires=fencing): a node being fenced
    may run anything, a node never seen above all. `exempt`: resources that do not require
    fencing (fence devices)."""
    fences = [a.id for a in transition.actions if a.rsc is None and a.task in FENCE_TASKS]
    if not fences:
        return []
    skip = set(exempt)
    starts = [
        a.id
        for a in transition.actions
        if a.task in ("start", "promote") and a.rsc and not a.pseudo and a.rsc not in skip
    ]
    return [(f, s) for f in fences for s in starts]
