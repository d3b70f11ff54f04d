"""One node's replica of the CIB configuration, sans-IO: the CIB service's protocol.

Inputs: `Seat(member)` (this replica's place in the `ringleader-cib` CPG group, once joined),
`LocalChange(request_id, change)` (an operator's edit asked on this node), and what the group
delivers, in the agreed order that is the same at every member: `GroupMessage` and `GroupView`
(from `actors.ais.client.group`). Effects: `Multicast(payload)` to the group, `Answer` to a
local request, `Persist` (write the configuration to disk) and `Notify` (tell subscribers),
always Persist before Notify.

A change is applied in the agreed order, so every member applies the same changes in the same
order; it is delivered safe (only once every member holds it), so the asker's answer means the
change is in every member's hands. It is validated on its node first (`apply_change`, which runs
`parse_cib`), refused whole there when invalid, and multicast as a `Proposal` carrying its
result, stamped with the next version. On delivery, a proposal based on the current version is
applied as it is; one based on an older version (two nodes changed at once and totem ordered the
other first) is *re-applied*: its edit runs again on the current configuration, on every member
alike (edits are deterministic), so concurrent compatible edits both succeed and an edit that no
longer fits (both created `web`) is refused with the reason. A `ReplaceConfiguration` (a whole
file loaded) is never re-applied on top of a change it has not seen: it is refused, to be run
again. A change that changes nothing keeps the version. Every applied change bumps the epoch and
zeroes num_updates (num_updates counts status updates, which this service does not keep).

Membership: on every group view each member multicasts an `Offer` (the view as it saw it, its
version and configuration). While the offers of the view are outstanding the replica is
syncing: local changes are answered TRY_AGAIN at once, and proposals delivered meanwhile are
dropped by everyone (the origin answers TRY_AGAIN). Once the offer of every member of the view
has been delivered, every member adopts the newest: highest version, ties broken by the
higher sha256 of the XML, so merged partitions converge to the same configuration everywhere
and a node that was down or restarted catches up. An offer is counted for the view when its
sender's view equals the current one; a stale offer from an earlier identical view carries the
same state as the current one would (a replica's state cannot change between two of its
offers without the sync completing, and completion needs that sender's later offer), so
counting it is safe and every member counts the same offers.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from actors.ais.client.group import GroupMessage, GroupView
from actors.ais.cpg.messages import CpgMember
from actors.ais.effects import Multicast
from actors.crm.cib.edit import EMPTY_CIB, Change, ReplaceConfiguration, apply_change, normalize
from actors.crm.cib.messages import CIB_GROUP, Offer, Proposal, Version
from actors.crm.cib.parse import CibError

# ---- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """This replica joined the group as `member`."""

    member: CpgMember


@dataclass(frozen=True)
class LocalChange:
    request_id: int
    change: Change


Input = Seat | LocalChange | GroupMessage | GroupView


# ---- effects ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    version: Version
    report: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """Not applied anywhere: `retry` (a membership change in progress) or invalid (`reason`
    names the element)."""

    reason: str
    retry: bool = False


@dataclass(frozen=True)
class Answer:
    request_id: int
    result: Applied | Refused


@dataclass(frozen=True)
class Persist:
    version: Version
    xml: str


@dataclass(frozen=True)
class Notify:
    version: Version
    xml: str


Effect = Multicast | Answer | Persist | Notify


# ---- versions -----------------------------------------------------------------------------------


def version_of(xml: str) -> Version:
    """The version in a CIB's root attributes (missing ones count 0)."""
    root = ET.fromstring(xml)

    def num(name: str) -> int:
        try:
            return int(root.get(name, "0"))
        except ValueError:
            raise CibError(f"/cib: {name} '{root.get(name)}' is not an integer") from None

    return (num("admin_epoch"), num("epoch"), num("num_updates"))


def stamp(xml: str, version: Version) -> str:
    """`xml` with `version` in its root attributes."""
    root = ET.fromstring(xml)
    for name, value in zip(("admin_epoch", "epoch", "num_updates"), version, strict=True):
        root.set(name, str(value))
    return ET.tostring(root, encoding="unicode")


def next_version(current: Version, edited_xml: str) -> Version:
    """After a configuration change: epoch + 1, num_updates 0; a loaded file may raise the
    admin_epoch (as with Pacemaker, the administrator's override of everything else)."""
    admin = max(current[0], version_of(edited_xml)[0])
    return (admin, current[1] + 1, 0)


def rank(version: Version, xml: str) -> tuple[Version, str]:
    """Which of two configurations is newer: version first, then the content's sha256."""
    return (version, hashlib.sha256(xml.encode()).hexdigest())


# ---- the replica --------------------------------------------------------------------------------


class CibReplica:
    """See the module docstring."""

    def __init__(self, xml: str = EMPTY_CIB, group: str = CIB_GROUP) -> None:
        self.xml = normalize(xml)
        self.version = version_of(self.xml)
        self.group = group
        self.member: CpgMember | None = None
        self.view: tuple[CpgMember, ...] | None = None
        self.syncing = True
        """True until the first view's offers are in, and during every later sync."""
        self.offers: dict[CpgMember, Offer] = {}

    @property
    def accepting(self) -> bool:
        return self.member is not None and self.view is not None and not self.syncing

    def handle(self, event: Input) -> list[Effect]:
        if isinstance(event, LocalChange):
            return self._local(event)
        if isinstance(event, GroupMessage):
            if event.group != self.group:
                return []
            sender = CpgMember(event.nodeid, event.pid)
            if isinstance(event.data, Offer):
                return self._offer(sender, event.data)
            if isinstance(event.data, Proposal):
                return self._proposal(sender, event.data)
            return []
        if isinstance(event, GroupView):
            return self._view(event)
        if isinstance(event, Seat):
            self.member = event.member
        return []

    # -- local requests ---------------------------------------------------------------------------

    def _local(self, req: LocalChange) -> list[Effect]:
        if not self.accepting:
            why = "the CIB is synchronising after a membership change; try again"
            if self.member is None or self.view is None:
                why = "the CIB has not joined its group yet; try again"
            return [Answer(req.request_id, Refused(why, retry=True))]
        try:
            result = apply_change(self.xml, req.change)
        except CibError as exc:
            return [Answer(req.request_id, Refused(str(exc)))]
        xml = result.xml
        if xml != self.xml:
            xml = stamp(xml, next_version(self.version, xml))
        assert self.member is not None
        proposal = Proposal(
            self.member, req.request_id, self.version, req.change, xml, result.report
        )
        return [Multicast(proposal, safe=True)]  # answered once every member holds it

    # -- deliveries -------------------------------------------------------------------------------

    def _proposal(self, sender: CpgMember, p: Proposal) -> list[Effect]:
        mine = sender == self.member and p.origin == self.member

        def answer(result: Applied | Refused) -> list[Effect]:
            return [Answer(p.request_id, result)] if mine else []

        if self.syncing or self.view is None:
            why = "a membership change came before the change was applied; try again"
            return answer(Refused(why, retry=True))
        if p.base == self.version:
            xml, report = p.xml, p.report
        elif isinstance(p.change, ReplaceConfiguration):
            why = (
                f"the configuration changed (now epoch {self.version[1]}) while "
                f"{p.change.source} was being loaded; load it again"
            )
            return answer(Refused(why))
        else:
            try:
                result = apply_change(self.xml, p.change)
            except CibError as exc:
                return answer(Refused(f"{exc} (after a concurrent change)"))
            xml, report = result.xml, result.report
            if xml != self.xml:
                xml = stamp(xml, next_version(self.version, xml))
        if xml == self.xml:
            return answer(Applied(self.version, report))
        version = version_of(xml)
        effects = self._adopt(version, xml)
        return effects + answer(Applied(version, report))

    def _view(self, view: GroupView) -> list[Effect]:
        if view.group != self.group:
            return []
        members = tuple(sorted(view.members))
        if self.member is None or self.member not in members:
            return []
        self.view = members
        self.syncing = True
        self.offers = {}
        return [Multicast(Offer(members, self.version, self.xml))]

    def _offer(self, sender: CpgMember, offer: Offer) -> list[Effect]:
        if not self.syncing or offer.view != self.view or sender in self.offers:
            return []
        if sender not in self.view:
            return []
        self.offers[sender] = offer
        if set(self.offers) != set(self.view):
            return []
        self.syncing = False
        best = max(self.offers.values(), key=lambda o: rank(o.version, o.xml))
        self.offers = {}
        if rank(best.version, best.xml) == rank(self.version, self.xml):
            return []
        return self._adopt(best.version, best.xml)

    def _adopt(self, version: Version, xml: str) -> list[Effect]:
        self.version, self.xml = version, xml
        return [Persist(version, xml), Notify(version, xml)]
