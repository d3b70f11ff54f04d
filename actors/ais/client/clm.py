"""saClm for Python: the cluster's member nodes and notifications when they change."""

from __future__ import annotations

from collections.abc import Callable

from actors.ais.client.connection import Connection
from actors.ais.clm.messages import (
    ClusterNode,
    ClusterNodeGet,
    ClusterTrack,
    ClusterTrackStop,
    NotificationBuffer,
    TrackCallback,
    TrackFlags,
)


class ClmClient(Connection):
    """saClmInitialize: `track(TrackCallback)` is called from `dispatch`."""

    def __init__(self, track: Callable[[TrackCallback], None] | None = None, **where) -> None:
        super().__init__("clm", **where)
        self.track_fn = track
        self.handler = self._route

    def _route(self, payload: object, cause: tuple) -> None:
        if type(payload) is TrackCallback and self.track_fn:
            self.track_fn(payload)

    def cluster_track(
        self, flags: TrackFlags, current_via_callback: bool = False
    ) -> NotificationBuffer | None:
        return self.call(ClusterTrack(flags, current_via_callback))

    def cluster_track_stop(self) -> None:
        self.call(ClusterTrackStop())

    def cluster_node_get(self, node_id: int | None = None) -> ClusterNode:
        return self.call(ClusterNodeGet(node_id))
