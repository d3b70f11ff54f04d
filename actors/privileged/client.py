"""How the LRM and the fencer run an agent: `run_via_child(child, req) -> AgentRan`.

Blocking (call it from a worker thread, never from an actor's own thread). Whatever happens to
the child, the answer is an `AgentRan` for `req.call_id`, and never a success the agent did not
give: a lost or unreachable child is OCF_ERR_GENERIC / NOT_CONNECTED, any other failure of the
ask OCF_ERR_GENERIC / ERROR.
"""

from __future__ import annotations

from collections.abc import Callable

import pykka

from actors.agents.execute import AgentRan, RunAgent
from actors.agents.results import ExecStatus, OcfResult, OpResult
from actors.agents.runner import DEFAULT_KILL_GRACE
from actors.runtime.errors import ActorUnreachable
from actors.runtime.ref import Ref

ASK_GRACE = DEFAULT_KILL_GRACE + 5.0
"""Seconds an answer may take beyond the agent's timeout: the child's SIGTERM-to-SIGKILL grace
plus the trip there and back."""
_CHECK = 0.2  # seconds between looks at `connected` while waiting


def lost(req: RunAgent, why: str) -> AgentRan:
    """The answer for a run whose child went away: failed, NOT_CONNECTED."""
    return AgentRan(req.call_id, OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.NOT_CONNECTED, why))


def run_via_child(
    child: Ref,
    req: RunAgent,
    *,
    grace: float = ASK_GRACE,
    connected: Callable[[], bool] | None = None,
) -> AgentRan:
    """Ask the privileged child (`resolve(agents_address(node))`) to run `req`; wait at most
    the agent's timeout plus `grace`. `connected()`, looked at while waiting (see
    `ChildWatch.connected`), returning False ends the wait at once as NOT_CONNECTED."""
    future = child.ask(req, timeout=req.timeout_ms / 1000.0 + grace)
    try:
        while True:
            try:
                ran = future.get(timeout=None if connected is None else _CHECK)
                break
            except pykka.Timeout:
                if not connected():  # type: ignore[misc]
                    return lost(req, "privileged child lost during the operation")
    except ActorUnreachable as exc:
        return lost(req, f"privileged child unreachable: {exc}")
    except Exception as exc:  # noqa: BLE001 - an odd answer is a failure, never a success
        why = f"privileged child failed: {type(exc).__name__}: {exc}"
        return AgentRan(req.call_id, OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR, why))
    if not isinstance(ran, AgentRan) or ran.call_id != req.call_id:
        why = f"privileged child answered {type(ran).__name__}, not AgentRan({req.call_id})"
        return AgentRan(req.call_id, OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR, why))
    return ran
