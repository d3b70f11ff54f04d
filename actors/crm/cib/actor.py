"""The CIB actor of a node (`<node>/crm/cib`): the replication core plus its IO — the
`ringleader-cib` CPG group (GroupLink), `cib.xml` in the state dir, subscribers, and the asks
of the controller and the commands (the interface is in `actors.crm.cib.messages`).

It serves `GetConfig` from the disk copy as soon as it starts, and joins the group through the
node's executive, on a thread of its own, when the executive answers (retrying every half second
until then); changes are refused with `CibTryAgain` until the first sync is done. If the group
link fails (the executive went away: a multicast fails, or the executive no longer lists this
actor in the group, checked every 2 s), the actor crashes and the supervisor restarts the crm
process, which joins the new executive.

Replicas' messages travel pickled to bytes: the executive orders them without unpickling (as
corosync's CPG carries opaque data), and only CIB actors, which hold the classes, read them.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import threading
from dataclasses import dataclass, replace
from typing import Any

from actors.ais.client.group import GroupLink, GroupMessage, GroupView
from actors.ais.cpg.messages import CpgMember
from actors.ais.effects import Multicast
from actors.ais.errors import AisError, AisErrorCode
from actors.config import load_config
from actors.crm.cib.messages import (
    CIB_GROUP,
    ApplyChange,
    ChangeApplied,
    CibConfig,
    CibTryAgain,
    ConfigChanged,
    GetConfig,
    Subscribe,
    Unsubscribe,
)
from actors.crm.cib.parse import CibError
from actors.crm.cib.replication import (
    Answer,
    Applied,
    CibReplica,
    LocalChange,
    Notify,
    Persist,
    Seat,
)
from actors.crm.cib.store import CibStore
from actors.runtime.actor import Actor, DeathNotice

log = logging.getLogger("ringleader.cib")

CONNECT_RETRY = 0.5
"""Seconds between attempts to join the group while the executive is not serving yet."""
LINK_CHECK = 2.0
"""Seconds between checks that the executive still counts this actor in the group."""


class _Connect:
    """Start joining the group (told by the actor to itself, then by its retry timer)."""


@dataclass(frozen=True)
class _Linked:
    """The joining thread's outcome: the link, or why there is none yet."""

    link: GroupLink | None
    error: str = ""
    stuck: bool = False


@dataclass(frozen=True)
class _LinkLost:
    reason: str


class CibActor(Actor):
    def __init__(self, config_path: str) -> None:
        super().__init__()
        self._config_path = config_path
        config = load_config(config_path)
        self._node = config.node
        self._store = CibStore(config.state_dir)
        self._link: GroupLink | None = None
        self._subscribers: set[Any] = set()
        self._requests: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._attempts = 0
        self._early: list[GroupMessage | GroupView] = []
        self._stopping = threading.Event()

    def on_start(self) -> None:
        loaded = self._store.load()
        self._replica = CibReplica(loaded.xml) if loaded.xml else CibReplica()
        log.info("%s: cib version %s from %s", self._node, self._replica.version, self._store.path)
        self.ref.tell(_Connect())

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, GroupMessage | GroupView):
            if self._link is None:  # the link's first views can come before _Linked
                self._early.append(message)
            else:
                self._group_event(message)
            return None
        if isinstance(message, GetConfig):
            return CibConfig(self._replica.version, self._replica.xml)
        if isinstance(message, ApplyChange):
            request_id = next(self._ids)
            handle = self.defer_reply()
            if handle is not None:
                self._requests[request_id] = handle
            self._perform(self._replica.handle(LocalChange(request_id, message.change)))
            return None
        if isinstance(message, Subscribe):
            if message.watcher not in self._subscribers:
                self._subscribers.add(message.watcher)
                message.watcher.watch(self.ref)  # forgotten when it dies
            message.watcher.tell(ConfigChanged(self._replica.version, self._replica.xml))
            return None
        if isinstance(message, Unsubscribe):
            self._subscribers.discard(message.watcher)
            message.watcher.unwatch(self.ref)
            return None
        if isinstance(message, _Connect):
            threading.Thread(target=self._join, name=f"{self._node}-cib-join", daemon=True).start()
            return None
        if isinstance(message, _Linked):
            self._linked(message)
            return None
        if isinstance(message, _LinkLost):
            raise RuntimeError(f"cib lost its group link: {message.reason}")
        if isinstance(message, DeathNotice):
            self._subscribers = {w for w in self._subscribers if str(w.address) != message.address}
            return None
        return super().on_receive(message)

    def _join(self) -> None:
        """Off the actor's thread: joining waits for the executive, GetConfig must not."""
        try:
            link = GroupLink(CIB_GROUP, self.ref, config=self._config_path)
        except Exception as exc:  # noqa: BLE001 - the executive is not serving yet: try again
            # EXIST: an earlier attempt's join went through after all (it timed out here) and
            # holds this pid's seat: only a new process (a new pid) can join again.
            stuck = isinstance(exc, AisError) and exc.code == AisErrorCode.EXIST
            self.ref.tell(_Linked(None, f"{type(exc).__name__}: {exc}", stuck))
            return
        self.ref.tell(_Linked(link))
        self._watch_link(link)

    def _watch_link(self, link: GroupLink) -> None:
        """Still off the actor's thread: a link whose executive went away (restarted, and no
        longer knows us) delivers nothing more, silently; notice it and crash, so that the
        supervisor restarts the process and it joins the new executive."""
        me = CpgMember(link.node_id, link.pid)
        seen = False
        while not self._stopping.wait(LINK_CHECK):
            try:
                members = link.client.membership_get(CIB_GROUP)
            except AisError as exc:
                if self._stopping.is_set():
                    return
                self.ref.tell(_LinkLost(f"{exc}"))
                return
            if me in members:
                seen = True
            elif seen:
                self.ref.tell(_LinkLost(f"{me} is no longer a member of {CIB_GROUP}"))
                return

    def _linked(self, linked: _Linked) -> None:
        self._attempts += 1
        if linked.link is None:
            if linked.stuck:
                raise RuntimeError(f"cib cannot join {CIB_GROUP}: {linked.error}")
            if self._attempts % 20 == 1:
                log.warning("%s: cib cannot join %s yet: %s", self._node, CIB_GROUP, linked.error)
            if self.host is not None:
                self.host.timers.schedule(CONNECT_RETRY, self.ref, _Connect())
            return
        self._link = linked.link
        self._perform(self._replica.handle(Seat(CpgMember(self._link.node_id, self._link.pid))))
        log.info("%s: cib joined %s", self._node, CIB_GROUP)
        early, self._early = self._early, []
        for message in early:
            self._group_event(message)

    def _group_event(self, message: GroupMessage | GroupView) -> None:
        if isinstance(message, GroupMessage):
            try:  # sent by an authenticated member of the cluster, but maybe not a CIB
                message = replace(message, data=pickle.loads(message.data))
            except Exception as exc:  # noqa: BLE001 - not ours: ignored, as by every replica
                log.warning(
                    "%s: cib ignores a message from node %s: %s", self._node, message.nodeid, exc
                )
                return
        self._perform(self._replica.handle(message))

    def _perform(self, effects: list) -> None:
        for effect in effects:
            if isinstance(effect, Multicast):
                assert self._link is not None
                # Opaque bytes to the executive, as CPG payloads are: it need not import ours.
                guarantee = "safe" if effect.safe else "agreed"
                self._link.mcast(pickle.dumps(effect.payload), guarantee)  # AisError: crash
            elif isinstance(effect, Answer):
                self._answer(effect)
            elif isinstance(effect, Persist):
                self._store.save(effect.xml)
            elif isinstance(effect, Notify):
                log.info("%s: cib now at version %s", self._node, effect.version)
                for watcher in list(self._subscribers):
                    watcher.tell(ConfigChanged(effect.version, effect.xml))

    def _answer(self, answer: Answer) -> None:
        handle = self._requests.pop(answer.request_id, None)
        if handle is None:
            return
        result = answer.result
        if isinstance(result, Applied):
            handle.set(ChangeApplied(result.version, result.report))
            return
        error = CibTryAgain(result.reason) if result.retry else CibError(result.reason)
        handle.set_exception((type(error), error, None))

    def on_stop(self) -> None:
        self._stopping.set()
        if self._link is not None:
            self._link.close()
