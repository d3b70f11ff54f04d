"""Fencing latency: a node fenced (off) with fence_ringleader through the fencer, against running
the agent's off and status directly with `subprocess.run`.

Default (standalone): each round starts a stand-in node supervisor (a process whose command line
says `node start`, with one child, and a pid file where fence_ringleader looks), then fences it.
Ours: a `FenceRequest` to an in-process standalone `Fencer` actor -> query -> `Execute` -> the
agent's off and the status check through the runner -> `FenceDone` broadcast, recorded (history
written to the state dir) -> the reply. Reference: `subprocess.run` of the same agent with
`action=off`, then `action=status`, with the runner's PATH.

`--cluster`: a real 3-node local cluster (`cluster up`, ipc). Ours: an ask from this process to
node1's fencer; the query goes over CPG to all three fencers, node2 (the only node the device may
run on) runs fence_ringleader through its privileged child, which kills the victim's tree; the
result is recorded on every node before the answer comes. The victim is a stand-in supervisor
outside the cluster (a cluster node killed again and again would also be fenced by the
controller, as it left uncleanly), the reference kills the same stand-in directly; node3 itself
is fenced once at the end, reported on its own line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from actors.agents.runner import SAFE_PATH
from actors.bench.report import BenchReport
from fencing.agents import BUILTIN_DIR
from fencing.fencer import Fencer, RegisterDevice, call
from fencing.messages import FenceRequest
from fencing.store import FencingStore

_STAND_IN = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "time.sleep(600)\n"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fences", type=int, help="fences per side (median; default 15, 5 with --cluster)"
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="fence node3 of a real 3-node local cluster: node1 asks, node2 fences",
    )


def _stand_in(root: Path, node: str) -> subprocess.Popen:
    """A process tree that fence_ringleader takes for node `node`'s supervisor."""
    proc = subprocess.Popen([sys.executable, "-c", _STAND_IN, "node", "start"])
    run = root / node / "run"
    run.mkdir(parents=True, exist_ok=True)
    (run / "supervisor.pid").write_text(f"{proc.pid}\n")
    return proc


def _direct(root: Path, node: str) -> None:
    agent = str(BUILTIN_DIR / "fence_ringleader")
    for action in ("off", "status"):
        stdin = f"action={action}\nport={node}\nnodename={node}\nstate_root={root}\n"
        subprocess.run(
            [agent], input=stdin.encode(), env={"PATH": SAFE_PATH}, capture_output=True, check=False
        )


def run(args: argparse.Namespace) -> BenchReport:
    if args.cluster:
        return _run_cluster(args.fences or 5)
    return _run_standalone(args.fences or 15)


def _run_standalone(fences: int) -> BenchReport:
    report = BenchReport("fence")
    ours, direct = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "state"
        ref = Fencer.start("bench", FencingStore(Path(tmp) / "fencer"))
        try:
            options = {"state_root": str(root), "pcmk_host_list": "victim"}
            ref.ask(RegisterDevice("local", "fence_ringleader", options))
            for _ in range(fences):  # interleaved: both sides see the same machine load
                proc = _stand_in(root, "victim")
                start = time.perf_counter()
                _direct(root, "victim")
                direct.append((time.perf_counter() - start) * 1000)
                proc.wait(timeout=30)

                proc = _stand_in(root, "victim")
                start = time.perf_counter()
                event = call(ref, lambda r: FenceRequest("victim", "off", r, "bench"), 60)
                ours.append((time.perf_counter() - start) * 1000)
                proc.wait(timeout=30)
                if not event.ok:
                    raise RuntimeError(f"fencing failed: {event.reason}")
        finally:
            ref.stop()
    ours_name, direct_name = "fencer: request to recorded result", "direct agent off + status"
    report.add(direct_name, "ms", direct)
    report.add(ours_name, "ms", ours)
    report.ratio("fencer / direct", ours_name, direct_name)
    report.notes.append("in-process, standalone: see --cluster for CPG and the privileged child")
    return report


def _run_cluster(fences: int) -> BenchReport:
    import shutil

    from actors.commands.cluster import cluster_down, cluster_up
    from actors.config import load_config
    from actors.node import read_pid
    from actors.node_client import node_actor
    from fencing.fencer import GetMembers
    from fencing.process import FENCER_ACTOR, PROCESS

    report = BenchReport("fence --cluster")
    ours, inside, direct, real = [], [], [], []
    directory = Path(tempfile.mkdtemp(prefix="rl-bench-fence-"))
    directory.chmod(0o755)
    victims = directory / "victims"
    try:
        configs = cluster_up(directory, 3, "ipc", timeout=90.0)
        n1 = load_config(configs[0])
        with node_actor(n1, PROCESS, FENCER_ACTOR) as fencer:
            three = ("node1", "node2", "node3")
            _wait(lambda: fencer.ask(GetMembers(), timeout=5).get() == three, "every fencer")
            devices = (("victim", victims, "victim"), ("local", directory, "node3"))
            for name, root, target in devices:
                options = {"state_root": str(root), "pcmk_host_list": target}
                options["rl_run_on"] = "node2"
                fencer.ask(RegisterDevice(name, "fence_ringleader", options), timeout=60).get()

            def fence(target: str, samples: list[float]) -> None:
                start = time.perf_counter()
                event = fencer.ask(FenceRequest(target, "off", None, "bench"), timeout=120).get()
                samples.append((time.perf_counter() - start) * 1000)
                if not event.ok or event.executor != "node2":
                    raise RuntimeError(f"fencing {target} failed: {event.reason or event}")
                inside.append((event.completed - event.requested) * 1000)

            for _ in range(fences):  # interleaved: both sides see the same machine load
                proc = _stand_in(victims, "victim")
                start = time.perf_counter()
                _direct(victims, "victim")
                direct.append((time.perf_counter() - start) * 1000)
                proc.wait(timeout=30)

                proc = _stand_in(victims, "victim")
                fence("victim", ours)
                proc.wait(timeout=30)
            fence("node3", real)  # once: a real node, its supervisor and every process
            _wait(lambda: read_pid(load_config(configs[2])) is None, "node3 gone")
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)
    ours_name = "cluster: node1 asks, node2 fences (request to recorded result)"
    direct_name = "direct agent off + status"
    report.add(direct_name, "ms", direct)
    report.add(ours_name, "ms", ours)
    report.add("cluster: inside the fencers (requested to completed)", "ms", inside)
    report.add("cluster: a real node (node3), once", "ms", real)
    report.ratio("cluster fence / direct", ours_name, direct_name)
    report.notes.append(
        "3 local nodes on ipc; the victim is a stand-in supervisor tree outside the cluster "
        "(a real node fenced again and again would be fenced by the controller too); "
        "CPG query to all fencers, fence_ringleader via node2's privileged child, the result "
        "recorded on every node before the answer"
    )
    return report


def _wait(predicate, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not _true(predicate):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _true(predicate) -> bool:
    try:
        return bool(predicate())
    except Exception:  # noqa: BLE001 - not there yet (a fencer starting, ...)
        return False
