"""The CLM (cluster membership) service core of one node, sans-IO.

Entry point: `ClmCore(node, name, address, boot_timestamp).handle(event, now=0.0) ->
list[Effect]` (see `actors.ais.effects`): EVS events from totem, `ClientRequest`s whose `op` is
one of the requests in `actors.ais.clm.messages`, and `ClientGone`. No timers.

The node list is agreed through the sync barrier (`actors.ais.sync.engine`): on every regular
configuration each node multicasts its own `ClusterNode` record; once every member's record has
arrived, every node installs the same list. If the list differs from the previous one (nodes
joined or left, or a node's record changed because it restarted), a new view starts: its number
is the configuration's ring sequence number, which every node agrees on and which only grows.
Trackers are told then: CHANGES with the whole view (JOINED / NO_CHANGE / RECONFIGURED, plus
LEFT for departed nodes), CHANGES_ONLY with just the changed nodes.

Queries answer from the last agreed view, also during a membership change (TRY_AGAIN only
before the first view).
"""

from __future__ import annotations

from dataclasses import replace

from actors.ais.clm.messages import (
    ClusterChange,
    ClusterNode,
    ClusterNodeGet,
    ClusterNotification,
    ClusterTrack,
    ClusterTrackStop,
    NotificationBuffer,
    TrackCallback,
    TrackFlags,
)
from actors.ais.effects import (
    Callback,
    ClientGone,
    ClientRequest,
    ConnId,
    Effect,
    Input,
    Multicast,
    Reply,
)
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.evs import ConfigurationChange, Delivery, NodeId
from actors.ais.sync.engine import SyncSession, SyncState

SERVICE = "clm"


class ClmCore:
    """CLM on one node; see the module docstring."""

    def __init__(
        self, node: NodeId, name: str = "", address: str = "", boot_timestamp: float = 0.0
    ) -> None:
        self.node = node
        self.sync = SyncSession(SERVICE, node)
        self.me = ClusterNode(node, name or f"node{node}", address, True, boot_timestamp, 0)
        self.nodes: dict[NodeId, ClusterNode] = {}
        """The members of the current view."""
        self.view_number = 0
        self.trackers: dict[ConnId, TrackFlags] = {}

    # -- entry point ---------------------------------------------------------------------------

    def handle(self, event: Input, now: float = 0.0) -> list[Effect]:
        """Feed one input; returns the effects to carry out, in order (`now` is unused)."""
        if isinstance(event, ConfigurationChange):
            return self._on_configuration(event)
        if isinstance(event, Delivery):
            return self._on_delivery(event)
        if isinstance(event, ClientRequest):
            return self._on_request(event)
        if isinstance(event, ClientGone):
            self.trackers.pop(event.conn, None)
        return []

    def current(self) -> NotificationBuffer:
        """The current view, every member NO_CHANGE (what SA_TRACK_CURRENT returns)."""
        return NotificationBuffer(
            self.view_number,
            tuple(
                ClusterNotification(record, ClusterChange.NO_CHANGE)
                for _, record in sorted(self.nodes.items())
            ),
        )

    # -- totem events --------------------------------------------------------------------------

    def _on_configuration(self, change: ConfigurationChange) -> list[Effect]:
        record = self.me
        if change.kind == "regular" and not record.initial_view_number:
            record = replace(record, initial_view_number=change.ring_id.seq)
        state = self.sync.on_configuration(change, record)
        return [] if state is None else [Multicast(state)]

    def _on_delivery(self, delivery: Delivery) -> list[Effect]:
        payload = delivery.payload
        if not isinstance(payload, SyncState) or payload.service != SERVICE:
            return []
        records = self.sync.on_sync_state(payload)
        if records is None:
            return []
        new = {n: r for n, r in records.items() if isinstance(r, ClusterNode)}
        if self.node in new:
            self.me = new[self.node]
        return self._install(new)

    def _install(self, new: dict[NodeId, ClusterNode]) -> list[Effect]:
        """Adopt the agreed node list; start a view and notify trackers if it changed."""
        old = self.nodes
        changes: list[ClusterNotification] = []
        for node_id, record in sorted(new.items()):
            if node_id not in old:
                changes.append(ClusterNotification(record, ClusterChange.JOINED))
            elif old[node_id] != record:
                changes.append(ClusterNotification(record, ClusterChange.RECONFIGURED))
        left = [
            ClusterNotification(replace(record, member=False), ClusterChange.LEFT)
            for node_id, record in sorted(old.items())
            if node_id not in new
        ]
        self.nodes = new
        if not changes and not left:
            return []
        assert self.sync.ring_id is not None
        self.view_number = self.sync.ring_id.seq
        changed = {n.node.node_id: n for n in changes}
        whole = tuple(
            changed.get(n, ClusterNotification(r, ClusterChange.NO_CHANGE))
            for n, r in sorted(new.items())
        ) + tuple(left)
        only = tuple(sorted(changes + left, key=lambda n: n.node.node_id))
        effects: list[Effect] = []
        for conn, flags in self.trackers.items():
            entries = only if TrackFlags.CHANGES_ONLY in flags else whole
            buffer = NotificationBuffer(self.view_number, entries)
            effects.append(Callback(conn, TrackCallback(buffer, len(new))))
        return effects

    # -- client requests -----------------------------------------------------------------------

    def _on_request(self, req: ClientRequest) -> list[Effect]:
        op = req.op

        def reply(result: object = None) -> list[Effect]:
            return [Reply(req.conn, req.request_id, result)]

        if isinstance(op, ClusterNodeGet):
            node_id = self.node if op.node_id is None else op.node_id
            if node_id in self.nodes:
                return reply(self.nodes[node_id])
            if not self.nodes:
                return reply(AisError(AisErrorCode.TRY_AGAIN, "clm: no membership yet"))
            return reply(AisError(AisErrorCode.NOT_EXIST, f"clm: node {node_id} not a member"))
        if isinstance(op, ClusterTrack):
            return self._track(req, op)
        if isinstance(op, ClusterTrackStop):
            if self.trackers.pop(req.conn, None) is None:
                return reply(AisError(AisErrorCode.NOT_EXIST, "clm: not tracking"))
            return reply()
        return reply(AisError(AisErrorCode.INVALID_PARAM, f"clm: unknown request {op!r}"))

    def _track(self, req: ClientRequest, op: ClusterTrack) -> list[Effect]:
        flags = TrackFlags(op.flags)
        if not flags or (TrackFlags.CHANGES in flags and TrackFlags.CHANGES_ONLY in flags):
            error = AisError(AisErrorCode.BAD_FLAGS, f"clm: track flags {flags!r}")
            return [Reply(req.conn, req.request_id, error)]
        if TrackFlags.CURRENT in flags and not self.nodes:
            error = AisError(AisErrorCode.TRY_AGAIN, "clm: no membership yet")
            return [Reply(req.conn, req.request_id, error)]
        if flags & (TrackFlags.CHANGES | TrackFlags.CHANGES_ONLY):
            self.trackers[req.conn] = flags
        if TrackFlags.CURRENT not in flags:
            return [Reply(req.conn, req.request_id)]
        if op.current_via_callback:
            current = TrackCallback(self.current(), len(self.nodes))
            return [Reply(req.conn, req.request_id), Callback(req.conn, current)]
        return [Reply(req.conn, req.request_id, self.current())]
