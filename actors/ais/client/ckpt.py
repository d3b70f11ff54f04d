"""saCkpt for Python: replicated checkpoints of named sections, on every node of the cluster.

    with CkptClient(config="node1.toml") as ckpt:
        h = ckpt.open("state", CreationAttributes(WriteMode.ALL_REPLICAS, 4096, 4, 1024),
                      create=True, write=True)
        ckpt.section_create(h, b"count", b"0")
        ckpt.overwrite(h, b"count", b"1")
        ckpt.read(h, b"count")                  # b"1", from this node's replica

A write is answered once applied on every replica of the configuration, so what was
acknowledged survives the loss of any node. Reads come from the local replica.
"""

from __future__ import annotations

from collections.abc import Iterator

from actors.ais.ckpt.messages import (
    ActiveReplicaSet,
    CheckpointClose,
    CheckpointOpen,
    CheckpointStatus,
    CheckpointStatusGet,
    CheckpointUnlink,
    CreationAttributes,
    Overwrite,
    Read,
    ReadElement,
    RetentionDurationSet,
    SectionCreate,
    SectionDelete,
    SectionDescriptor,
    SectionExpirationTimeSet,
    SectionIterationInitialize,
    SectionsChosen,
    Synchronize,
    Write,
    WriteElement,
)
from actors.ais.client.retrying import RetryingConnection


class CkptClient(RetryingConnection):
    """saCkptInitialize: checkpoint handles are ints from `open`; errors raise AisError."""

    def __init__(self, **where) -> None:
        super().__init__("ckpt", **where)

    def open(
        self,
        name: str,
        attributes: CreationAttributes | None = None,
        *,
        create: bool = False,
        read: bool = True,
        write: bool = False,
    ) -> int:
        """saCkptCheckpointOpen: EXIST when `create` meets other creation attributes,
        NOT_EXIST without `create` for an unknown name; `attributes` go with `create`."""
        return self.call(CheckpointOpen(name, attributes, read, write, create)).handle

    def close(self, handle: int) -> None:
        self.call(CheckpointClose(handle))

    def unlink(self, name: str) -> None:
        self.call(CheckpointUnlink(name))

    def retention_duration_set(self, handle: int, seconds: float) -> None:
        self.call(RetentionDurationSet(handle, seconds))

    def active_replica_set(self, handle: int) -> None:
        self.call(ActiveReplicaSet(handle))

    def status(self, handle: int) -> CheckpointStatus:
        return self.call(CheckpointStatusGet(handle))

    def section_create(
        self, handle: int, section: bytes, data: bytes = b"", expiration: float | None = None
    ) -> None:
        """`expiration`: absolute time (seconds since the epoch) or None (never)."""
        self.call(SectionCreate(handle, section, expiration, data))

    def section_delete(self, handle: int, section: bytes) -> None:
        self.call(SectionDelete(handle, section))

    def section_expiration_set(self, handle: int, section: bytes, expiration: float | None) -> None:
        self.call(SectionExpirationTimeSet(handle, section, expiration))

    def write(self, handle: int, section: bytes, data: bytes, offset: int = 0) -> None:
        """saCkptCheckpointWrite of one element."""
        self.write_elements(handle, [WriteElement(section, offset, data)])

    def write_elements(self, handle: int, elements: list[WriteElement]) -> None:
        """saCkptCheckpointWrite: all elements or none (the error names the element)."""
        self.call(Write(handle, tuple(elements)))

    def overwrite(self, handle: int, section: bytes, data: bytes) -> None:
        self.call(Overwrite(handle, section, data))

    def read(self, handle: int, section: bytes, offset: int = 0, size: int = 0) -> bytes:
        """One section's data from `offset`, `size` bytes (0: to the end)."""
        return self.read_elements(handle, [ReadElement(section, offset, size)])[0]

    def read_elements(self, handle: int, elements: list[ReadElement]) -> tuple[bytes, ...]:
        return self.call(Read(handle, tuple(elements))).data

    def iterate(
        self,
        handle: int,
        chosen: SectionsChosen = SectionsChosen.ANY,
        expiration: float | None = None,
    ) -> Iterator[SectionDescriptor]:
        """saCkptSectionIterationInitialize/Next: the chosen sections as they are now."""
        return iter(self.call(SectionIterationInitialize(handle, chosen, expiration)).sections)

    def synchronize(self, handle: int) -> None:
        self.call(Synchronize(handle))
