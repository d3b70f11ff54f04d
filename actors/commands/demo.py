"""`ringleader demo`: the guided tour of what runs today (the actor examples, one after another).

When the cluster resource manager lands this becomes the 3-node failover demo; until then it
shows the foundation every service stands on: actors in separate processes, supervision with
restarts, and two nodes talking over CURVE-encrypted tcp.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from actors.errors import UserError

EXAMPLES = (
    ("ping_pong.py", "two actors in two processes play ping-pong over ipc"),
    ("supervised_worker.py", "a worker process crashes and its supervisor restarts it"),
    ("two_nodes_tcp.py", "two nodes on tcp loopback, encrypted and authenticated"),
)


def examples_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "examples"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the guided demo on this machine")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = examples_dir()
    if not folder.is_dir():
        raise UserError(
            f"{folder}: examples not found; run the demo from a source checkout "
            "installed with `pip install -e .`"
        )
    failures = 0
    for number, (script, what) in enumerate(EXAMPLES, 1):
        print(f"\n[{number}/{len(EXAMPLES)}] {what}  (python examples/{script})", flush=True)
        result = subprocess.run([sys.executable, str(folder / script)], check=False, timeout=300)
        if result.returncode != 0:
            failures += 1
            print(f"  -> failed with exit code {result.returncode}", flush=True)
    print(f"\ndemo finished: {len(EXAMPLES) - failures} of {len(EXAMPLES)} parts worked")
    return 1 if failures else 0
