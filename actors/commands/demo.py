"""`ringleader demo [--keep] [--dir DIR]`: a whole 3-node cluster on this machine, failover shown.

A newcomer's first command, so every step is printed as the command a user would type
(`$ ringleader ...`) followed by what it printed, and runs through the same CLI code: start
three nodes on loopback (ipc), register the built-in fence agent, load Dummy resources (a
primitive and a group), show the status, SIGKILL a node, show it fenced and its resources moved,
start it again, tear everything down and check that no process is left behind. Ctrl-C (or
SIGTERM) tears down too.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import tempfile
import time
from pathlib import Path

from actors.commands import dummy_cluster as dummies
from actors.commands.cluster import start_node
from actors.commands.status import fetch, summary
from actors.errors import UserError

NODES = ("node1", "node2", "node3")
PRIMITIVES = ("db", "web-ip", "web-site")
"""Each runs on exactly one node."""
CLONED = "health"
"""An anonymous clone of a Dummy: one instance on every online node."""
EXAMPLES = ("ping_pong.py", "supervised_worker.py", "two_nodes_tcp.py", "cpg_chat.py")
WAIT = 120.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="a 3-node cluster on this machine: resources, a node killed, failover"
    )
    parser.add_argument("--dir", help="where the cluster lives (default: a new temporary dir)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running at the end")
    parser.set_defaults(func=run)


def resources(root: Path) -> str:
    """db alone, web-ip + web-site as group web, health cloned on every node."""
    db, ip, site, health = (
        dummies.dummy_primitive(r, root, NODES, monitor="10s") for r in (*PRIMITIVES, CLONED)
    )
    return f'{db}<group id="web">{ip}{site}</group><clone id="{CLONED}-clone">{health}</clone>'


class Demo:
    """The steps, printed as a shell session; each command runs through `actors.cli.main`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.node1 = str(root / "node1.toml")

    def say(self, *lines: str) -> None:
        print("", *(f"# {line}" for line in lines), sep="\n", flush=True)

    def ringleader(self, *argv: str) -> None:
        from actors.cli import main

        print(f"$ ringleader {' '.join(argv)}", flush=True)
        rc = main(list(argv))
        if rc == 130:  # the command was interrupted (Ctrl-C): so is the demo
            raise KeyboardInterrupt
        if rc != 0:
            raise UserError(f"demo: `ringleader {' '.join(argv)}` failed (see above)")

    def view(self) -> dict:
        return summary(fetch(self.node1))

    def settled(self, down: frozenset[str] = frozenset()) -> dict | None:
        """The DC's view once every resource runs where its agent says (one node each) and
        every node but `down` is online."""
        view = self.view()
        up = [n for n in NODES if n not in down]
        online = {n["name"] for n in view.get("nodes", []) if n["online"]}
        if not view.get("dc") or online != set(up):
            return None
        placed = {r["id"]: r["nodes"] for r in view.get("resources", [])}
        for rsc in PRIMITIVES:
            if len(placed.get(rsc, [])) != 1 or dummies.where(self.root, rsc, up) != placed[rsc]:
                return None
        if dummies.where(self.root, CLONED, up) != up:  # one instance on every online node
            return None
        return view

    def victim(self, view: dict) -> tuple[str, list[str]]:
        """The node to kill: not the DC (killing the DC works too, but then a new DC is elected
        first and the story is longer), the one running the most resources."""
        others = [n for n in NODES if n != view["dc"]]
        hosted = {
            n: [r for r in PRIMITIVES if dummies.where(self.root, r, NODES) == [n]] for n in others
        }
        node = max(others, key=lambda n: len(hosted[n]))
        return node, hosted[node]

    def play(self) -> None:
        root = self.root
        self.say(f"Three nodes on this machine, in {root}: ipc sockets, no network needed.")
        self.ringleader("cluster", "up", "--nodes", "3", "--dir", str(root), "--timeout", "120")

        self.say(
            "A fence device: fence_ringleader (built in) 'powers off' a local node by",
            "SIGKILLing its supervisor and every process below it.",
        )
        self.ringleader(
            "fence", "register", "local", "--agent", "fence_ringleader",
            "-o", f"state_root={root}", "--config", self.node1,
        )  # fmt: skip

        xml = root / "resources.xml"
        xml.write_text(dummies.configuration(resources(root)) + "\n")
        self.say(
            "Resources, all ocf:heartbeat:Dummy: db, group web (web-ip, then web-site), and",
            "health, cloned: an instance on every node. On",
            "real machines `ringleader resource create db ocf:heartbeat:Dummy` is all it takes;",
            "here the nodes share one /run, so resources.xml gives each Dummy its state file in",
            "the dir of the node running it (NODE/agents, by a rule on #uname; the demo wrote",
            "the file, `cat` it). Every node gets the configuration; the DC places the resources.",
        )
        dirs = " ".join(str(dummies.agents_dir(root, n)) for n in NODES)
        print(f"$ mkdir -m 0777 {dirs}", flush=True)
        dummies.prepare_agents_dirs(root, NODES)
        self.ringleader("config", "load", str(xml), "--config", self.node1)
        view = dummies.wait_for(self.settled, WAIT, "every resource started")
        self.ringleader("status", "--config", self.node1)

        node, hosted = self.victim(view)
        killed_at, pids = dummies.kill_node(root, node)
        self.say(
            f"Pull the plug on {node}: it runs {', '.join(hosted) or 'nothing'}"
            f" and is not the DC ({view['dc']}).",
            f"SIGKILL of its supervisor and its {len(pids) - 1} processes at once: nothing stops",
            "cleanly, nobody says goodbye. The others must notice, fence it, then recover.",
        )
        print(f"$ kill -KILL {' '.join(map(str, pids))}", flush=True)
        event = dummies.wait_for(
            lambda: dummies.fence_success(self.view(), node, killed_at - 1),
            WAIT,
            f"{node} fenced",
        )
        survivors = [n for n in NODES if n != node]

        def moved() -> bool:
            return all(len(dummies.where(root, r, survivors)) == 1 for r in hosted)

        dummies.wait_for(moved, WAIT, f"{node}'s resources started on the survivors")
        dummies.wait_for(lambda: self.settled(frozenset({node})), WAIT, "the cluster settled")
        self.ringleader("status", "--config", self.node1)
        self.ringleader("fence", "history", node, "--config", self.node1)
        lines = [f"{node} fenced {event['completed'] - killed_at:.2f} s after the SIGKILL."]
        for rsc in hosted:
            [there] = dummies.where(root, rsc, survivors)
            took = dummies.started_at(root, rsc, there) - killed_at
            lines.append(
                f"{rsc} started on {there} {took:.2f} s after it (its agent's state file)."
            )
        self.say(*lines)

        self.say(
            f"{node} was powered off: what it ran is gone (a reboot clears /run; here its",
            "agents' state files). Then start it again; it rejoins and takes its share.",
        )
        print(f"$ rm -f {dummies.agents_dir(root, node)}/*.state", flush=True)
        dummies.power_off(root, node)
        print(f"$ ringleader node start --config {root / node}.toml --daemon", flush=True)
        start_node(root / f"{node}.toml")
        dummies.wait_for(self.settled, WAIT, f"{node} back online")
        self.ringleader("status", "--config", self.node1)


def teardown(root: Path) -> None:
    """`cluster down`, then check that no supervisor and no process below one is still alive."""
    from actors.cli import main

    pids = dummies.cluster_pids(root, NODES)
    print(f"\n$ ringleader cluster down --dir {root}", flush=True)
    main(["cluster", "down", "--dir", str(root)])
    alive = dummies.left_alive(pids)
    if alive:
        raise UserError(f"demo: processes left behind: {alive}")
    print(f"# No process left behind: all {len(pids)} processes of the nodes are gone.")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM tears down as Ctrl-C does."""
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    made = args.dir is None
    root = Path(args.dir or tempfile.mkdtemp(prefix="ringleader-demo-")).resolve()
    outcome = "failed"
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: Ctrl-C still works
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        Demo(root).play()
        outcome = "done"
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    except TimeoutError as exc:
        raise UserError(f"demo: {exc}; the node logs are in {root}/NODE/log") from None
    finally:
        if outcome == "done" and args.keep:
            print(f"\n# The cluster keeps running. Stop it: ringleader cluster down --dir {root}")
        else:
            teardown(root)
            if made and outcome != "failed":
                shutil.rmtree(root, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(
        "# The actor examples run on their own: "
        + ", ".join(f"python examples/{e}" for e in EXAMPLES)
    )
    print(f"# The demo took {time.monotonic() - started:.0f} s.")
    return 0
