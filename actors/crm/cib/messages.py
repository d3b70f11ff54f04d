"""What the CIB service says: the interface of the `cib` actor (`<node>/crm/cib`) and the
messages its replicas multicast to each other in the `ringleader-cib` group.

Interface (the controller and the commands use it):

- ask `GetConfig()` -> `CibConfig(version, xml)`: the whole CIB with an empty `<status/>`, as
  this node holds it (also while a membership change is being synchronised).
- tell `Subscribe(watcher)` / `Unsubscribe(watcher)`: `watcher` (a Ref) is told
  `ConfigChanged(version, xml)` once at once, then after every change this node applies (an
  edit, or a newer configuration adopted from the group after a membership change).
- ask `ApplyChange(change)` (a change of `actors.crm.cib.edit`) -> `ChangeApplied(version,
  report)` once the change was delivered and applied in the agreed order, the same at every
  member. A refused change raises in the asker's `get()`: `CibError` (invalid: the message
  names the element path; nothing was changed anywhere) or `CibTryAgain` (a membership change
  is being synchronised, or this node is not in the group yet: nothing was changed, ask again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.ais.cpg.messages import CpgMember
from actors.crm.cib.edit import Change
from actors.errors import UserError

Version = tuple[int, int, int]
"""(admin_epoch, epoch, num_updates), the `<cib>` attributes; compared as a tuple."""

CIB_GROUP = "ringleader-cib"
CIB_ACTOR = "cib"
CRM_PROCESS = "crm"


def cib_address(node: str) -> str:
    return f"{node}/{CRM_PROCESS}/{CIB_ACTOR}"


# ---- the actor's interface ----------------------------------------------------------------------


@dataclass(frozen=True)
class GetConfig:
    pass


@dataclass(frozen=True)
class CibConfig:
    version: Version
    xml: str


@dataclass(frozen=True)
class Subscribe:
    watcher: Any  # a Ref


@dataclass(frozen=True)
class Unsubscribe:
    watcher: Any


@dataclass(frozen=True)
class ConfigChanged:
    version: Version
    xml: str


@dataclass(frozen=True)
class ApplyChange:
    change: Change


@dataclass(frozen=True)
class ChangeApplied:
    """The version the change produced (unchanged when the edit changed nothing) and what the
    edit did, in words."""

    version: Version
    report: tuple[str, ...] = ()


class CibTryAgain(UserError):
    """The change was not applied anywhere: the group is synchronising; ask again."""


# ---- between replicas (multicast in CIB_GROUP) --------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A member's configuration, sent once per group view it sees (`view`: the members as it
    saw them); once every member's offer of the view is delivered, all adopt the newest."""

    view: tuple[CpgMember, ...]
    version: Version
    xml: str


@dataclass(frozen=True)
class Proposal:
    """A change asked on `origin`'s node (its `request_id` there), validated there against
    `base`; `xml` is the result stamped with the next version, used as is when every replica
    is still at `base`."""

    origin: CpgMember
    request_id: int
    base: Version
    change: Change
    xml: str
    report: tuple[str, ...] = ()
