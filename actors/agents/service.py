"""The agent-running service of the privileged child: `RunAgent` in, `AgentRan` out, on threads.

The privileged child's actor owns one `AgentService`: it hands every authenticated `RunAgent`
from its node's LRM or fencer to `submit`, which runs it on a thread pool and calls `reply` with
the `AgentRan` (from a pool thread: the actor must only enqueue it). `stop()` kills the process
groups of agents still running, so stopping the child leaves no agent behind.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping

from actors.agents import runner
from actors.agents.execute import AgentRan, ExecLimits, RunAgent, begin, finish
from actors.agents.ledger import RunLedger
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.agents.spec import AgentDirs


class AgentService:
    def __init__(
        self,
        dirs: AgentDirs | None = None,
        limits: ExecLimits | None = None,
        max_workers: int = 16,
        ledger: RunLedger | None = None,
        node_env: Mapping[str, str] | None = None,
    ) -> None:
        self._node_env = dict(node_env or {})  # see `execute.begin`
        self.dirs = dirs or AgentDirs()
        self._ledger = ledger  # running groups on disk, for a child that replaces this one
        self.limits = limits or ExecLimits()
        self._pool = runner.RunnerPool(max_workers)
        self._lock = threading.Lock()
        self._running: dict[int, tuple[RunAgent, int | None]] = {}  # token -> (req, pgid)
        self._tokens = itertools.count()
        self._stopped = False

    def submit(self, req: RunAgent, reply: Callable[[AgentRan], None]) -> None:
        """Run `req`; `reply(AgentRan)` exactly once, with the request's call id (call ids are
        the caller's: the LRM's and the fencer's may overlap).

        The agent is launched here, on the caller's thread, and only waited for on a pool
        thread: handing the launch to the pool would put a thread wake-up before every run."""
        with self._lock:
            stopped = self._stopped
            token = next(self._tokens)
            if not stopped:
                self._running[token] = (req, None)
        if stopped:
            why = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.NOT_CONNECTED, "service stopped")
            reply(AgentRan(req.call_id, why))
            return
        try:
            begun = begin(req, self.dirs, self.limits, self._node_env)
        except Exception as exc:  # a bug here must still answer, as a failure
            begun = _failure(exc)
        if isinstance(begun, OpResult):
            with self._lock:
                self._running.pop(token, None)
            reply(AgentRan(req.call_id, begun))
            return
        with self._lock:
            self._running[token] = (req, begun.pgid)
            stopped = self._stopped
        if stopped:
            runner.kill_group(begun.pgid)
        self._pool.submit_call(self._finish, token, req, begun, reply)

    def running(self) -> list[RunAgent]:
        """The requests being run now."""
        with self._lock:
            return [req for req, _ in self._running.values()]

    def _finish(
        self, token: int, req: RunAgent, begun: runner.Started, reply: Callable[[AgentRan], None]
    ) -> None:
        if self._ledger is not None:
            self._ledger.add(begun.pgid)
        try:
            result = finish(req, begun)
        except Exception as exc:  # a bug here must still answer, as a failure
            result = _failure(exc)
        finally:
            with self._lock:
                self._running.pop(token, None)
            if self._ledger is not None:
                self._ledger.remove(begun.pgid)  # before the reply: a started daemon stays
        reply(AgentRan(req.call_id, result))

    def stop(self, wait: bool = True) -> None:
        """Refuse new requests, SIGKILL the groups of running agents, wait for their replies."""
        with self._lock:
            self._stopped = True
            pgids = [pgid for _, pgid in self._running.values() if pgid is not None]
        for pgid in pgids:
            runner.kill_group(pgid)
        self._pool.shutdown(wait=wait)


def _failure(exc: Exception) -> OpResult:
    return OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR, f"executor: {exc!r}")
