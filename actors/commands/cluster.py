"""`ringleader cluster up|down --dir DIR`: a whole local cluster (N nodes on this machine).

`up` writes one authkey and N node configurations in DIR (state dirs under it, free ports),
starts the N node supervisors as daemons (logs in DIR/nodeI/log) and returns once the totem ring
has formed at every node, asking each executive. `down` stops them all and waits until no
process of theirs is left. Tests, the examples and `bench evs` use the functions here too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from actors.config import NodeConfig, load_config
from actors.errors import UserError
from actors.runtime.procfs import descendants, pid_alive

AUTHKEY = "authkey"
PROCESSES_PER_NODE = 8  # supervisor and the built-in processes (port offsets 0 ..), with room


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cluster", help="start or stop a whole local cluster")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="write configs for N local nodes, start them, wait")
    up.add_argument("--nodes", type=int, default=3, help="how many nodes (default 3)")
    up.add_argument("--dir", required=True, help="where configs, authkey, state and logs go")
    up.add_argument("--transport", choices=("ipc", "tcp"), default="ipc")
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the ring")
    up.set_defaults(func=_up)
    down = actions.add_parser("down", help="stop every node of the cluster in DIR")
    down.add_argument("--dir", required=True)
    down.set_defaults(func=_down)


def _up(args: argparse.Namespace) -> int:
    configs = cluster_up(Path(args.dir), args.nodes, args.transport, timeout=args.timeout)
    views = ring_views(configs)
    ring = next(iter(views.values()))
    print(f"cluster up: {len(configs)} nodes, ring {ring.ring_id} members {list(ring.members)}")
    for path in configs:
        print(f"  {path}")
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = cluster_down(Path(args.dir))
    print(f"cluster down: {stopped} node(s) stopped")
    return 0


# ---- building blocks ---------------------------------------------------------------------------


def node_config_paths(directory: Path) -> list[Path]:
    return sorted(directory.glob("node*.toml"), key=lambda p: int(p.stem[4:] or 0))


def free_port_block(n: int, taken: set[int] | frozenset[int] = frozenset()) -> int:
    """A base port with the `n` ports from it free on 127.0.0.1 now (every one is tried: the
    block lies in the ephemeral range, where outgoing connections take ports too)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        ports = range(base, base + n)
        if base + n >= 65000 or taken & set(ports):
            continue
        try:
            for port in ports[1:]:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise UserError("cluster up: found no free block of ports on 127.0.0.1")


def write_cluster(
    directory: Path, nodes: int, transport: str = "ipc", extra: str = ""
) -> list[Path]:
    """Write DIR/authkey and DIR/node1.toml .. nodeN.toml; state dirs DIR/node1 ...; `extra` is
    appended to every config (e.g. a [totem] table)."""
    from transport.authkey import write_authkey

    if nodes < 1:
        raise UserError(f"cluster up: --nodes must be at least 1, not {nodes}")
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if node_config_paths(directory):
        raise UserError(f"{directory}: already holds a cluster (run `cluster down` first)")
    if os.geteuid() == 0:  # the nodes' unprivileged user must reach its state dir (a parent
        os.chmod(directory, directory.stat().st_mode | 0o001)  # it cannot reach: the node says)
    key = directory / AUTHKEY
    if not key.exists():
        write_authkey(key)
    taken: set[int] = set()
    entries = []
    for i in range(1, nodes + 1):
        port = 7400 + 10 * i
        if transport == "tcp":
            port = free_port_block(PROCESSES_PER_NODE, taken)
            taken.update(range(port, port + PROCESSES_PER_NODE))
        entries.append(
            f'[[nodes]]\nid = {i}\nname = "node{i}"\nhost = "127.0.0.1"\nport = {port}\n'
        )
    paths = []
    for i in range(1, nodes + 1):
        state = directory / f"node{i}"
        state.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chmod(state, 0o755)
        text = (
            f'[cluster]\nname = "local"\nauthkey = "{AUTHKEY}"\ntransport = "{transport}"\n\n'
            f'[node]\nname = "node{i}"\nstate_dir = "node{i}"\n\n' + "\n".join(entries) + extra
        )
        path = directory / f"node{i}.toml"
        path.write_text(text)
        paths.append(path)
    return paths


def start_node(path: Path) -> None:
    """Start one node supervisor as a daemon (its log: <state_dir>/log/supervisor.log)."""
    # `ringleader node start --daemon`, without loading every other command of the CLI
    code = (
        "import argparse, logging, sys; from actors.commands.node import _start; "
        "logging.basicConfig(level=logging.WARNING); "
        "sys.exit(_start(argparse.Namespace(config=sys.argv[1], daemon=True)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise UserError(f"{path}: node start failed: {done.stderr.strip() or done.returncode}")


def ring_views(configs: list[Path], timeout: float = 2.0) -> dict:
    """Ask every node's executive for its ring view; a node that does not answer is left out."""
    from actors.ais.executive.links import totem_address
    from actors.ais.executive.messages import GetRing
    from actors.node_client import command_host
    from actors.runtime.errors import ActorUnreachable
    from actors.runtime.ref import resolve

    loaded = [load_config(p) for p in configs]
    views = {}
    with command_host(loaded[0]) as host:
        futures = {
            cfg.node: resolve(totem_address(cfg.node), host=host).ask(GetRing(), timeout=timeout)
            for cfg in loaded
        }
        for node, future in futures.items():
            try:
                views[node] = future.get()
            except ActorUnreachable:
                pass
    return views


def wait_for_ring(
    configs: list[Path], members: tuple[int, ...] | None = None, timeout: float = 60.0
) -> dict:
    """Wait until every node in `configs` is operational in one ring with `members` (default:
    all of them); returns the views. Raises UserError naming the nodes still outside."""
    loaded = [load_config(p) for p in configs]
    want = members or tuple(sorted(c.me.id for c in loaded))
    deadline = time.monotonic() + timeout
    views: dict = {}
    while True:
        views = ring_views(configs)
        rings = {v.ring_id for v in views.values()}
        if (
            len(views) == len(loaded)
            and len(rings) == 1
            and all(v.operational and v.members == want for v in views.values())
        ):
            return views
        if time.monotonic() > deadline:
            state = {c.node: views.get(c.node) for c in loaded}
            raise UserError(f"ring {list(want)} not formed within {timeout:g} s: {state}")
        time.sleep(0.2)


def cluster_up(
    directory: Path, nodes: int, transport: str = "ipc", timeout: float = 60.0, extra: str = ""
) -> list[Path]:
    paths = write_cluster(directory, nodes, transport, extra)
    try:
        for path in paths:
            start_node(path)
        wait_for_ring(paths, timeout=timeout)
    except BaseException:
        cluster_down(directory)
        raise
    return paths


@contextlib.contextmanager
def temporary_cluster(
    nodes: int, prefix: str = "rl-cluster-", transport: str = "ipc", announce: bool = False
) -> Iterator[list[Path]]:
    """A local cluster in a new temporary directory, for examples and benchmarks: yields its
    node configs once the ring has formed; stopped and removed on leaving, even on error."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if announce:
            print(f"starting a local {nodes}-node cluster in {directory}", flush=True)
        yield cluster_up(directory, nodes, transport)
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


def cluster_down(directory: Path, timeout: float = 30.0) -> int:
    """Stop every node of the cluster in `directory`; returns how many were running."""
    from actors.node import read_pid, stop_node

    configs: list[NodeConfig] = [load_config(p) for p in node_config_paths(directory)]
    supervisors = [pid for pid in (read_pid(c) for c in configs) if pid]
    everyone = set(supervisors).union(*(descendants(pid) for pid in supervisors))
    stopped = sum(1 for c in configs if stop_node(c, timeout=timeout))
    deadline = time.monotonic() + timeout
    for pid in everyone:  # the children die with their supervisor (PR_SET_PDEATHSIG)
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    return stopped
