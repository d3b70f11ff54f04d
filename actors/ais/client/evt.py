"""saEvt for Python: publish events on named channels; subscribers get those their filters match.

    bus = EvtClient(deliver=lambda ev: print(ev.patterns, ev.data), config="node1.toml")
    h = bus.channel_open("alerts", create=True, publisher=True, subscriber=True)
    bus.subscribe(h, [Filter(FilterType.PREFIX, b"disk")])
    bus.publish(h, [b"disk/full"], b"sda1 at 99%", retention=60)
    bus.dispatch(timeout=1.0)                   # runs deliver for each queued event

Events wait in this connection's queue at the executive (bounded: the lowest priority goes
first, and a lost-event notice with id `EVENT_ID_LOST` takes its place); `dispatch` takes them
one by one, highest priority first, and hands each to `deliver` (saEvtDispatch).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

from actors.ais.client.retrying import RetryingConnection
from actors.ais.evt.messages import (
    LOWEST_PRIORITY,
    ChannelClose,
    ChannelOpen,
    ChannelUnlink,
    Event,
    EventGet,
    EventsAvailable,
    Filter,
    Publish,
    RetentionTimeClear,
    Subscribe,
    Unsubscribe,
)


class EvtClient(RetryingConnection):
    """saEvtInitialize: `deliver(Event)` is called from `dispatch` (or the dispatch thread)."""

    def __init__(self, deliver: Callable[[Event], None] | None = None, **where) -> None:
        super().__init__("evt", **where)
        self.deliver_fn = deliver
        self.handler = self._route
        self._subscription_ids = itertools.count(1)

    def _route(self, payload: object, cause: tuple) -> None:
        if type(payload) is EventsAvailable:
            while (event := self.event_get()) is not None:
                if self.deliver_fn:
                    self.deliver_fn(event)

    def channel_open(
        self, name: str, *, create: bool = False, publisher: bool = False, subscriber: bool = False
    ) -> int:
        """saEvtChannelOpen: NOT_EXIST without `create` for an unknown channel."""
        return self.call(ChannelOpen(name, create, publisher, subscriber)).handle

    def channel_close(self, handle: int) -> None:
        self.call(ChannelClose(handle))

    def channel_unlink(self, name: str) -> None:
        self.call(ChannelUnlink(name))

    def publish(
        self,
        handle: int,
        patterns: Iterable[bytes],
        data: bytes = b"",
        *,
        priority: int = LOWEST_PRIORITY,
        retention: float = 0.0,
        publisher_name: str = "",
    ) -> int:
        """saEvtEventPublish; returns the event id. `retention` seconds keep the event for
        subscriptions made later; priority 0 (highest) .. 3."""
        op = Publish(handle, tuple(patterns), priority, retention, publisher_name, data)
        return self.call(op).event_id

    def subscribe(
        self, handle: int, filters: Iterable[Filter], subscription_id: int | None = None
    ) -> int:
        """saEvtEventSubscribe: filter i judges pattern i of an event; returns the id.
        Retained events that match are delivered at once."""
        sid = next(self._subscription_ids) if subscription_id is None else subscription_id
        self.call(Subscribe(handle, tuple(filters), sid))
        return sid

    def unsubscribe(self, handle: int, subscription_id: int) -> None:
        self.call(Unsubscribe(handle, subscription_id))

    def retention_time_clear(self, handle: int, event_id: int) -> None:
        self.call(RetentionTimeClear(handle, event_id))

    def event_get(self) -> Event | None:
        """The next queued event (highest priority first), or None; `dispatch` uses it."""
        return self.call(EventGet())
