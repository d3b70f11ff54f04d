"""Actors in processes of their own: spawn context, the actor class shipped with cloudpickle.

The child builds its own ProcessHost from a HostConfig, starts the actor under its name and lives
as long as the actor does: exit code 0 when the actor stopped normally, 1 when it crashed. It is
killed with its parent (PR_SET_PDEATHSIG), so a dead supervisor leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import cloudpickle

from actors.runtime.address import ActorAddress
from transport.authkey import ClusterKeys

log = logging.getLogger("ringleader.runtime")

PR_SET_PDEATHSIG = 1
STOP_GRACE = 5.0


@dataclass(frozen=True)
class HostConfig:
    """What a child process needs to build its ProcessHost (the authkey travels over a pipe)."""

    node: str
    process: str
    endpoint: str
    authkey: bytes = field(repr=False)
    peers: dict[str, str] = field(default_factory=dict)
    ask_timeout: float = 10.0
    log_level: int = logging.WARNING
    user: str | None = None  # drop to this user after binding (when started as root)

    def for_process(self, process: str, endpoint: str) -> HostConfig:
        return replace(self, process=process, endpoint=endpoint)


def die_with_parent(parent: int) -> None:
    """SIGKILL us when the parent dies. Changing credentials clears this, so it is set again
    after dropping privileges; a parent that died before we got here is caught by the check
    (`parent` is the pid the parent gave us: read here, a dead parent's would already be 1's)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the supervisor's stop still cleans up
        return
    if os.getppid() != parent:
        os._exit(1)


def _child_main(blob: bytes, ready, parent: int) -> None:
    die_with_parent(parent)
    from actors.runtime.host import ProcessHost
    from actors.runtime.privileges import drop_privileges
    from actors.runtime.ref import spawn

    actor_class, args, kwargs, name, config = cloudpickle.loads(blob)
    logging.basicConfig(
        level=config.log_level,
        format=f"%(asctime)s {config.node}/{config.process} %(name)s %(levelname)s: %(message)s",
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        host = ProcessHost(
            node=config.node,
            process=config.process,
            endpoint=config.endpoint,
            keys=ClusterKeys.from_authkey(config.authkey),
            peers=config.peers,
            ask_timeout=config.ask_timeout,
        )
        if config.user:
            drop_privileges(config.user)
            die_with_parent(parent)
        ref = spawn(actor_class, *args, name=name, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which names the process
        try:
            ready.send(f"{type(exc).__name__}: {exc}")
        except OSError:
            pass
        sys.stderr.flush()
        os._exit(2)  # not sys.exit: the host's actor threads would keep the process alive
    try:
        ready.send("ok")
        ready.close()
    except OSError:  # the parent is gone (killed while we started): so are we, now
        os._exit(1)
    actor = host.local_actor(name)
    while not stopping.is_set() and not actor.actor_stopped.is_set():
        stopping.wait(0.2)
    crashed = actor._death_reason is not None  # noqa: SLF001
    try:
        if not actor.actor_stopped.is_set():
            ref.stop(timeout=STOP_GRACE)
        host.close()
    except Exception as exc:  # noqa: BLE001 - exit anyway: nothing may outlive a stop
        print(f"{config.node}/{config.process}: unclean stop: {exc}", file=sys.stderr)
    if crashed:
        print(
            f"{config.node}/{config.process}/{name} crashed: {actor._death_reason}", file=sys.stderr
        )  # noqa: SLF001
    os._exit(1 if crashed else 0)


class ProcessHandle:
    """A child process hosting one actor; `ref` reaches the actor from the parent."""

    def __init__(self, process, address: ActorAddress, ref) -> None:
        self.process = process
        self.address = address
        self.ref = ref

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)

    def kill(self) -> None:
        if self.process.is_alive():
            os.kill(self.process.pid, signal.SIGKILL)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM, then SIGKILL if it is still there after `grace` seconds."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(grace)
        if self.process.is_alive():
            self.kill()
            self.process.join(grace)


class SpawnError(RuntimeError):
    pass


def spawn_process(
    actor_class: type,
    *args: Any,
    name: str,
    config: HostConfig,
    start_timeout: float = 30.0,
    **kwargs: Any,
) -> ProcessHandle:
    """Start `actor_class` in a new process (spawn context) as config.node/config.process/name."""
    from actors.runtime.ref import RemoteRef

    ctx = multiprocessing.get_context("spawn")
    parent_end, child_end = ctx.Pipe(duplex=False)
    blob = cloudpickle.dumps((actor_class, args, kwargs, name, config))
    process = ctx.Process(
        target=_child_main,
        args=(blob, child_end, os.getpid()),
        name=f"{config.node}/{config.process}",
    )
    process.start()
    child_end.close()
    address = ActorAddress(config.node, config.process, name)
    try:
        if parent_end.poll(start_timeout):
            status = parent_end.recv()
        else:  # not raised from here: the process is still running and must be killed below
            status = f"process did not report ready within {start_timeout:g} s"
    except EOFError:
        status = f"process exited with code {process.exitcode}"
    finally:
        parent_end.close()
    if status != "ok":
        process.join(1)
        if process.is_alive():
            process.kill()
            process.join(STOP_GRACE)
        raise SpawnError(f"{address}: {status}")
    from actors.runtime import host as host_module

    ref = None
    if host_module._current is not None:
        host_module._current.add_peer(f"{config.node}/{config.process}", config.endpoint)
        ref = RemoteRef(address, host_module._current)
    return ProcessHandle(process, address, ref)
