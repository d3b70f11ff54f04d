"""The sync engine: brings one service's replicated state to agreement after a membership change.

Corosync runs every service through init, process, activate and abort after each regular
configuration. This is the same barrier, per service, as a pure state machine:

- init + process: on a regular configuration every member multicasts one `SyncState` carrying a
  snapshot of its service state (taken after everything of the old configuration was applied).
- activate: `SyncState` messages are agreed messages of the new ring, so every member receives
  the same snapshots in the same order. When one has arrived from every member, every node hands
  the same set to the service's merge at the same point of the total order, and the merged state
  is identical everywhere without any further exchange.
- abort: a regular configuration that arrives before the barrier is complete drops the snapshots
  gathered so far and starts over. (A transitional configuration does not abort by itself: the
  survivors that share it deliver the same messages of the old ring, some of them perhaps in the
  transitional configuration, so they all complete the barrier or none does.)

Operations (the service's own agreed messages) are applied only when delivered with the id of
the ring whose barrier completed, and only after that point of its order: an operation sent by a
node that was still syncing is dropped the same way everywhere and its sender answers TRY_AGAIN.
Client requests are accepted only while the state is agreed and no membership change is under
way (`accepting`).
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.ais.evs import ConfigurationChange, NodeId, RingId


@dataclass(frozen=True)
class SyncState:
    """One member's snapshot of one service, sent once per regular configuration."""

    service: str
    ring_id: RingId
    node: NodeId
    snapshot: object


class SyncSession:
    """The barrier for one service on one node; the service owns the snapshot and the merge."""

    def __init__(self, service: str, node: NodeId) -> None:
        self.service = service
        self.node = node
        self.ring_id: RingId | None = None
        """The latest regular configuration."""
        self.members: tuple[NodeId, ...] = ()
        self.active_ring: RingId | None = None
        """The ring whose barrier completed: operations delivered in it are applied."""
        self.active_members: tuple[NodeId, ...] = ()
        self.syncing = False
        self.in_transition = False
        self.aborts = 0
        self._received: dict[NodeId, object] = {}

    @property
    def accepting(self) -> bool:
        """True when client requests may be served (state agreed, no membership change)."""
        return self.active_ring is not None and not self.syncing and not self.in_transition

    def applies(self, ring_id: RingId) -> bool:
        """Whether an operation delivered with this ring id is applied (see module docstring)."""
        return not self.syncing and ring_id == self.active_ring

    def on_configuration(self, change: ConfigurationChange, snapshot: object) -> SyncState | None:
        """A configuration change; returns the SyncState to multicast for a regular one."""
        if change.kind == "transitional":
            self.in_transition = True
            return None
        if self.syncing:
            self.aborts += 1
        self.in_transition = False
        self.ring_id = change.ring_id
        self.members = tuple(sorted(change.members))
        self._received = {}
        self.syncing = True
        return SyncState(self.service, change.ring_id, self.node, snapshot)

    def on_sync_state(self, msg: SyncState) -> dict[NodeId, object] | None:
        """A delivered SyncState; returns every member's snapshot once the barrier is complete."""
        if not self.syncing or msg.ring_id != self.ring_id or msg.node not in self.members:
            return None
        self._received.setdefault(msg.node, msg.snapshot)
        if set(self._received) != set(self.members):
            return None
        self.syncing = False
        self.active_ring = self.ring_id
        self.active_members = self.members
        received, self._received = self._received, {}
        return dict(sorted(received.items()))
