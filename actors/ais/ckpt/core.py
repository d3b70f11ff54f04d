"""The checkpoint service core: every checkpoint replicated on every node (sans-IO).

Entry point: `CkptCore(node).handle(event, now) -> list[Effect]` (inputs and the frame's rules
are in `actors.ais.sync.replica`; request bodies and results in `actors.ais.ckpt.messages`).

Every change (open, close, unlink, section create/delete/expiration, write, overwrite) is an
agreed operation applied by every node, and answered by the client's node once applied there:
so an acknowledged write is on every replica of the configuration and survives the loss of any
node. All three write modes get that behaviour (stronger than the AIS asks for the
active-replica modes); the active replica of a collocated checkpoint is recorded for `status`.
Reads, status and iteration are served from the local replica (read-your-writes holds: a
client's write is applied on its node before it is answered).

A checkpoint lives while it is open or retained: after its last close it is deleted when its
retention duration has passed (a replicated deadline), at once if it was unlinked. Unlink
removes the name; openers keep using the checkpoint. Sections with an expiration time are
deleted when it passes.

Merge after a membership change (same result on every member):

- openings are taken from the snapshot of the opener's own node; those of nodes that left are
  closed (retention starts at the merge time if that was the last opening);
- a checkpoint is the same one on every side when its creation stamp (uid) is the same; sides
  union their sections, and per section the newest write wins by (ring, seq) stamp, a deletion
  tombstone beating any older write; attributes come from the newest `RetentionDurationSet`;
- unlinked (or deleted) on any side means unlinked; if two sides each created a checkpoint of
  the same name, they become one: the older creation keeps its identity and attributes, the
  other's sections fold into it by the same newest-write rule, and its openers are moved to it.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from actors.ais.ckpt.messages import (
    DEFAULT_SECTION,
    ActiveReplicaSet,
    CheckpointClose,
    CheckpointOpen,
    CheckpointOpened,
    CheckpointStatus,
    CheckpointStatusGet,
    CheckpointUnlink,
    CreationAttributes,
    Overwrite,
    Read,
    ReadResult,
    RetentionDurationSet,
    SectionCreate,
    SectionDelete,
    SectionDescriptor,
    SectionExpirationTimeSet,
    SectionIteration,
    SectionIterationInitialize,
    SectionsChosen,
    Synchronize,
    Write,
    WriteMode,
)
from actors.ais.effects import Effect
from actors.ais.errors import (
    SA_AIS_ERR_ACCESS,
    SA_AIS_ERR_BAD_FLAGS,
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_BAD_OPERATION,
    SA_AIS_ERR_EXIST,
    SA_AIS_ERR_INVALID_PARAM,
    SA_AIS_ERR_NO_SPACE,
    SA_AIS_ERR_NOT_EXIST,
    AisError,
    AisErrorCode,
)
from actors.ais.evs import NodeId
from actors.ais.sync.replica import (
    Client,
    Operation,
    ReplicatedService,
    Snapshot,
    Stamp,
    merge_time,
)


@dataclass(frozen=True)
class _Open:
    """Operation: CheckpointOpen with the handle the client's node chose."""

    handle: int
    body: CheckpointOpen


@dataclass
class Section:
    data: bytes
    expiration: float | None
    stamp: Stamp
    last_update: float


@dataclass
class Checkpoint:
    uid: Stamp
    name: str
    attributes: CreationAttributes
    attr_stamp: Stamp
    sections: dict[bytes, Section] = field(default_factory=dict)
    tombstones: dict[bytes, Stamp] = field(default_factory=dict)
    unlinked: bool = False
    retention_deadline: float | None = None
    active_replica: NodeId | None = None

    @property
    def memory_used(self) -> int:
        return sum(len(s.data) for s in self.sections.values())


@dataclass
class Opening:
    uid: Stamp
    read: bool
    write: bool


@dataclass
class CkptState:
    checkpoints: dict[Stamp, Checkpoint] = field(default_factory=dict)
    names: dict[str, Stamp] = field(default_factory=dict)
    opens: dict[tuple[Client, int], Opening] = field(default_factory=dict)
    deleted: set[Stamp] = field(default_factory=set)


def _error(code: AisErrorCode, detail: str) -> AisError:
    return AisError(code, detail)


def check_attributes(attrs: CreationAttributes) -> AisError | None:
    """The parameter checks saCkptCheckpointOpen makes before anything else."""
    if attrs.collocated and attrs.write_mode is WriteMode.ALL_REPLICAS:
        return _error(SA_AIS_ERR_BAD_FLAGS, "collocated needs an active-replica write mode")
    if attrs.max_sections < 1 or attrs.max_section_size < 0 or attrs.checkpoint_size < 0:
        return _error(SA_AIS_ERR_INVALID_PARAM, "sizes")
    if attrs.checkpoint_size > attrs.max_sections * attrs.max_section_size:
        return _error(SA_AIS_ERR_INVALID_PARAM, "checkpoint size > max sections * section size")
    if attrs.retention_duration < 0:
        return _error(SA_AIS_ERR_INVALID_PARAM, "retention duration")
    return None


class CkptCore(ReplicatedService):
    service = "ckpt"

    def __init__(self, node: NodeId) -> None:
        super().__init__(node)
        self.state = CkptState()
        self._next_handle = 0

    # -- requests ----------------------------------------------------------------------------

    def request(self, client: Client, request_id: int, op: object, now: float) -> list[Effect]:
        if isinstance(op, CheckpointOpen):
            if op.create != (op.attributes is not None):
                return self.reply(
                    client,
                    request_id,
                    _error(SA_AIS_ERR_INVALID_PARAM, "attributes go with create"),
                )
            problem = op.attributes and check_attributes(op.attributes)
            if problem:
                return self.reply(client, request_id, problem)
            self._next_handle += 1
            return [self.multicast(_Open(self._next_handle, op), now, client, request_id)]
        if isinstance(op, Read | CheckpointStatusGet | SectionIterationInitialize | Synchronize):
            return self.reply(client, request_id, self._local(client, op))
        if isinstance(op, RetentionDurationSet) and op.duration < 0:
            return self.reply(client, request_id, _error(SA_AIS_ERR_INVALID_PARAM, "duration"))
        return [self.multicast(op, now, client, request_id)]

    def _local(self, client: Client, op: object) -> object:
        opening = self.state.opens.get((client, op.handle))  # type: ignore[attr-defined]
        if opening is None:
            return _error(SA_AIS_ERR_BAD_HANDLE, "checkpoint handle")
        cp = self.state.checkpoints[opening.uid]
        if isinstance(op, CheckpointStatusGet):
            return CheckpointStatus(cp.attributes, len(cp.sections), cp.memory_used)
        if isinstance(op, Synchronize):
            return None
        if isinstance(op, SectionIterationInitialize):
            return SectionIteration(
                tuple(
                    SectionDescriptor(sid, s.expiration, len(s.data), s.last_update)
                    for sid, s in sorted(cp.sections.items())
                    if _chosen(s.expiration, op.sections_chosen, op.expiration_time)
                )
            )
        assert isinstance(op, Read)
        if not opening.read:
            return _error(SA_AIS_ERR_ACCESS, "not opened for reading")
        out = []
        for i, element in enumerate(op.elements):
            section = cp.sections.get(element.section_id)
            if section is None:
                return _error(SA_AIS_ERR_NOT_EXIST, f"element {i}: section {element.section_id!r}")
            if element.offset > len(section.data) or element.size < 0:
                return _error(SA_AIS_ERR_INVALID_PARAM, f"element {i}: offset")
            end = len(section.data) if element.size == 0 else element.offset + element.size
            out.append(section.data[element.offset : end])
        return ReadResult(tuple(out))

    # -- replicated operations ---------------------------------------------------------------

    def apply(self, op: Operation, stamp: Stamp, now: float) -> list[Effect]:
        client, rid, body = op.client, op.request_id, op.op
        assert client is not None
        if isinstance(body, _Open):
            return self.reply(client, rid, self._open(client, body, stamp))
        if isinstance(body, CheckpointUnlink):
            return self.reply(client, rid, self._unlink(body.name))
        opening = self.state.opens.get((client, body.handle))  # type: ignore[attr-defined]
        if opening is None:
            return self.reply(client, rid, _error(SA_AIS_ERR_BAD_HANDLE, "checkpoint handle"))
        cp = self.state.checkpoints[opening.uid]
        if isinstance(body, CheckpointClose):
            del self.state.opens[(client, body.handle)]
            self._after_close(cp, op.sent_at)
            return self.reply(client, rid, None)
        if isinstance(body, RetentionDurationSet):
            cp.attributes = replace(cp.attributes, retention_duration=body.duration)
            cp.attr_stamp = stamp
            return self.reply(client, rid, None)
        if isinstance(body, ActiveReplicaSet):
            if not cp.attributes.collocated:
                return self.reply(client, rid, _error(SA_AIS_ERR_BAD_OPERATION, "not collocated"))
            cp.active_replica = op.origin
            return self.reply(client, rid, None)
        if not opening.write:
            return self.reply(client, rid, _error(SA_AIS_ERR_ACCESS, "not opened for writing"))
        return self.reply(client, rid, self._change(cp, body, stamp, op.sent_at))

    def _open(self, client: Client, op: _Open, stamp: Stamp) -> object:
        body = op.body
        uid = self.state.names.get(body.name)
        if uid is None:
            if not body.create:
                return _error(SA_AIS_ERR_NOT_EXIST, body.name)
            assert body.attributes is not None
            cp = Checkpoint(stamp, body.name, body.attributes, stamp)
            if body.attributes.max_sections == 1:
                cp.sections[DEFAULT_SECTION] = Section(b"", None, stamp, 0.0)
            self.state.checkpoints[stamp] = cp
            self.state.names[body.name] = uid = stamp
        else:
            cp = self.state.checkpoints[uid]
            if body.create and _creation(cp.attributes) != _creation(body.attributes):
                return _error(SA_AIS_ERR_EXIST, f"{body.name} has other creation attributes")
        cp.retention_deadline = None
        self.state.opens[(client, op.handle)] = Opening(uid, body.read, body.write)
        return CheckpointOpened(op.handle)

    def _unlink(self, name: str) -> object:
        uid = self.state.names.pop(name, None)
        if uid is None:
            return _error(SA_AIS_ERR_NOT_EXIST, name)
        cp = self.state.checkpoints[uid]
        cp.unlinked = True
        self._after_close(cp, 0.0)
        return None

    def _after_close(self, cp: Checkpoint, at: float) -> None:
        """Start retention (or delete) a checkpoint nobody has open any more."""
        if any(o.uid == cp.uid for o in self.state.opens.values()):
            return
        if cp.unlinked:
            self._delete(cp)
        elif cp.retention_deadline is None:
            cp.retention_deadline = at + cp.attributes.retention_duration

    def _delete(self, cp: Checkpoint) -> None:
        del self.state.checkpoints[cp.uid]
        self.state.deleted.add(cp.uid)
        if self.state.names.get(cp.name) == cp.uid:
            del self.state.names[cp.name]

    def _change(self, cp: Checkpoint, body: object, stamp: Stamp, at: float) -> object:
        attrs = cp.attributes
        if isinstance(body, SectionCreate):
            sid = body.section_id
            if sid in cp.sections:
                return _error(SA_AIS_ERR_EXIST, f"section {sid!r}")
            if not sid or len(sid) > attrs.max_section_id_size:
                return _error(SA_AIS_ERR_INVALID_PARAM, "section id")
            if len(body.initial_data) > attrs.max_section_size:
                return _error(SA_AIS_ERR_INVALID_PARAM, "initial data larger than a section")
            if len(cp.sections) >= attrs.max_sections:
                return _error(SA_AIS_ERR_NO_SPACE, "max sections")
            if cp.memory_used + len(body.initial_data) > attrs.checkpoint_size:
                return _error(SA_AIS_ERR_NO_SPACE, "checkpoint size")
            cp.sections[sid] = Section(body.initial_data, body.expiration_time, stamp, at)
            cp.tombstones.pop(sid, None)
            return None
        if isinstance(body, SectionDelete | SectionExpirationTimeSet):
            if body.section_id == DEFAULT_SECTION:
                return _error(SA_AIS_ERR_INVALID_PARAM, "the default section")
            section = cp.sections.get(body.section_id)
            if section is None:
                return _error(SA_AIS_ERR_NOT_EXIST, f"section {body.section_id!r}")
            if isinstance(body, SectionDelete):
                self._delete_section(cp, body.section_id, stamp)
            else:
                section.expiration = body.expiration_time
                section.stamp = stamp
            return None
        if isinstance(body, Overwrite):
            section = cp.sections.get(body.section_id)
            if section is None:
                return _error(SA_AIS_ERR_NOT_EXIST, f"section {body.section_id!r}")
            if len(body.data) > attrs.max_section_size:
                return _error(SA_AIS_ERR_INVALID_PARAM, "data larger than a section")
            if cp.memory_used - len(section.data) + len(body.data) > attrs.checkpoint_size:
                return _error(SA_AIS_ERR_NO_SPACE, "checkpoint size")
            section.data, section.stamp, section.last_update = body.data, stamp, at
            return None
        if isinstance(body, Write):
            new: dict[bytes, bytes] = {}
            for i, element in enumerate(body.elements):
                sid = element.section_id
                if sid not in cp.sections:
                    return _error(SA_AIS_ERR_NOT_EXIST, f"element {i}: section {sid!r}")
                if (
                    element.offset < 0
                    or element.offset + len(element.data) > attrs.max_section_size
                ):
                    return _error(SA_AIS_ERR_INVALID_PARAM, f"element {i}: beyond the section size")
                data = new.get(sid, cp.sections[sid].data)
                data = data.ljust(element.offset, b"\0")
                new[sid] = (
                    data[: element.offset]
                    + element.data
                    + data[element.offset + len(element.data) :]
                )
            grown = sum(len(d) - len(cp.sections[s].data) for s, d in new.items())
            if cp.memory_used + grown > attrs.checkpoint_size:
                return _error(SA_AIS_ERR_NO_SPACE, "checkpoint size")
            for sid, data in new.items():
                section = cp.sections[sid]
                section.data, section.stamp, section.last_update = data, stamp, at
            return None
        return _error(SA_AIS_ERR_INVALID_PARAM, f"{body!r}")

    def _delete_section(self, cp: Checkpoint, sid: bytes, stamp: Stamp) -> None:
        del cp.sections[sid]
        cp.tombstones[sid] = stamp

    def client_lost(self, client: Client, stamp: Stamp, now: float) -> list[Effect]:
        for key in [k for k in self.state.opens if k[0] == client]:
            opening = self.state.opens.pop(key)
            cp = self.state.checkpoints.get(opening.uid)
            if cp is not None:
                self._after_close(cp, now)
        return []

    # -- deadlines ---------------------------------------------------------------------------

    def deadlines(self) -> dict[Hashable, float]:
        out: dict[Hashable, float] = {}
        for uid, cp in self.state.checkpoints.items():
            if cp.retention_deadline is not None:
                out[("retention", uid)] = cp.retention_deadline
            for sid, section in cp.sections.items():
                if section.expiration is not None:
                    out[("section", uid, sid)] = section.expiration
        return out

    def expire(self, key: Hashable, stamp: Stamp, now: float) -> list[Effect]:
        assert isinstance(key, tuple)
        cp = self.state.checkpoints[key[1]]
        if key[0] == "retention":
            self._delete(cp)
        else:
            self._delete_section(cp, key[2], stamp)
        return []

    # -- sync --------------------------------------------------------------------------------

    def snapshot(self) -> object:
        return copy.deepcopy(self.state)

    def merge(self, snapshots: dict[NodeId, Snapshot], now: float) -> list[Effect]:
        at = merge_time(snapshots)
        states = {n: copy.deepcopy(s.state) for n, s in snapshots.items()}
        state = CkptState()
        for st in states.values():
            assert isinstance(st, CkptState)
            state.deleted |= st.deleted
        open_somewhere: set[Stamp] = set()
        retained: dict[Stamp, float] = {}
        for node, st in states.items():
            for (client, handle), opening in st.opens.items():
                if client[0] == node:
                    state.opens[(client, handle)] = opening
            open_somewhere.update(o.uid for o in st.opens.values())
            for uid, cp in st.checkpoints.items():
                if cp.retention_deadline is not None:
                    retained[uid] = max(
                        retained.get(uid, cp.retention_deadline), cp.retention_deadline
                    )
                mine = state.checkpoints.get(uid)
                if mine is None:
                    state.checkpoints[uid] = cp
                else:
                    _merge_checkpoint(mine, cp)
        for uid, cp in state.checkpoints.items():
            if uid in state.deleted:
                cp.unlinked = True
        # One checkpoint per name: the oldest creation keeps it; same-named ones fold into it.
        for uid in sorted(state.checkpoints):
            cp = state.checkpoints[uid]
            if cp.unlinked:
                continue
            keeper = state.names.setdefault(cp.name, uid)
            if keeper != uid:
                _merge_checkpoint(state.checkpoints[keeper], cp)
                del state.checkpoints[uid]
                for opening in state.opens.values():
                    if opening.uid == uid:
                        opening.uid = keeper
                if uid in open_somewhere:
                    open_somewhere.add(keeper)
        self.state = state
        for cp in list(state.checkpoints.values()):
            if any(o.uid == cp.uid for o in state.opens.values()):
                cp.retention_deadline = None
                continue
            if cp.unlinked:
                self._delete(cp)
            elif cp.uid in open_somewhere or cp.uid not in retained:
                cp.retention_deadline = at + cp.attributes.retention_duration
            else:
                cp.retention_deadline = retained[cp.uid]
        return []


def _merge_checkpoint(into: Checkpoint, other: Checkpoint) -> None:
    """Fold another side's copy of the same checkpoint into `into` (see the module docstring)."""
    into.unlinked = into.unlinked or other.unlinked
    if other.attr_stamp > into.attr_stamp:
        into.attributes, into.attr_stamp = other.attributes, other.attr_stamp
        into.active_replica = other.active_replica
    for sid, stamp in other.tombstones.items():
        into.tombstones[sid] = max(stamp, into.tombstones.get(sid, stamp))
    for sid, section in other.sections.items():
        mine = into.sections.get(sid)
        if mine is None or section.stamp > mine.stamp:
            into.sections[sid] = section
    for sid, stamp in into.tombstones.items():
        section = into.sections.get(sid)
        if section is not None and section.stamp < stamp:
            del into.sections[sid]


def _creation(attrs: CreationAttributes | None) -> CreationAttributes | None:
    """The attributes that must match on a re-open with create (retention may have changed)."""
    return None if attrs is None else replace(attrs, retention_duration=0.0)


def _chosen(expiration: float | None, chosen: SectionsChosen, when: float | None) -> bool:
    if chosen is SectionsChosen.ANY:
        return True
    if chosen is SectionsChosen.FOREVER:
        return expiration is None
    if chosen is SectionsChosen.CORRUPTED or expiration is None or when is None:
        return False
    if chosen is SectionsChosen.LEQ_EXPIRATION_TIME:
        return expiration <= when
    return expiration >= when
