"""Message delivery as a pure check over per-node logs: exactly once, to one queue of a group.

Input: every node's log (`actors.ais.sync.harness.LogEntry`). Checked:

- no message (by id) is received twice from the same queue, and a message sent to a queue or a
  round-robin group is received from one queue only (a broadcast may reach several);
- with `expect_all`, every acknowledged send was received somewhere (the run must end by
  draining every queue, with no queue deleted on the way).

Only receipts made while the receiving node is in a majority configuration count: a minority
partition that reopens a queue can always hand out what the majority hands out too, which is
what quorum exists to stop.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from actors.ais.effects import ClientRequest, Reply
from actors.ais.evs import ConfigurationChange, Delivery, NodeId
from actors.ais.msg.messages import MessageId, MessageSend, ReceivedMessage
from actors.ais.sync.harness import LogEntry
from actors.ais.sync.replica import Operation, Stamp


def check_message_delivery(
    logs: Mapping[NodeId, Sequence[LogEntry]],
    nodes: Collection[NodeId],
    broadcast_groups: Collection[str] = (),
    expect_all: bool = False,
) -> list[str]:
    entries = sorted((e for log in logs.values() for e in log), key=lambda e: e.step)
    majority = len(nodes) // 2 + 1
    members: dict[NodeId, tuple[NodeId, ...]] = {}
    asked: dict[tuple[NodeId, object, int], object] = {}
    stamps: dict[tuple[NodeId, object, int], Stamp] = {}
    acknowledged: dict[MessageId, str] = {}
    received: dict[MessageId, list[str]] = {}  # in a majority configuration
    seen: set[MessageId] = set()  # anywhere
    problems: list[str] = []
    for e in entries:
        item = e.item
        if isinstance(item, ConfigurationChange) and item.kind == "regular":
            members[e.node] = item.members
        elif isinstance(item, ClientRequest) and not e.output:
            asked[(e.node, item.conn, item.request_id)] = item.op
        elif isinstance(item, Delivery) and isinstance(item.payload, Operation):
            op = item.payload
            if op.service == "msg" and op.conn is not None and op.request_id is not None:
                stamps.setdefault((op.origin, op.conn, op.request_id), Stamp.of(item))
        elif isinstance(item, Reply) and e.output:
            request = (e.node, item.conn, item.request_id)
            body = asked.get(request)
            if isinstance(body, MessageSend) and item.result is None and request in stamps:
                s = stamps[request]
                acknowledged[(s.ring_seq, s.ring_rep, s.seq)] = body.destination
            elif isinstance(item.result, ReceivedMessage) and item.result.queue:
                seen.add(item.result.message_id)
                if len(members.get(e.node, ())) >= majority:
                    received.setdefault(item.result.message_id, []).append(item.result.queue)
    for message_id, queues in received.items():
        if len(set(queues)) != len(queues):
            problems.append(f"message {message_id} received twice from one queue: {queues}")
        elif len(queues) > 1 and acknowledged.get(message_id) not in broadcast_groups:
            problems.append(f"message {message_id} received from several queues: {queues}")
    if expect_all:
        for message_id, destination in acknowledged.items():
            if message_id not in seen:
                problems.append(f"message {message_id} to {destination} was never received")
    return problems
