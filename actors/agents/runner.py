"""Run one agent process: own process group, clean environment, bounded output, hard timeout.

Rules, each for a reason:

- The agent starts a new session (`setsid`), so at timeout SIGTERM and then SIGKILL reach the
  agent *and* everything it forked that stayed in its group: no agent outlives its timeout.
- When the agent exits in time, its group is left alone: daemons it started on purpose (start
  action) keep running. We stop reading as soon as the agent itself has exited, even if a forked
  child still holds stdout open, so such a child can never make an operation hang.
- The environment is exactly a fixed PATH plus the variables the caller gives (OCF_*, ...):
  nothing of ours leaks into an agent run as root.
- stdout and stderr keep their first `output_limit` bytes each; the rest is read (so the agent
  never blocks on a full pipe) and only counted.

`run(invocation)` is synchronous and keeps no shared state, so any number of threads may call it
at once; `RunnerPool` is the thread-pool wrapper the privileged child uses.
"""

from __future__ import annotations

import errno
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_OUTPUT_LIMIT = 256 * 1024
DEFAULT_KILL_GRACE = 5.0
_CHUNK = 65536
_POLL = 0.01  # only without pidfd_open, or while waiting for a killed group to empty
_DRAIN_LIMIT = 4 * 1024 * 1024  # after exit, read at most this much more per stream


@dataclass(frozen=True)
class Invocation:
    """One process to run. `argv[0]` is the resolved executable (never looked up in PATH)."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: bytes = b""
    timeout: float = 20.0
    kill_grace: float = DEFAULT_KILL_GRACE
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    cwd: str = "/"


@dataclass(frozen=True)
class Outcome:
    """What happened to the process. `exit_code` is None when it was killed by a signal or
    never started (`spawn_error` says why)."""

    exit_code: int | None
    signal: int | None
    timed_out: bool
    exec_seconds: float
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_dropped: int = 0
    stderr_dropped: int = 0
    spawn_error: str = ""
    spawn_errno: int | None = None


def clean_env(env: Mapping[str, str]) -> dict[str, str]:
    """The fixed PATH plus `env`; refuses names and values execve cannot carry."""
    out = {"PATH": SAFE_PATH}
    for name, value in env.items():
        if not name or "=" in name or "\0" in name or "\0" in value:
            raise ValueError(f"environment variable {name!r}: not a valid name=value")
        if name != "PATH":
            out[name] = value
    return out


class _Capture:
    """The head of one output stream, and a count of what did not fit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.limit - len(self.head)
        if room > 0:
            self.head += data[:room]
        self.dropped += max(0, len(data) - max(room, 0))


def _signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a member changed user; it still exists
    return True


def run(inv: Invocation, on_start: Callable[[int], None] | None = None) -> Outcome:
    """Run `inv` to completion or timeout (see the module docstring for the rules).

    `on_start(pgid)` is called once the process exists (its group id equals its pid), so a
    caller can kill the group from another thread (`kill_group`) when it must give up early."""
    begun = start(inv)
    if isinstance(begun, Outcome):
        return begun
    begun.announce(on_start)
    return begun.finish()


class Started:
    """A process `start` launched: `finish()` supervises it to its end (on any thread, once).

    Split from `run` so that a caller may launch on one thread, where the request arrived, and
    wait on another: the launch is then not delayed by a hand-off to the waiting thread."""

    def __init__(self, proc: subprocess.Popen, inv: Invocation, started: float) -> None:
        self.proc = proc
        self.inv = inv
        self.started = started

    @property
    def pgid(self) -> int:
        return self.proc.pid  # setsid made the agent its group's leader

    def announce(self, on_start: Callable[[int], None] | None) -> None:
        """Tell `on_start` the group id (see `run`); if it fails, the pipes are closed."""
        if on_start is None:
            return
        try:
            on_start(self.pgid)
        except BaseException:
            self.close()
            raise

    def finish(self) -> Outcome:
        try:
            return _supervise(self.proc, self.inv, self.started)
        finally:
            self.close()

    def close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


def start(inv: Invocation) -> Started | Outcome:
    """Launch `inv` (own session, clean environment, piped output); an `Outcome` with
    `spawn_error` when it could not be started. ValueError for an environment execve refuses."""
    env = clean_env(inv.env)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(inv.argv),
            stdin=subprocess.PIPE if inv.stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=inv.cwd,
            close_fds=True,
            start_new_session=True,
        )
    except OSError as exc:
        elapsed = time.monotonic() - started
        return Outcome(None, None, False, elapsed, spawn_error=str(exc), spawn_errno=exc.errno)
    return Started(proc, inv, started)


def _supervise(proc: subprocess.Popen, inv: Invocation, started: float) -> Outcome:
    pgid = proc.pid  # setsid made the agent its group's leader
    captures = {proc.stdout.fileno(): _Capture(inv.output_limit)}
    captures[proc.stderr.fileno()] = _Capture(inv.output_limit)
    sel = selectors.DefaultSelector()
    for fd in captures:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    pending_stdin = memoryview(inv.stdin)
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
        sel.register(pidfd, selectors.EVENT_READ)
    except (AttributeError, OSError):
        pidfd = None

    deadline = started + inv.timeout
    kill_at: float | None = None  # set once SIGTERM went out
    killed = False
    try:
        while proc.poll() is None:
            now = time.monotonic()
            if kill_at is None and now >= deadline:
                _signal_group(pgid, signal.SIGTERM)
                kill_at = now + inv.kill_grace
            elif kill_at is not None and now >= kill_at and not killed:
                _signal_group(pgid, signal.SIGKILL)
                killed = True
            if kill_at is None:
                wait = deadline - now
            else:
                wait = 3600.0 if killed else kill_at - now
            wait = max(0.0, wait)
            if pidfd is None:
                wait = min(wait, _POLL)
            for key, _ in sel.select(wait):
                fd = key.fd
                if fd == pidfd:
                    continue  # the loop condition reaps it
                if fd in captures:
                    if not _read_some(fd, captures[fd]):
                        sel.unregister(fd)
                else:
                    pending_stdin = _write_some(fd, pending_stdin, sel, proc)
        exec_seconds = time.monotonic() - started
        for fd, capture in captures.items():
            _drain(fd, capture)
        timed_out = kill_at is not None
        if timed_out:
            _finish_group(pgid, kill_at)
    finally:
        sel.close()
        if pidfd is not None:
            os.close(pidfd)

    code = proc.returncode
    out, err = captures[proc.stdout.fileno()], captures[proc.stderr.fileno()]
    return Outcome(
        exit_code=code if code >= 0 else None,
        signal=-code if code < 0 else None,
        timed_out=timed_out,
        exec_seconds=exec_seconds,
        stdout=bytes(out.head),
        stderr=bytes(err.head),
        stdout_dropped=out.dropped,
        stderr_dropped=err.dropped,
    )


def _read_some(fd: int, capture: _Capture) -> bool:
    """Read what is there; False at end of file."""
    try:
        data = os.read(fd, _CHUNK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    if not data:
        return False
    capture.add(data)
    return True


def _write_some(fd, pending: memoryview, sel, proc: subprocess.Popen) -> memoryview:
    """Feed stdin without blocking; close it when all is written or the agent stopped reading."""
    try:
        pending = pending[os.write(fd, pending) :]
    except BlockingIOError:
        return pending
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.EBADF):
            raise
        pending = pending[:0]
    if not pending:
        sel.unregister(fd)
        proc.stdin.close()
    return pending


def _drain(fd: int, capture: _Capture) -> None:
    """Take what the agent wrote before it exited; a forked child that keeps the pipe open
    and keeps writing is cut off after a bounded amount."""
    taken = 0
    while taken < _DRAIN_LIMIT:
        try:
            data = os.read(fd, _CHUNK)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        capture.add(data)
        taken += len(data)


def kill_group(pgid: int) -> None:
    """SIGKILL a running agent's whole group (an agent still running when its runner stops)."""
    _signal_group(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """Some member of the group still runs. Zombies do not count: an init that does not reap
    orphans (common in containers) would otherwise make every timeout wait its full grace."""
    if not _signal_group(pgid, 0):
        return False
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def _finish_group(pgid: int, kill_at: float) -> None:
    """After a timeout: let the group's survivors die of SIGTERM until the grace ends, then
    SIGKILL whatever is left."""
    while time.monotonic() < kill_at and _group_alive(pgid):
        time.sleep(_POLL)
    _signal_group(pgid, signal.SIGKILL)


class RunnerPool:
    """`run` on a thread pool: `submit(invocation)` returns a Future of its Outcome."""

    def __init__(self, max_workers: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="agent")

    def submit(self, inv: Invocation) -> Future[Outcome]:
        return self._pool.submit(run, inv)

    def submit_call(self, fn, /, *args, **kwargs) -> Future:
        """Any blocking call that runs agents (such as `execute.execute`) on the pool."""
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def __enter__(self) -> RunnerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
