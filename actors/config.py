"""The node configuration file (TOML): the cluster, this node, every node's address.

    [cluster]
    name = "alpha"
    authkey = "/etc/ringleader/authkey"
    transport = "tcp"            # tcp (CURVE-encrypted) or ipc (one machine only)

    [node]
    name = "node1"
    state_dir = "/var/lib/ringleader/node1"
    user = "hacluster"           # optional; default hacluster if it exists, else nobody

    [[nodes]]
    id = 1
    name = "node1"
    host = "127.0.0.1"
    port = 7400                  # base port: process i of the node listens on port + i

    [processes]                  # optional extra actor processes: name = "module:Class"
    worker = "mypkg.worker:Worker"

    [totem]                      # optional: totem timeouts (seconds) and limits
    token = 0.5

    [quorum]                     # optional: votequorum settings (votes: 1 per [[nodes]] entry)
    expected_votes = 3
    two_node = false

    [agents]                     # optional: where the privileged child finds agents
    ocf_root = "/usr/lib/ocf"
    lsb_dir = "/etc/init.d"
    fence_dirs = ["/usr/sbin"]   # searched in order (ringleader's own fence agents last)

Every mistake is reported once, naming the file and the key.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from actors.errors import UserError

TRANSPORTS = ("tcp", "ipc")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class BuiltinProcess:
    """A process every node runs. Its main actor is built with the node configuration's path;
    `privileged` keeps root (only the privileged child may); the others drop to the node's user."""

    name: str
    target: str  # "module:Class"
    privileged: bool = False


BUILTIN_PROCESSES: tuple[BuiltinProcess, ...] = (
    BuiltinProcess("executive", "actors.ais.executive.process:Executive"),
    BuiltinProcess("privileged", "actors.privileged.process:PrivilegedChild", privileged=True),
    BuiltinProcess("lrm", "actors.crm.lrm.process:LrmProcess"),
    BuiltinProcess("fencer", "fencing.process:FencerProcess"),
    BuiltinProcess("crm", "actors.crm.process:CrmProcess"),
)
"""Started in this order, after the supervisor and before the configured [processes] (the
executive first: everything else talks to the cluster through it). Add a component here, at
the end, so no process's port offset moves."""
LOCAL_ONLY = frozenset(p.name for p in BUILTIN_PROCESSES if p.privileged)
"""Reachable only through ipc in the node's 0700 run dir, whatever the cluster transport."""
BUILTIN_NAMES = frozenset(p.name for p in BUILTIN_PROCESSES) | {
    "executive",
    "privileged",
    "lrm",
    "fencer",
    "crm",
}  # reserved, also before each is built


@dataclass(frozen=True)
class NodeEntry:
    id: int
    name: str
    host: str = "127.0.0.1"
    port: int = 7400


@dataclass(frozen=True)
class NodeConfig:
    path: Path
    cluster: str
    authkey: Path
    transport: str
    node: str
    state_dir: Path
    nodes: tuple[NodeEntry, ...]
    processes: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    totem: dict = field(default_factory=dict)
    quorum: dict = field(default_factory=dict)
    agents: dict = field(default_factory=dict)

    @property
    def me(self) -> NodeEntry:
        return next(n for n in self.nodes if n.name == self.node)

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "supervisor.pid"

    def process_names(self) -> list[str]:
        """Process order fixes each process's port offset: the supervisor is 0, the configured
        processes follow, then the built-in ones every node runs (`BUILTIN_PROCESSES`)."""
        return ["supervisor", *self.processes, *(p.name for p in BUILTIN_PROCESSES)]

    def totem_config(self):
        """The [totem] table as a TotemConfig (checked when the file was loaded)."""
        from actors.ais.totem.config import TotemConfig

        return TotemConfig(**self.totem)

    def quorum_config(self):
        """The [quorum] table as a QuorumConfig: one vote per listed node unless overridden."""
        from actors.ais.quorum.config import QuorumConfig

        return QuorumConfig(nodes={n.id: 1 for n in self.nodes}, **self.quorum)

    def agent_dirs(self):
        """The [agents] table as AgentDirs (its fence dir the first of `fence_dirs`)."""
        from actors.agents.spec import AgentDirs

        dirs = AgentDirs()
        return AgentDirs(
            ocf_root=Path(self.agents.get("ocf_root", dirs.ocf_root)),
            lsb_dir=Path(self.agents.get("lsb_dir", dirs.lsb_dir)),
            fence_dir=self.fence_dirs()[0],
        )

    def fence_dirs(self) -> tuple[Path, ...]:
        """Where fence agents are looked for, in order ([agents] fence_dirs)."""
        from actors.agents.spec import AgentDirs

        return tuple(Path(d) for d in self.agents.get("fence_dirs", (AgentDirs().fence_dir,)))

    def endpoint(self, node: str, process: str) -> str:
        entry = next(n for n in self.nodes if n.name == node)
        index = self.process_names().index(process)
        if self.transport == "tcp" and process not in LOCAL_ONLY:
            return f"tcp://{entry.host}:{entry.port + index}"
        run = self.run_dir if node == self.node else self.state_dir.parent / node / "run"
        return f"ipc://{run}/{process}.sock"

    def peers(self) -> dict[str, str]:
        return {
            f"{n.name}/{p}": self.endpoint(n.name, p)
            for n in self.nodes
            for p in self.process_names()
        }


def load_config(path: str | Path) -> NodeConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_config(raw, path)


def parse_config(raw: dict, path: Path) -> NodeConfig:
    def fail(key: str, why: str):
        raise UserError(f"{path}: {key}: {why}")

    def table(name: str) -> dict:
        value = raw.get(name)
        if not isinstance(value, dict):
            fail(f"[{name}]", "missing table" if value is None else "must be a table")
        return value

    def string(tbl: dict, tname: str, key: str, default: str | None = None) -> str:
        value = tbl.get(key, default)
        if value is None:
            fail(f"{tname}.{key}", "missing")
        if not isinstance(value, str) or not value:
            fail(f"{tname}.{key}", f"must be a non-empty string, not {value!r}")
        return value

    known = {"cluster", "node", "nodes", "processes", "totem", "quorum", "agents"}
    for key in raw:
        if key not in known:
            fail(key, f"unknown section (expected one of {', '.join(sorted(known))})")
    cluster, node = table("cluster"), table("node")
    _no_unknown(cluster, {"name", "authkey", "transport"}, "cluster", fail)
    _no_unknown(node, {"name", "state_dir", "user"}, "node", fail)
    transport = string(cluster, "cluster", "transport", "tcp")
    if transport not in TRANSPORTS:
        fail("cluster.transport", f"{transport!r} is not one of {', '.join(TRANSPORTS)}")
    nodes_raw = raw.get("nodes")
    if not isinstance(nodes_raw, list) or not nodes_raw:
        fail("[[nodes]]", "at least one node must be listed")
    nodes: list[NodeEntry] = []
    for i, entry in enumerate(nodes_raw):
        where = f"nodes[{i}]"
        if not isinstance(entry, dict):
            fail(where, "must be a table")
        _no_unknown(entry, {"id", "name", "host", "port"}, where, fail)
        node_id = entry.get("id")
        if not isinstance(node_id, int) or isinstance(node_id, bool) or node_id < 1:
            fail(f"{where}.id", f"must be a positive integer, not {node_id!r}")
        name = string(entry, where, "name")
        if not _NAME.match(name):
            fail(f"{where}.name", f"{name!r} may use letters, digits, '_', '.', '-' only")
        port = entry.get("port", 7400)
        if not isinstance(port, int) or not 1 <= port <= 65000:
            fail(f"{where}.port", f"must be a port number, not {port!r}")
        nodes.append(NodeEntry(node_id, name, string(entry, where, "host", "127.0.0.1"), port))
    for attr in ("id", "name"):
        values = [getattr(n, attr) for n in nodes]
        dup = {v for v in values if values.count(v) > 1}
        if dup:
            fail(f"nodes.{attr}", f"duplicate {', '.join(map(str, sorted(dup)))}")
    me = string(node, "node", "name")
    if me not in {n.name for n in nodes}:
        fail(
            "node.name", f"{me!r} is not one of the [[nodes]] ({', '.join(n.name for n in nodes)})"
        )
    processes = raw.get("processes", {})
    if not isinstance(processes, dict):
        fail("[processes]", 'must be a table of name = "module:Class"')
    for pname, target in processes.items():
        if not _NAME.match(pname) or pname == "supervisor" or pname in BUILTIN_NAMES:
            fail(f"processes.{pname}", "not a usable process name")
        if not isinstance(target, str) or ":" not in target:
            fail(f"processes.{pname}", f'must be "module:Class", not {target!r}')
    totem = _optional_table(raw, "totem", _TOTEM_KEYS, fail)
    quorum = _optional_table(raw, "quorum", _QUORUM_KEYS, fail)
    base = path.parent
    agents = _agents_table(raw, base, fail)
    config = NodeConfig(
        path=path,
        cluster=string(cluster, "cluster", "name"),
        authkey=(base / string(cluster, "cluster", "authkey")).resolve(),
        transport=transport,
        node=me,
        state_dir=(base / string(node, "node", "state_dir")).resolve(),
        nodes=tuple(nodes),
        processes=dict(processes),
        user=node.get("user"),
        totem=totem,
        quorum=quorum,
        agents=agents,
    )
    for name, build in (("totem", config.totem_config), ("quorum", config.quorum_config)):
        try:
            build()
        except UserError as exc:
            fail(f"[{name}]", str(exc))
        except TypeError as exc:
            fail(f"[{name}]", f"bad value: {exc}")
    return config


_TOTEM_KEYS = {
    "token": float,
    "token_retransmit": float,
    "hold": float,
    "join": float,
    "consensus": float,
    "merge": float,
    "fail_recv": int,
    "window": int,
    "max_frames": int,
    "max_outstanding": int,
    "pack": int,
}
_QUORUM_KEYS = {
    "expected_votes": int,
    "two_node": bool,
    "wait_for_all": bool,
    "last_man_standing": bool,
    "last_man_standing_window": float,
    "auto_tie_breaker": bool,
    "auto_tie_breaker_node": (str, list),
}


def _optional_table(raw: dict, name: str, keys: dict, fail) -> dict:
    """An optional table of known keys with values of the right type."""
    tbl = raw.get(name, {})
    if not isinstance(tbl, dict):
        fail(f"[{name}]", "must be a table")
    out = {}
    for key, value in tbl.items():
        want = keys.get(key)
        if want is None:
            fail(f"{name}.{key}", f"unknown key (expected one of {', '.join(sorted(keys))})")
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if want is float
            else isinstance(value, want) and (want is bool or not isinstance(value, bool))
        )
        if not ok:
            fail(f"{name}.{key}", f"wrong type: {value!r}")
        if key == "auto_tie_breaker_node" and isinstance(value, list):
            value = tuple(value)
        out[key] = float(value) if want is float else value
    return out


def _agents_table(raw: dict, base: Path, fail) -> dict:
    """[agents]: ocf_root and lsb_dir (paths), fence_dirs (a list of paths), relative paths
    taken from the configuration file's directory."""
    tbl = raw.get("agents", {})
    if not isinstance(tbl, dict):
        fail("[agents]", "must be a table")
    _no_unknown(tbl, {"ocf_root", "lsb_dir", "fence_dirs"}, "agents", fail)
    out: dict = {}
    for key in ("ocf_root", "lsb_dir"):
        if key in tbl:
            value = tbl[key]
            if not isinstance(value, str) or not value:
                fail(f"agents.{key}", f"must be a directory path, not {value!r}")
            out[key] = str((base / value).resolve())
    if "fence_dirs" in tbl:
        value = tbl["fence_dirs"]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(d, str) and d for d in value)
        ):
            fail("agents.fence_dirs", f"must be a non-empty list of directory paths, not {value!r}")
        out["fence_dirs"] = tuple(str((base / d).resolve()) for d in value)
    return out


def _no_unknown(tbl: dict, allowed: set[str], where: str, fail) -> None:
    for key in tbl:
        if key not in allowed:
            fail(f"{where}.{key}", f"unknown key (expected one of {', '.join(sorted(allowed))})")


def import_actor(target: str, where: str) -> type:
    module_name, _, class_name = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise UserError(f"{where}: cannot load {target!r}: {exc}") from None
