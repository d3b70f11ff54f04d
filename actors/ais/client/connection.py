"""One connection of an application process to its node's executive (what libcpg's handle is).

Every process that uses the client library gets one small ProcessHost of its own (an ipc socket
in a private directory, in the node's run dir when it may write there) and one `mailbox` actor
in it, where the executive sends replies and callbacks. Each handle (`CpgClient`, ...) is a
`Connection`: it says `Hello` with its pid (so the executive notices when the process dies),
sends each call as a `Request` tell and waits for its `Replied`; callbacks queue up until the
application calls `dispatch`.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import queue
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from actors.ais.errors import AisError, AisErrorCode
from actors.ais.executive.links import EXECUTIVE_PROCESS, totem_address
from actors.ais.executive.messages import Finalize, Hello, Notified, Replied, Request
from actors.ais.executive.totem_actor import MAILBOX
from actors.errors import UserError
from actors.runtime.actor import Actor
from actors.runtime.host import ProcessHost
from actors.runtime.procfs import pid_alive
from actors.runtime.ref import resolve, spawn
from transport.authkey import AuthkeyError, ClusterKeys, read_authkey

log = logging.getLogger("ringleader.ais.client")

CONFIG_ENV = "RINGLEADER_CONFIG"
DEFAULT_TIMEOUT = 30.0

_lock = threading.Lock()
_runtimes: dict[tuple, _Runtime] = {}
_conn_numbers = itertools.count(1)
_runtime_numbers = itertools.count(1)


class _Mailbox(Actor):
    """Where the executive's answers land; hands each to the connection it is for."""

    use_daemon_thread = True  # an application that forgets finalize still exits

    def __init__(self, runtime: _Runtime) -> None:
        super().__init__()
        self._runtime = runtime

    def on_receive(self, message):
        conn = self._runtime.connections.get(getattr(message, "conn", None))
        if conn is None:
            return None
        if type(message) is Replied:
            conn._replied(message)
        elif type(message) is Notified:
            conn._notified(message)
        return None


class _Runtime:
    """The per-process host and mailbox shared by every connection to one executive."""

    def __init__(
        self, node: str, endpoint: str, authkey: bytes | ClusterKeys, run_dir: str | None
    ) -> None:
        self.node = node
        self._dir = _private_dir(run_dir)
        self.process = f"client-{os.getpid()}-{next(_runtime_numbers)}"
        self.endpoint = f"ipc://{self._dir}/c"
        self.host = ProcessHost(
            node=node,
            process=self.process,
            endpoint=self.endpoint,
            keys=authkey if isinstance(authkey, ClusterKeys) else ClusterKeys.from_authkey(authkey),
            peers={f"{node}/{EXECUTIVE_PROCESS}": endpoint},
            make_current=False,
        )
        self.connections: dict[str, Connection] = {}
        self.mailbox = spawn(_Mailbox, self, name=MAILBOX, on_host=self.host)
        self._let_executive_in(run_dir)
        self.executive = resolve(totem_address(node), host=self.host)
        self.pid = os.getpid()

    def _let_executive_in(self, run_dir: str | None) -> None:
        """Started as root, the executive runs as an unprivileged user that must be able to
        connect to our socket: hand the directory and socket to the owner of its run dir."""
        if os.geteuid() != 0 or run_dir is None:
            return
        try:
            owner = os.stat(run_dir)
        except OSError:
            return
        if owner.st_uid == 0:
            return
        for path in (Path(self._dir), *Path(self._dir).iterdir()):
            os.chown(path, owner.st_uid, owner.st_gid)

    def close(self) -> None:
        self.host.close()
        shutil.rmtree(self._dir, ignore_errors=True)


_DIR_PREFIX = "rl-client-"
_SUN_PATH_MAX = 100  # an ipc socket's path must fit in sockaddr_un (107 bytes), with its suffix


def _private_dir(run_dir: str | None) -> str:
    """A 0700 directory for this process's socket: in the node's run dir when we may write
    there (it goes with the node's state), else in the temporary dir. Named for our pid so
    that those of processes killed before they could clean up are swept by the next one."""
    prefix = f"{_DIR_PREFIX}{os.getpid()}-"
    for parent in (run_dir, None):
        where = parent or tempfile.gettempdir()
        if len(where) + len(prefix) + 20 > _SUN_PATH_MAX:
            continue
        _sweep(where)
        try:
            return tempfile.mkdtemp(prefix=prefix, dir=where)
        except OSError:
            continue
    return tempfile.mkdtemp(prefix=prefix)


def _sweep(parent: str) -> None:
    """Remove the private dirs of dead client processes (only those we are allowed to)."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(_DIR_PREFIX):
            continue
        pid = entry.name[len(_DIR_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _runtime_for(where: Location) -> _Runtime:
    key = (where.node, where.endpoint, where.authkey)
    with _lock:
        runtime = _runtimes.get(key)
        if runtime is None or runtime.pid != os.getpid() or runtime.host.closed:
            runtime = _runtimes[key] = _Runtime(*key, where.run_dir)
        return runtime


def _release(runtime: _Runtime) -> None:
    """The last connection of a runtime is gone: close its host (no thread left behind)."""
    with _lock:
        if runtime.connections:
            return
        for key, known in list(_runtimes.items()):
            if known is runtime:
                del _runtimes[key]
    if runtime.pid == os.getpid() and not runtime.host.closed:
        runtime.close()


def _close_all() -> None:
    with _lock:
        runtimes = list(_runtimes.values())
        _runtimes.clear()
    for runtime in runtimes:
        if runtime.pid != os.getpid():
            continue
        for conn in list(runtime.connections.values()):
            conn.finalize()
        runtime.close()


# Before the interpreter waits for non-daemon threads (the host's actors), not after.
getattr(threading, "_register_atexit", atexit.register)(_close_all)


@dataclass(frozen=True)
class Location:
    """Where a node's executive is: its node name, endpoint, the cluster authkey, and the run
    dir whose owner the executive runs as (None: unknown)."""

    node: str
    endpoint: str
    authkey: bytes | ClusterKeys = field(repr=False)  # keys: from a node process's own host
    run_dir: str | None = None


def locate(
    config: str | Path | None = None,
    endpoint: str | None = None,
    node: str | None = None,
    authkey: str | Path | None = None,
) -> Location:
    """Find the executive from a node config file (argument, else $RINGLEADER_CONFIG) or from
    an explicit endpoint with its node name and authkey file."""
    run_dir = None
    if endpoint is None:
        config = config or os.environ.get(CONFIG_ENV)
        if config is None:
            raise UserError(
                f"cluster client: give a node config (or set ${CONFIG_ENV}) or an endpoint"
            )
        from actors.config import load_config

        cfg = load_config(config)
        node = node or cfg.node
        if node not in {n.name for n in cfg.nodes}:
            raise UserError(f"{cfg.path}: node {node!r} is not one of the [[nodes]]")
        endpoint = cfg.endpoint(node, EXECUTIVE_PROCESS)
        authkey = authkey or cfg.authkey
        if node == cfg.node:
            run_dir = str(cfg.run_dir)
    elif endpoint.startswith("ipc://"):
        run_dir = str(Path(endpoint[len("ipc://") :]).parent)
    if node is None or authkey is None:
        raise UserError("cluster client: an explicit endpoint needs node= and authkey=")
    try:
        key: bytes | ClusterKeys = read_authkey(authkey)
    except AuthkeyError as exc:
        raise UserError(str(exc)) from None
    except PermissionError:  # a node's own process runs as the node's user: its host's keys
        key = _own_host_keys(node)
        if key is None:
            raise UserError(f"{authkey}: cannot read the authkey (permission denied)") from None
    return Location(node, endpoint, key, run_dir)


def _own_host_keys(node: str) -> ClusterKeys | None:
    """The keys of this process's host when it is one of `node`'s processes (which got the
    cluster key from its supervisor and cannot read the root-only authkey file)."""
    from actors.runtime import host as host_module

    host = host_module._current  # noqa: SLF001
    if host is None or host.closed or host.node != node:
        return None
    return host.keys


class Connection:
    """A handle on one service of the local executive: blocking calls, queued callbacks."""

    def __init__(
        self,
        service: str,
        *,
        config: str | Path | None = None,
        endpoint: str | None = None,
        node: str | None = None,
        authkey: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.service = service
        self.timeout = timeout
        self._runtime = _runtime_for(locate(config, endpoint, node, authkey))
        self.name = f"{self._runtime.host.process_key}#{next(_conn_numbers)}"
        self._ids = itertools.count(1)
        self._waiting: dict[int, list] = {}
        self._unanswered: dict[int, object] = {}
        self._answered = threading.Condition()
        self.rejected: list[tuple[object, AisError]] = []
        """Requests sent with `send` that the service refused, with why (resend or give up)."""
        self._callbacks: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._dispatcher: threading.Thread | None = None
        self.handler = None
        """Called as `handler(payload, cause)` for each callback by `dispatch`."""
        self._runtime.connections[self.name] = self
        rt = self._runtime
        rt.executive.tell(Hello(self.name, os.getpid(), rt.mailbox, rt.endpoint))

    # ---- calls --------------------------------------------------------------------------------

    def call(self, op: object, timeout: float | None = None) -> object:
        """Send one request and wait for its answer; an AisError answer is raised."""
        if self._closed:
            raise self._finalized()
        request_id = next(self._ids)
        slot: list = [threading.Event(), None]
        self._waiting[request_id] = slot
        try:
            if self._closed:  # finalized from another thread since the check above
                raise self._finalized()
            rt = self._runtime
            rt.executive.tell(Request(self.name, request_id, self.service, op, rt.endpoint))
            wait = self.timeout if timeout is None else timeout
            if not slot[0].wait(wait):
                raise AisError(
                    AisErrorCode.TIMEOUT,
                    f"{self.service}: no answer from the executive of "
                    f"{self._runtime.node} within {wait:g} s",
                )
        finally:
            self._waiting.pop(request_id, None)
        result = slot[1]
        if isinstance(result, AisError):
            raise result
        return result

    def send(self, op: object) -> int:
        """Send one request without waiting (pipelining); a refusal lands in `rejected`.
        `settle()` waits for the answers. Returns the request id."""
        if self._closed:
            raise self._finalized()
        request_id = next(self._ids)
        self._unanswered[request_id] = op
        rt = self._runtime
        rt.executive.tell(Request(self.name, request_id, self.service, op, rt.endpoint))
        return request_id

    @property
    def unanswered(self) -> int:
        return len(self._unanswered)

    def settle(self, at_most: int = 0, timeout: float | None = None) -> bool:
        """Wait until at most `at_most` requests sent with `send` are unanswered; False if
        `timeout` (default: the connection's) passed first."""
        with self._answered:
            return self._answered.wait_for(
                lambda: len(self._unanswered) <= at_most,
                self.timeout if timeout is None else timeout,
            )

    def _replied(self, message: Replied) -> None:
        slot = self._waiting.get(message.request_id)
        if slot is not None:
            slot[1] = message.result
            slot[0].set()
            return
        op = self._unanswered.get(message.request_id)
        if op is None:
            return
        if isinstance(message.result, AisError):
            self.rejected.append((op, message.result))
        with self._answered:
            del self._unanswered[message.request_id]
            self._answered.notify_all()

    def _notified(self, message: Notified) -> None:
        self._callbacks.put(message)

    # ---- callbacks ----------------------------------------------------------------------------

    def dispatch(self, timeout: float | None = 0.0) -> int:
        """Run the handler for every queued callback; wait up to `timeout` seconds for the
        first one (None: until one comes). Returns how many were dispatched."""
        try:
            first = self._callbacks.get(timeout=timeout) if timeout != 0 else None
        except queue.Empty:
            return 0
        count = 0
        message = first
        while True:
            if message is None:
                try:
                    message = self._callbacks.get_nowait()
                except queue.Empty:
                    return count
            if self.handler is not None:
                self.handler(message.payload, message.cause)
            count += 1
            message = None

    def start_dispatch_thread(self) -> threading.Thread:
        """Dispatch callbacks from a daemon thread until `finalize`."""

        def run() -> None:
            while not self._closed:
                try:
                    self.dispatch(0.2)
                except AisError as exc:  # the application's thread goes on; it is told why
                    if not self._closed:
                        log.warning("%s: a callback failed: %s", self.name, exc)

        self._dispatcher = threading.Thread(target=run, name=f"{self.name}-dispatch", daemon=True)
        self._dispatcher.start()
        return self._dispatcher

    # ---- life ---------------------------------------------------------------------------------

    def _finalized(self) -> AisError:
        return AisError(AisErrorCode.BAD_HANDLE, f"{self.service}: connection finalized")

    def finalize(self) -> None:
        """Close the connection (the services see ClientGone: a CPG member leaves)."""
        if self._closed:
            return
        self._closed = True
        gone = self._finalized()
        for slot in list(self._waiting.values()):  # a call in flight ends now, not at its timeout
            slot[1] = gone
            slot[0].set()
        rt = self._runtime
        rt.connections.pop(self.name, None)
        if not rt.host.closed:
            rt.executive.tell(Finalize(self.name))
        if self._dispatcher is not None and self._dispatcher is not threading.current_thread():
            self._dispatcher.join(1.0)
        _release(rt)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.finalize()
