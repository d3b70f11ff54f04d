"""One agent operation, from request to `OpResult`: the OCF, LSB and fence-agent conventions.

This is the whole job of the privileged child: it receives `RunAgent` from its node's LRM or
fencer, finds the agent inside the configured directories (never a command line), calls it the
way its standard wants (OCF: `agent ACTION` with OCF_* variables; LSB: `script ACTION`, monitor
being `status`; fence agents: `key=value` lines on stdin), and answers `AgentRan`.
A missing agent is OCF_ERR_INSTALLED with status NOT_INSTALLED, never an exception.
"""

from __future__ import annotations

import errno
import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from actors.agents import runner
from actors.agents.environment import fence_stdin, ocf_env
from actors.agents.lsb import lsb_metadata_xml
from actors.agents.metadata import AgentMetadata, MetadataCache, parse_metadata
from actors.agents.results import ExecStatus, OcfResult, OpResult, lsb_to_ocf
from actors.agents.spec import AgentDirs, AgentNotFound, AgentSpec, Standard
from actors.errors import UserError

_ACTION = re.compile(r"[a-z][a-z0-9_-]*\Z")
EXIT_REASON_PREFIX = b"ocf-exit-reason:"


@dataclass(frozen=True)
class RunAgent:
    """Request to the privileged child: run `action` of `spec` for `resource`.

    `resource` is OCF_RESOURCE_INSTANCE (the fencer passes the device id); `params` are the
    instance parameters (OCF_RESKEY_* or, for fence agents, stdin lines); `meta` are meta
    attributes (OCF_RESKEY_CRM_meta_*), interval and timeout being added from the fields.
    """

    call_id: int
    spec: AgentSpec
    action: str
    resource: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    interval_ms: int = 0
    timeout_ms: int = 20000


@dataclass(frozen=True)
class AgentRan:
    """Answer of the privileged child to `RunAgent` with the same `call_id`."""

    call_id: int
    result: OpResult


@dataclass(frozen=True)
class ExecLimits:
    """How the privileged child bounds every run (kill grace after SIGTERM, output kept)."""

    kill_grace: float = runner.DEFAULT_KILL_GRACE
    output_limit: int = runner.DEFAULT_OUTPUT_LIMIT


def exit_reason(stderr: bytes) -> str:
    """The last `ocf-exit-reason:` line an OCF agent printed, as Pacemaker reports it."""
    reason = ""
    for line in stderr.splitlines():
        if line.startswith(EXIT_REASON_PREFIX):
            reason = line[len(EXIT_REASON_PREFIX) :].decode(errors="replace").strip()
    return reason


def _invocation(
    req: RunAgent, path: str, dirs: AgentDirs, limits: ExecLimits, node_env: Mapping[str, str]
):
    common = dict(
        timeout=req.timeout_ms / 1000.0,
        kill_grace=limits.kill_grace,
        output_limit=limits.output_limit,
    )
    spec = req.spec
    if spec.standard is Standard.OCF:
        env = dict(node_env)  # the OCF variables below win over it
        env.update(
            ocf_env(
                spec,
                dirs.ocf_root,
                req.resource,
                req.params,
                req.meta,
                req.interval_ms,
                req.timeout_ms,
            )
        )
        return runner.Invocation((path, req.action), env=env, **common)
    if spec.standard is Standard.LSB:
        action = "status" if req.action == "monitor" else req.action
        return runner.Invocation((path, action), **common)
    action = "metadata" if req.action == "meta-data" else req.action
    return runner.Invocation((path,), stdin=fence_stdin(action, req.params), **common)


def _failed(rc: OcfResult, status: ExecStatus, reason: str, **kw) -> OpResult:
    return OpResult(rc=rc, status=status, exit_reason=reason, **kw)


def execute(
    req: RunAgent,
    dirs: AgentDirs,
    limits: ExecLimits = ExecLimits(),
    on_start: Callable[[int], None] | None = None,
    node_env: Mapping[str, str] | None = None,
) -> OpResult:
    """Run `req` to completion (blocking; safe to call from many threads at once).
    `on_start(pgid)`: see `runner.run`; `node_env`: see `begin`."""
    begun = begin(req, dirs, limits, node_env)
    if isinstance(begun, OpResult):
        return begun
    begun.announce(on_start)
    return finish(req, begun)


def begin(
    req: RunAgent,
    dirs: AgentDirs,
    limits: ExecLimits = ExecLimits(),
    node_env: Mapping[str, str] | None = None,
):
    """The first half of `execute`: check `req`, find its agent and launch it. Returns the
    `runner.Started` run to `finish`, or the `OpResult` when nothing could be started.
    `node_env`: variables an OCF agent gets from the node it runs for (where Pacemaker's tools
    are, `pacemaker_tools.tools_env`), never from the request."""
    if not _ACTION.match(req.action):
        return _failed(
            OcfResult.OCF_ERR_UNIMPLEMENTED, ExecStatus.INVALID, f"bad action {req.action!r}"
        )
    try:
        path = str(dirs.resolve(req.spec))
    except AgentNotFound as exc:
        return _failed(OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED, str(exc))
    except UserError as exc:
        return _failed(OcfResult.OCF_ERR_INSTALLED, ExecStatus.INVALID, str(exc))
    try:
        begun = runner.start(_invocation(req, path, dirs, limits, node_env or {}))
    except ValueError as exc:
        return _failed(OcfResult.OCF_ERR_CONFIGURED, ExecStatus.INVALID, str(exc))
    return _result(req, begun) if isinstance(begun, runner.Outcome) else begun


def finish(req: RunAgent, begun: runner.Started) -> OpResult:
    """The second half of `execute`: wait for the agent `begin` launched (blocking)."""
    return _result(req, begun.finish())


def _result(req: RunAgent, out: runner.Outcome) -> OpResult:
    kept = dict(
        exit_code=out.exit_code,
        signal=out.signal,
        exec_ms=int(out.exec_seconds * 1000),
        stdout=out.stdout,
        stderr=out.stderr,
        stdout_dropped=out.stdout_dropped,
        stderr_dropped=out.stderr_dropped,
    )
    if out.spawn_error:
        if out.spawn_errno == errno.ENOENT:
            return _failed(
                OcfResult.OCF_ERR_INSTALLED, ExecStatus.NOT_INSTALLED, out.spawn_error, **kept
            )
        return _failed(OcfResult.OCF_ERR_PERM, ExecStatus.ERROR, out.spawn_error, **kept)
    if out.timed_out:
        reason = f"{req.spec} {req.action} timed out after {req.timeout_ms}ms"
        return _failed(OcfResult.OCF_ERR_GENERIC, ExecStatus.TIMEOUT, reason, **kept)
    if out.signal is not None:
        reason = f"{req.spec} {req.action} killed by {signal.Signals(out.signal).name}"
        return _failed(OcfResult.OCF_ERR_GENERIC, ExecStatus.ERROR, reason, **kept)
    if req.spec.standard is Standard.LSB:
        rc = lsb_to_ocf(req.action, out.exit_code)
    else:
        rc = OcfResult.from_exit(out.exit_code)
    return OpResult(rc=rc, status=ExecStatus.DONE, exit_reason=exit_reason(out.stderr), **kept)


def fetch_metadata(spec: AgentSpec, dirs: AgentDirs, timeout_ms: int = 30000) -> str:
    """The agent's meta-data XML; UserError (naming the agent) when it cannot be had."""
    if spec.standard is Standard.LSB:
        path = dirs.resolve(spec)
        return lsb_metadata_xml(spec.type, path.read_text(errors="replace"))
    result = execute(RunAgent(0, spec, "meta-data", timeout_ms=timeout_ms), dirs)
    if not result.ok:
        if result.status is ExecStatus.NOT_INSTALLED:
            raise AgentNotFound(result.exit_reason)
        raise UserError(f"agent {spec}: meta-data failed: {result.describe()}")
    return result.stdout.decode(errors="replace")


def metadata_cache(dirs: AgentDirs) -> MetadataCache:
    """A cache that asks the agents in `dirs`, refreshed when an agent file changes."""

    def mtime(spec: AgentSpec) -> object:
        try:
            return os.stat(dirs.resolve(spec)).st_mtime_ns
        except (OSError, UserError):
            return None

    return MetadataCache(lambda spec: fetch_metadata(spec, dirs), mtime)


def show(spec: AgentSpec, dirs: AgentDirs) -> AgentMetadata:
    """Meta-data of one agent, uncached (for the CLI)."""
    return parse_metadata(fetch_metadata(spec, dirs), str(spec))
