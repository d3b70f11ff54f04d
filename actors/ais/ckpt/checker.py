"""Checkpoint durability as a pure check over per-node logs: an acknowledged write is not lost.

Input: every node's log (`actors.ais.sync.harness.LogEntry`), and the step from which reads are
judged (after the cluster has healed: a partition that never saw a write cannot read it, which
is not a loss).

Whole-section values are tracked: `SectionCreate` (initial data), `Overwrite`, `SectionDelete`
(no value). For a read of a section at step t, let W be the acknowledged change of that section
with the highest place in the cluster's history (delivery stamp) among those acknowledged before
t. The read must return W's value, or the value of a change with a higher stamp delivered
anywhere (the merge rule: newest write wins). Sections also changed by partial `Write` calls are
not judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from actors.ais.ckpt.messages import (
    CheckpointOpen,
    CheckpointOpened,
    Overwrite,
    Read,
    ReadResult,
    SectionCreate,
    SectionDelete,
    Write,
)
from actors.ais.effects import ClientRequest, Reply
from actors.ais.errors import SA_AIS_ERR_NOT_EXIST, AisError
from actors.ais.evs import Delivery, NodeId
from actors.ais.sync.harness import LogEntry
from actors.ais.sync.replica import Operation, Stamp

Key = tuple[str, bytes]  # checkpoint name, section id


def check_ckpt_durability(logs: Mapping[NodeId, Sequence[LogEntry]], from_step: int) -> list[str]:
    entries = sorted((e for log in logs.values() for e in log), key=lambda e: e.step)
    asked: dict[tuple[NodeId, object, int], object] = {}
    names: dict[tuple[NodeId, object, int], str] = {}  # (node, conn, handle) -> checkpoint name
    stamps: dict[tuple[NodeId, object, int], Stamp] = {}  # request -> its delivery stamp
    changes: dict[Key, list[tuple[Stamp, bytes | None]]] = {}
    acked: dict[Key, tuple[Stamp, bytes | None]] = {}
    partial: set[Key] = set()
    problems: list[str] = []

    def key_of(node: NodeId, conn: object, body: object) -> Key | None:
        name = names.get((node, conn, body.handle))  # type: ignore[attr-defined]
        return None if name is None else (name, body.section_id)  # type: ignore[attr-defined]

    for e in entries:
        item = e.item
        if isinstance(item, ClientRequest) and not e.output:
            asked[(e.node, item.conn, item.request_id)] = item.op
        elif isinstance(item, Delivery) and isinstance(item.payload, Operation):
            op = item.payload
            if op.service != "ckpt" or op.conn is None or op.request_id is None:
                continue
            stamp = Stamp.of(item)
            stamps.setdefault((op.origin, op.conn, op.request_id), stamp)
            body = asked.get((op.origin, op.conn, op.request_id))
            if isinstance(body, SectionCreate | Overwrite | SectionDelete):
                key = key_of(op.origin, op.conn, body)
                if key is not None:
                    changes.setdefault(key, []).append((stamp, _value(body)))
            elif isinstance(body, Write):
                for element in body.elements:
                    name = names.get((op.origin, op.conn, body.handle))
                    partial.add((name or "", element.section_id))
        elif isinstance(item, Reply) and e.output:
            request = (e.node, item.conn, item.request_id)
            body = asked.get(request)
            if isinstance(body, CheckpointOpen) and isinstance(item.result, CheckpointOpened):
                names[(e.node, item.conn, item.result.handle)] = body.name
            elif (
                isinstance(body, SectionCreate | Overwrite | SectionDelete) and item.result is None
            ):
                key = key_of(e.node, item.conn, body)
                if key is not None and request in stamps:
                    best = acked.get(key)
                    if best is None or stamps[request] > best[0]:
                        acked[key] = (stamps[request], _value(body))
            elif isinstance(body, Read) and e.step >= from_step and len(body.elements) == 1:
                element = body.elements[0]
                name = names.get((e.node, item.conn, body.handle))
                key = None if name is None else (name, element.section_id)
                whole = element.offset == 0 and element.size == 0
                if key is None or not whole or key in partial or key not in acked:
                    continue
                got = _read_value(item.result)
                if got is _UNJUDGED:
                    continue
                stamp, value = acked[key]
                allowed = {value} | {v for s, v in changes.get(key, []) if s > stamp}
                if got not in allowed:
                    problems.append(f"{key}: node {e.node} read {got!r}, acknowledged {value!r}")
    return problems


_UNJUDGED = object()


def _value(body: object) -> bytes | None:
    if isinstance(body, SectionCreate):
        return body.initial_data
    if isinstance(body, Overwrite):
        return body.data
    return None


def _read_value(result: object) -> object:
    if isinstance(result, ReadResult):
        return result.data[0]
    if isinstance(result, AisError) and result.code is SA_AIS_ERR_NOT_EXIST:
        return None
    return _UNJUDGED
