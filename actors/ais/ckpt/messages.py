"""What CKPT clients ask (request bodies), what they get back, and the checkpoint attributes.

Times are seconds on the cluster's clock (the executive's `now`); `None` as an expiration time
means SA_TIME_END (never). Section ids and data are bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class WriteMode(Enum):
    """The creation flags that choose how writes reach the replicas."""

    ALL_REPLICAS = "write-all-replicas"
    ACTIVE_REPLICA = "write-active-replica"
    ACTIVE_REPLICA_WEAK = "write-active-replica-weak"


@dataclass(frozen=True)
class CreationAttributes:
    """SaCkptCheckpointCreationAttributesT."""

    write_mode: WriteMode
    checkpoint_size: int
    max_sections: int
    max_section_size: int
    retention_duration: float = 0.0
    max_section_id_size: int = 256
    collocated: bool = False


class SectionsChosen(Enum):
    """SaCkptSectionsChosenT: which sections an iteration visits."""

    FOREVER = "forever"
    LEQ_EXPIRATION_TIME = "leq"
    GEQ_EXPIRATION_TIME = "geq"
    CORRUPTED = "corrupted"
    ANY = "any"


DEFAULT_SECTION = b""
"""The one section of a checkpoint created with max_sections == 1 (SA_CKPT_DEFAULT_SECTION_ID)."""


# ---- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointOpen:
    """saCkptCheckpointOpen: reply `CheckpointOpened(handle)`."""

    name: str
    attributes: CreationAttributes | None = None
    read: bool = True
    write: bool = False
    create: bool = False


@dataclass(frozen=True)
class CheckpointClose:
    handle: int


@dataclass(frozen=True)
class CheckpointUnlink:
    name: str


@dataclass(frozen=True)
class RetentionDurationSet:
    handle: int
    duration: float


@dataclass(frozen=True)
class ActiveReplicaSet:
    """Collocated checkpoints only: make this node's replica the active one."""

    handle: int


@dataclass(frozen=True)
class CheckpointStatusGet:
    handle: int


@dataclass(frozen=True)
class SectionCreate:
    handle: int
    section_id: bytes
    expiration_time: float | None = None
    initial_data: bytes = b""


@dataclass(frozen=True)
class SectionDelete:
    handle: int
    section_id: bytes


@dataclass(frozen=True)
class SectionExpirationTimeSet:
    handle: int
    section_id: bytes
    expiration_time: float | None


@dataclass(frozen=True)
class WriteElement:
    section_id: bytes
    offset: int
    data: bytes


@dataclass(frozen=True)
class Write:
    """saCkptCheckpointWrite: all elements or none; an error's detail names the element."""

    handle: int
    elements: tuple[WriteElement, ...]


@dataclass(frozen=True)
class Overwrite:
    handle: int
    section_id: bytes
    data: bytes


@dataclass(frozen=True)
class ReadElement:
    """`size` 0 reads to the end of the section."""

    section_id: bytes
    offset: int = 0
    size: int = 0


@dataclass(frozen=True)
class Read:
    handle: int
    elements: tuple[ReadElement, ...]


@dataclass(frozen=True)
class SectionIterationInitialize:
    """Reply `SectionIteration` with every chosen section as it is now; the client library
    walks it in saCkptSectionIterationNext (NO_SECTIONS at the end)."""

    handle: int
    sections_chosen: SectionsChosen
    expiration_time: float | None = None


@dataclass(frozen=True)
class Synchronize:
    """saCkptCheckpointSynchronize: every write is already on every replica when answered."""

    handle: int


# ---- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointOpened:
    handle: int


@dataclass(frozen=True)
class CheckpointStatus:
    attributes: CreationAttributes
    number_of_sections: int
    memory_used: int


@dataclass(frozen=True)
class ReadResult:
    data: tuple[bytes, ...]


@dataclass(frozen=True)
class SectionDescriptor:
    section_id: bytes
    expiration_time: float | None
    section_size: int
    last_update: float


@dataclass(frozen=True)
class SectionIteration:
    sections: tuple[SectionDescriptor, ...]
