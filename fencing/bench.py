"""Fencing latency: a node fenced (off) with fence_ringleader through the fencer, against running
the agent's off and status directly with `subprocess.run`.

Each round starts a stand-in node supervisor (a process whose command line says `node start`,
with one child, and a pid file where fence_ringleader looks), then fences it. Ours: a
`FenceRequest` to an in-process standalone `Fencer` actor -> query -> `Execute` -> the agent's
off and the status check through the runner -> `FenceDone` broadcast, recorded (history written
to the state dir) -> the reply. Reference: `subprocess.run` of the same agent with `action=off`,
then `action=status`, with the runner's PATH. Not yet included: the hop to the privileged child
and CPG between nodes.
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
    parser.add_argument("--fences", type=int, default=15, help="fences per side (median)")


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
    report = BenchReport("fence")
    ours, direct = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "state"
        ref = Fencer.start("bench", FencingStore(Path(tmp) / "fencer"))
        try:
            options = {"state_root": str(root), "pcmk_host_list": "victim"}
            ref.ask(RegisterDevice("local", "fence_ringleader", options))
            for _ in range(args.fences):  # interleaved: both sides see the same machine load
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
    report.notes.append("privileged-child hop and CPG between nodes not included yet")
    return report
