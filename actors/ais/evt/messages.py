"""What EVT clients ask (request bodies), what they get back, and the notices they receive.

Priorities are 0 (highest) to 3 (lowest), as SA_EVT_HIGHEST_PRIORITY .. SA_EVT_LOWEST_PRIORITY.
Events reach a client through its connection's queue: the `EventsAvailable` callback says the
queue is no longer empty, and the client library takes events with `EventGet` until it answers
None (that is its saEvtDispatch).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

HIGHEST_PRIORITY = 0
LOWEST_PRIORITY = 3
EVENT_ID_LOST = 1
"""SA_EVT_EVENTID_LOST: the id of the lost-event notice; ids below 1000 are reserved."""
LOST_EVENT_PATTERN = b"SA_EVT_LOST_EVENT"


class FilterType(Enum):
    PREFIX = "prefix"
    SUFFIX = "suffix"
    EXACT = "exact"
    PASS_ALL = "pass-all"


@dataclass(frozen=True)
class Filter:
    kind: FilterType
    pattern: bytes = b""

    def matches(self, pattern: bytes) -> bool:
        if self.kind is FilterType.PASS_ALL:
            return True
        if self.kind is FilterType.EXACT:
            return pattern == self.pattern
        if self.kind is FilterType.PREFIX:
            return pattern.startswith(self.pattern)
        return pattern.endswith(self.pattern)


def event_matches(filters: tuple[Filter, ...], patterns: tuple[bytes, ...]) -> bool:
    """Filter i judges pattern i; an event with fewer patterns than filters does not match
    (OpenAIS's rule); patterns beyond the filters are not looked at."""
    if len(patterns) < len(filters):
        return False
    return all(f.matches(p) for f, p in zip(filters, patterns, strict=False))


# ---- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelOpen:
    """saEvtChannelOpen: reply `ChannelOpened(handle)`; NOT_EXIST unless `create`."""

    name: str
    create: bool = False
    publisher: bool = False
    subscriber: bool = False


@dataclass(frozen=True)
class ChannelClose:
    handle: int


@dataclass(frozen=True)
class ChannelUnlink:
    name: str


@dataclass(frozen=True)
class Publish:
    """saEvtEventPublish (attributes and data in one call): reply `Published(event_id)`.
    `retention` in seconds; 0 means the event is not retained."""

    handle: int
    patterns: tuple[bytes, ...]
    priority: int = LOWEST_PRIORITY
    retention: float = 0.0
    publisher_name: str = ""
    data: bytes = b""


@dataclass(frozen=True)
class Subscribe:
    handle: int
    filters: tuple[Filter, ...]
    subscription_id: int


@dataclass(frozen=True)
class Unsubscribe:
    handle: int
    subscription_id: int


@dataclass(frozen=True)
class RetentionTimeClear:
    handle: int
    event_id: int


@dataclass(frozen=True)
class EventGet:
    """Take the next event of this connection's queue (highest priority first, then oldest);
    the reply is an `Event` or None when the queue is empty."""


# ---- results and callbacks -------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelOpened:
    handle: int


@dataclass(frozen=True)
class Published:
    event_id: int


@dataclass(frozen=True)
class Event:
    """A delivered event (what saEvtEventDeliverCallback and saEvtEventAttributesGet give)."""

    handle: int
    subscription_id: int
    event_id: int
    patterns: tuple[bytes, ...]
    priority: int
    retention: float
    publisher_name: str
    publish_time: float
    data: bytes


@dataclass(frozen=True)
class EventsAvailable:
    """Callback: this connection's event queue was empty and now is not."""
