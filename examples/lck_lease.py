"""A leader lease on a cluster lock (LCK): one leader at a time; when it dies, the next takes over.

python examples/lck_lease.py                       # starts a local 3-node cluster, then stops it
python examples/lck_lease.py --config n1.toml --config n2.toml --config n3.toml   # a running one

One candidate process per node asks for the EX lock "leader" and waits. The one granted is the
leader for as long as its process lives, and is told (a waiter callback) when a request comes
to queue behind it. Here each leader in turn is killed (SIGKILL): the executive notices the
dead process, drops its lock, and grants the next candidate.
"""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from actors.ais.client import LckClient
from actors.ais.lck.messages import LockMode, LockStatus, LockWaiter
from actors.commands.cluster import temporary_cluster
from actors.config import load_config

RESOURCE = "example-leader"


def candidate(config: str) -> None:
    """One candidate: wait for the lock, then lead until killed."""
    node = load_config(config).node
    lck = LckClient(waiter=lambda w: waiting(node, w), config=config)
    lck.start_dispatch_thread()
    resource = lck.resource_open(RESOURCE, create=True)
    print(f"candidate {node} pid {os.getpid()}: waiting", flush=True)
    result = lck.lock(resource, LockMode.EX)
    if result.status is LockStatus.GRANTED:
        print(f"LEADER {node} pid {os.getpid()}", flush=True)
        time.sleep(3600)  # the lease lasts as long as this process


def waiting(node: str, w: LockWaiter) -> None:
    print(f"leader {node}: someone waits for the lease ({w.mode_requested.name})", flush=True)


def demo(configs: list[Path]) -> None:
    lines: queue.Queue = queue.Queue()
    procs = {}
    for config in configs:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--candidate", str(config)],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs[proc.pid] = proc
        threading.Thread(target=_read, args=(proc, lines), daemon=True).start()
    try:
        leaders: list[str] = []
        while len(leaders) < len(configs):
            line = lines.get(timeout=120)
            print(f"  {line}")
            if not line.startswith("LEADER"):
                continue
            _, node, _, pid = line.split()
            leaders.append(node)
            if len(leaders) == len(configs):
                break
            if len(leaders) == 1:  # the others queue behind the first leader: it is told
                _until(lines, f"leader {node}: someone waits")
            print(f"killing the leader on {node} (pid {pid})")
            procs[int(pid)].kill()
        print("leadership passed " + " -> ".join(leaders))
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait(10)


def _until(lines: queue.Queue, prefix: str) -> None:
    while True:
        line = lines.get(timeout=120)
        print(f"  {line}")
        if line.startswith(prefix):
            return


def _read(proc: subprocess.Popen, lines: queue.Queue) -> None:
    for line in proc.stdout:
        lines.put(line.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, help="node configs (2 or more)")
    parser.add_argument("--candidate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.candidate:
        candidate(args.candidate)
        return 0
    if args.config:
        if len(args.config) < 2:
            parser.error("give --config at least twice")
        demo(args.config)
        return 0
    with temporary_cluster(3, "rl-lease-", announce=True) as configs:
        demo(configs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
