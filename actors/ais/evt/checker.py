"""Event delivery as a pure check over per-node logs: per filter, once, and within retention.

Input: every node's log (`actors.ais.sync.harness.LogEntry`). Checked for every event a client
took (`EventGet` answered with an `Event` other than the lost-event notice):

- it was taken through a subscription the client made and did not end, and the event's
  patterns match that subscription's filters;
- no subscription gets the same event twice;
- it was published (its id comes from an acknowledged or applied publish);
- with `complete`, every event published on a channel while a subscription to it existed, and
  matching it, reached that subscription, or its connection got a lost-event notice (the queue
  is per connection); only for runs without configuration changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from actors.ais.effects import ClientRequest, Reply
from actors.ais.evs import Delivery, NodeId
from actors.ais.evt.core import event_id_of
from actors.ais.evt.messages import (
    EVENT_ID_LOST,
    ChannelOpen,
    ChannelOpened,
    Event,
    Filter,
    Publish,
    Published,
    Subscribe,
    Unsubscribe,
    event_matches,
)
from actors.ais.sync.harness import LogEntry
from actors.ais.sync.replica import Operation, Stamp

Sub = tuple[NodeId, object, int, int]  # node, conn, handle, subscription id


def check_event_delivery(
    logs: Mapping[NodeId, Sequence[LogEntry]], complete: bool = False
) -> list[str]:
    entries = sorted((e for log in logs.values() for e in log), key=lambda e: e.step)
    asked: dict[tuple[NodeId, object, int], object] = {}
    channel_of: dict[tuple[NodeId, object, int], str] = {}
    subs: dict[Sub, tuple[Filter, ...]] = {}
    published: dict[int, tuple[str, tuple[bytes, ...]]] = {}
    owed: dict[Sub, set[int]] = {}
    got: dict[Sub, set[int]] = {}
    lost: set[tuple[NodeId, object]] = set()  # connections that got a lost-event notice
    problems: list[str] = []
    for e in entries:
        item = e.item
        if isinstance(item, ClientRequest) and not e.output:
            asked[(e.node, item.conn, item.request_id)] = item.op
            if isinstance(item.op, Unsubscribe):
                subs.pop((e.node, item.conn, item.op.handle, item.op.subscription_id), None)
            continue
        if isinstance(item, Delivery) and isinstance(item.payload, Operation):
            op = item.payload  # applied, perhaps never acknowledged (its node left meanwhile)
            if op.service == "evt" and isinstance(op.op, Publish):
                channel = channel_of.get((op.origin, op.conn, op.op.handle), "")
                published.setdefault(event_id_of(Stamp.of(item)), (channel, op.op.patterns))
            continue
        if not (isinstance(item, Reply) and e.output):
            continue
        body = asked.get((e.node, item.conn, item.request_id))
        result = item.result
        if isinstance(body, ChannelOpen) and isinstance(result, ChannelOpened):
            channel_of[(e.node, item.conn, result.handle)] = body.name
        elif isinstance(body, Subscribe) and result is None:
            sub = (e.node, item.conn, body.handle, body.subscription_id)
            subs[sub] = body.filters
            owed.setdefault(sub, set())
        elif isinstance(result, Published):
            channel = channel_of.get((e.node, item.conn, body.handle), "")  # type: ignore[union-attr]
            published[result.event_id] = (channel, body.patterns)  # type: ignore[union-attr]
            for sub, filters in subs.items():
                same = channel_of.get(sub[:3]) == channel
                if same and event_matches(filters, body.patterns):  # type: ignore[union-attr]
                    owed[sub].add(result.event_id)
        elif isinstance(result, Event):
            sub = (e.node, item.conn, result.handle, result.subscription_id)
            if result.event_id == EVENT_ID_LOST:
                lost.add(sub[:2])
                continue
            if sub not in subs:
                problems.append(f"event {result.event_id} through unknown subscription {sub}")
            elif not event_matches(subs[sub], result.patterns):
                problems.append(f"event {result.event_id} does not match subscription {sub}")
            if result.event_id in got.setdefault(sub, set()):
                problems.append(f"event {result.event_id} delivered twice to {sub}")
            got[sub].add(result.event_id)
            if result.event_id not in published:
                problems.append(f"event {result.event_id} was never published")
    if complete:
        for sub, ids in owed.items():
            missing = ids - got.get(sub, set())
            if missing and sub[:2] not in lost:
                problems.append(f"subscription {sub} missed events {sorted(missing)}")
    return problems
