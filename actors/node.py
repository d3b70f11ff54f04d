"""The node supervisor: starts this node's processes, restarts them when they die, stops them all.

It runs in the foreground (or as a daemon) until SIGTERM/SIGINT or `ringleader node stop`, and
leaves no process behind: every child dies with it (PR_SET_PDEATHSIG) and is stopped by it first.
Started as root, its children drop to the configured unprivileged user; started as anyone else,
everything runs as that user (a development cluster), and the log says so.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from actors.config import BUILTIN_PROCESSES, NodeConfig, import_actor
from actors.errors import UserError
from actors.runtime.actor import Actor, DeathNotice
from actors.runtime.host import ProcessHost
from actors.runtime.privileges import default_user
from actors.runtime.process import HostConfig, spawn_process
from actors.runtime.procfs import pid_alive
from actors.runtime.ref import spawn
from actors.runtime.supervision import ChildSpec, GetChildren, Supervisor
from transport.authkey import AuthkeyError, ClusterKeys, read_authkey

log = logging.getLogger("ringleader.node")

MAIN_ACTOR = "main"
SUPERVISOR_ACTOR = "supervisor"


def read_pid(config: NodeConfig) -> int | None:
    """The pid of this node's running supervisor, or None (a stale pid file is ignored)."""
    try:
        pid = int(config.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return None if not pid_alive(pid) else pid  # a killed supervisor its parent has not reaped yet


class NodeSupervisor:
    def __init__(self, config: NodeConfig, *, max_restarts: int = 5, within: float = 30.0) -> None:
        self.config = config
        self.max_restarts = max_restarts
        self.within = within
        self._stop = threading.Event()
        self._reason = "stopped"

    def _prepare_dirs(self, user: str | None) -> None:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        cfg.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(cfg.run_dir, 0o700)
        if user and os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(cfg.run_dir, entry.pw_uid, entry.pw_gid)
            from fencing.store import FencingStore

            FencingStore(cfg.state_dir).hand_to(user)  # the fencer (the node's user) writes it
            os.chown(cfg.state_dir, entry.pw_uid, entry.pw_gid)  # cib.xml: written as user
            for parent in cfg.run_dir.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001 and parent.stat().st_uid != entry.pw_uid:
                    raise UserError(
                        f"{cfg.path}: node.state_dir: {cfg.state_dir} cannot be reached by user "
                        f"{user}, whom the node's processes run as: {parent} is not searchable "
                        "by others (chmod o+x it, or pick another state_dir)"
                    )

    def _child_specs(self, base: HostConfig) -> list[ChildSpec]:
        config_path = str(self.config.path.resolve())
        specs = []
        for builtin in BUILTIN_PROCESSES:  # in order: the executive first
            actor_class = import_actor(builtin.target, f"built-in process {builtin.name}")
            child_config = base.for_process(
                builtin.name, self.config.endpoint(self.config.node, builtin.name)
            )
            if builtin.privileged:
                child_config = replace(child_config, user=None)  # keeps root

            def start_builtin(actor_class=actor_class, child_config=child_config):
                return spawn_process(actor_class, config_path, name=MAIN_ACTOR, config=child_config)

            specs.append(ChildSpec(builtin.name, start_builtin))
        for pname, target in self.config.processes.items():
            actor_class = import_actor(target, f"{self.config.path}: processes.{pname}")
            child_config = base.for_process(pname, self.config.endpoint(self.config.node, pname))

            def start(actor_class=actor_class, child_config=child_config):
                return spawn_process(actor_class, name=MAIN_ACTOR, config=child_config)

            specs.append(ChildSpec(pname, start))
        return specs

    def run(self) -> int:
        cfg = self.config
        running = read_pid(cfg)
        if running is not None and running != os.getpid():
            raise UserError(f"{cfg.path}: node {cfg.node} is already running (pid {running})")
        try:
            authkey = read_authkey(cfg.authkey)
        except AuthkeyError as exc:
            raise UserError(f"{cfg.path}: cluster.authkey: {exc}") from None
        root = os.geteuid() == 0
        user = (cfg.user or default_user()) if root else None
        if root:
            log.warning("node %s: supervisor runs as root; children run as %s", cfg.node, user)
        else:
            import pwd

            me = pwd.getpwuid(os.geteuid()).pw_name
            log.warning(
                "node %s: not root, everything runs as %s (development cluster)", cfg.node, me
            )
        self._prepare_dirs(user)
        cfg.pid_file.write_text(f"{os.getpid()}\n")
        keys = ClusterKeys.from_authkey(authkey)
        host = ProcessHost(
            node=cfg.node,
            process="supervisor",
            endpoint=cfg.endpoint(cfg.node, "supervisor"),
            keys=keys,
            peers=cfg.peers(),
        )
        base = HostConfig(
            node=cfg.node,
            process="",
            endpoint="",
            authkey=authkey,
            peers=cfg.peers(),
            log_level=logging.getLogger().level,
            user=user,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stop.set())
        try:
            specs = self._child_specs(base)
            supervisor = spawn(
                Supervisor,
                specs,
                name=SUPERVISOR_ACTOR,
                max_restarts=self.max_restarts,
                within=self.within,
            )
            watcher = spawn(_Watcher, self, name="watcher")
            supervisor.watch(watcher)
            log.warning("node %s: up with %d process(es)", cfg.node, len(specs))
            while not self._stop.is_set():
                self._stop.wait(0.5)
            supervisor.stop(timeout=30)
        finally:
            host.close()
            try:
                if cfg.pid_file.read_text().strip() == str(os.getpid()):
                    cfg.pid_file.unlink()
            except FileNotFoundError:
                pass
        log.warning("node %s: down (%s)", cfg.node, self._reason)
        return 0 if self._reason == "stopped" else 1

    def escalate(self, reason: str) -> None:
        self._reason = reason
        self._stop.set()


class _Watcher(Actor):
    """Turns the supervisor's death notice into the node's exit."""

    def __init__(self, node: NodeSupervisor) -> None:
        super().__init__()
        self._node = node

    def on_receive(self, message):
        if isinstance(message, DeathNotice) and not message.normal:
            log.error("node supervisor gave up: %s", message.reason)
            self._node.escalate(message.reason)


def daemonize(log_file: Path) -> None:
    """Classic double fork; the daemon's output goes to `log_file`."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)


def stop_node(config: NodeConfig, timeout: float = 30.0) -> bool:
    """SIGTERM the node's supervisor and wait for it to go. False if it was not running."""
    pid = read_pid(config)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)  # its children die with it (PR_SET_PDEATHSIG)
    return True


def node_status(config: NodeConfig, timeout: float = 30.0) -> dict:
    """Ask the running supervisor for its children (it answers between starting them, which
    takes seconds on a loaded machine: hence the long default)."""
    from actors.node_client import command_host
    from actors.runtime.ref import resolve

    with command_host(config) as host:
        ref = resolve(f"{config.node}/supervisor/{SUPERVISOR_ACTOR}", host=host)
        return ref.ask(GetChildren(), timeout=timeout).get()
