"""The privileged child's `agents` actor: runs agents as root for its node's LRM and fencer only.

A request is served only when the frame it came in names this node's `lrm` or `fencer` process
as its sender (`Actor.sender`: the header is covered by the frame's HMAC, and the child listens
only on ipc in the node's 0700 run dir); anyone else gets a failed `AgentRan` saying why, and
the refusal is logged. Agents are found only inside the configured directories
(`AgentDirs`: a request names an agent, never a command line). Runs happen on `AgentService`
threads, so the actor is never blocked by an agent. Two ways in:

- `ask(RunAgent)`: the actor defers the reply and sends it from its own thread when the run
  ends (`actors.privileged.client.run_via_child`, used by the fencer);
- `tell(Submit(RunAgent, reply_to))`: the service thread tells the `AgentRan` straight to
  `reply_to` (the LRM: no thread of its own waits, and one hop less each way).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pykka

from actors.agents.execute import AgentRan, ExecLimits, RunAgent
from actors.agents.ledger import RunLedger
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.agents.service import AgentService
from actors.agents.spec import AgentDirs, AgentNotFound, Standard
from actors.errors import UserError
from actors.privileged import ALLOWED_PROCESSES
from actors.privileged.client import lost
from actors.privileged.identity import ChildIdentity, Identify
from actors.runtime.actor import Actor
from fencing.agents import AgentLocator  # ringleader's own fence agents come last

log = logging.getLogger("ringleader.privileged")


def refusal(
    sender: str | None, node: str, allowed: tuple[str, ...] = ALLOWED_PROCESSES
) -> str | None:
    """Why a request from `sender` ("node/process/name", None from inside this process) is
    refused, or None when it is served."""
    if sender is None:
        return "request from inside the privileged child (only the LRM and fencer are served)"
    parts = sender.split("/")
    if len(parts) != 3:
        return f"sender {sender!r} is not node/process/name"
    if parts[0] != node:
        return f"sender {sender} is not on node {node}"
    if parts[1] not in allowed:
        return f"sender {sender} is not this node's {' or '.join(allowed)}"
    return None


@dataclass(frozen=True)
class Submit:
    """Tell: run `run`, then tell its `AgentRan` to `reply_to` (a Ref)."""

    run: RunAgent
    reply_to: Any


@dataclass(frozen=True)
class _Finished:
    """A run ended (told by a service thread): answer its deferred ask from the actor thread."""

    reply: Any
    ran: AgentRan


class AgentsActor(Actor):
    def __init__(
        self,
        node: str,
        dirs: AgentDirs,
        fence_dirs: tuple[Path, ...] = (),
        allowed: tuple[str, ...] = ALLOWED_PROCESSES,
        limits: ExecLimits | None = None,
        ledger_dir: Path | None = None,
        node_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.node = node
        self._ledger = RunLedger(ledger_dir) if ledger_dir is not None else None
        self._node_env = dict(node_env or {})  # OCF agents' way back to the node (crm_attribute)
        self.allowed = tuple(allowed)
        self.dirs = dirs
        self.limits = limits
        self._locator = AgentLocator(tuple(fence_dirs) or (dirs.fence_dir,))
        self._services: dict[AgentDirs, AgentService] = {}
        self._stopping = False
        self.refused = 0

    def on_start(self) -> None:
        if self._ledger is not None:
            self._ledger.prepare()  # a predecessor's agents end before we serve anyone

    def on_receive(self, message: Any) -> Any:
        match message:
            case RunAgent():
                refused = self._refused(message)
                if refused is not None:
                    return refused
                reply = self.defer_reply()
                me = self.actor_ref
                self._submit(message, lambda ran: _tell(me, _Finished(reply, ran)))
                return None
            case Submit(run, reply_to):
                refused = self._refused(run)
                if refused is not None:
                    reply_to.tell(refused)
                else:
                    self._submit(run, lambda ran: reply_to.tell(self._unless_stopping(ran, run)))
                return None
            case _Finished(reply, ran):
                if reply is not None:
                    reply.set(ran)
                return None
            case Identify():
                why = refusal(self.sender, self.node, self.allowed)
                if why is not None:
                    raise PermissionError(f"refused: {why}")
                return ChildIdentity.of(os.getpid())
        return super().on_receive(message)

    def _unless_stopping(self, ran: AgentRan, req: RunAgent) -> AgentRan:
        """A run cut short because the child stops is NOT_CONNECTED, as if it had died (told
        from the service thread, through its own channel)."""
        return lost(req, "privileged child stopped during the operation") if self._stopping else ran

    def _refused(self, req: RunAgent) -> AgentRan | None:
        why = refusal(self.sender, self.node, self.allowed)
        if why is None:
            return None
        self.refused += 1
        log.warning("refused %s %s: %s", req.spec, req.action, why)
        return AgentRan(
            req.call_id, OpResult(OcfResult.OCF_ERR_PERM, ExecStatus.ERROR, f"refused: {why}")
        )

    def _submit(self, req: RunAgent, done: Callable[[AgentRan], None]) -> None:
        dirs = self.dirs
        if req.spec.standard is Standard.STONITH:
            try:
                dirs = replace(dirs, fence_dir=self._locator.dirs_for(req.spec.type).fence_dir)
            except AgentNotFound as exc:
                done(AgentRan(req.call_id, _not_installed(exc)))
                return
            except UserError:
                pass  # a bad name: `execute` answers it, naming the problem
        service = self._services.get(dirs)
        if service is None:
            service = self._services[dirs] = AgentService(
                dirs, self.limits, ledger=self._ledger, node_env=self._node_env
            )
        service.submit(req, done)

    def on_stop(self) -> None:
        """No agent outlives the child: running groups are killed (their runs NOT_CONNECTED)."""
        self._stopping = True
        for service in self._services.values():
            service.stop(wait=True)


def _tell(ref: pykka.ActorRef, message: Any) -> None:
    try:
        ref.tell(message)
    except pykka.ActorDeadError:
        pass  # stopping: the asker sees the child go


def _not_installed(exc: Exception) -> OpResult:
    return OpResult(OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED, str(exc))
