"""LRM operation latency and rate: a Dummy monitor through a real node's LRM actor and privileged
child, against running the same agent directly with `subprocess.run`, in the same run.

Ours: the bench starts a one-node local cluster (torn down after) and asks its LRM
`RunOnce(OpRequest(monitor))` from a command's host: LRM actor -> worker thread -> ask to the
privileged child (another process, root when the bench runs as root) -> agent run in its own
process group with a clean environment and bounded output -> `AgentRan` -> history record ->
`OpReport` answer. Also the in-process part alone (LRM core + runner, no processes), to show
where time goes. Reference: `subprocess.run([agent, "monitor"], env=OCF env,
capture_output=True)`. Samples are interleaved so both sides see the same machine load.
Target (issue 5): median latency <= 1.2x the reference.

Floor: the same two hops with nothing but raw pyzmq and what every message must bear (pickle
and HMAC, `actors.bench.floor`): this process -> a relay process (the LRM's place) -> an
executor process (the privileged child's place) that runs the agent with `subprocess.run` and
answers back the same way. No actor, no thread hand-off, no process group or timeout handling:
what any LRM + privileged child on ZeroMQ would pay on this machine at the least.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import zmq

from actors.agents.environment import ocf_env
from actors.agents.execute import execute
from actors.agents.runner import SAFE_PATH, RunnerPool
from actors.agents.spec import AgentDirs, AgentSpec
from actors.bench.floor import opened, sealed, start_helper
from actors.bench.report import BenchReport
from actors.crm.lrm.core import LrmCore
from actors.crm.lrm.messages import ExecResult, Execute, OpRequest, Report

DIRECT = "direct subprocess.run monitor"
FLOOR = "floor: 2 raw zmq hops + pickle + HMAC, then subprocess.run"
CORE = "LRM core + runner monitor (in-process)"
NODE = "LRM actor + privileged child monitor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ops", type=int, default=200, help="monitors per side (latency)")
    parser.add_argument("--parallel", type=int, default=4, help="resources monitored at once")
    parser.add_argument("--agent", default="ocf:heartbeat:Dummy", help="agent to monitor")


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else samples[0]


def run(args: argparse.Namespace) -> BenchReport:
    from actors.commands.cluster import cluster_down, cluster_up
    from actors.config import load_config
    from actors.crm.lrm import LRM_ACTOR, PROCESS
    from actors.crm.lrm.actor import RunOnce
    from actors.node_client import node_actor

    dirs = AgentDirs()
    spec = AgentSpec.parse(args.agent)
    path = str(dirs.resolve(spec))
    report = BenchReport("lrm")
    tmp = Path(tempfile.mkdtemp(prefix="rl-bench-lrm-"))
    try:
        os.chmod(tmp, 0o755)  # the agents' state files, written as root or as us
        params = {"state": f"{tmp}/bench.state"}
        env = ocf_env(spec, dirs.ocf_root, "bench", params, {}, 0, 20000)
        env["PATH"] = SAFE_PATH

        def direct() -> float:
            start = time.perf_counter()
            subprocess.run([path, "monitor"], env=env, capture_output=True, check=False)
            return (time.perf_counter() - start) * 1000

        config = load_config(cluster_up(tmp / "cluster", 1, "ipc")[0])
        try:
            with node_actor(config, PROCESS, LRM_ACTOR) as lrm:

                def through_node(rsc: str = "bench") -> float:
                    start = time.perf_counter()
                    req = OpRequest(rsc, spec, "monitor", params, expected_rc=7)
                    reply = lrm.ask(RunOnce(req), timeout=60).get()
                    if reply.record.status.name != "DONE":
                        raise RuntimeError(f"monitor through the LRM: {reply.record}")
                    return (time.perf_counter() - start) * 1000

                for _ in range(5):  # warm up: connections, the child's first agent run
                    through_node()
                    direct()
                ours, reference, core, floor = [], [], [], []
                core_only = _CoreOnly(spec, dirs, params)
                chain = _FloorChain(tmp, (path, "monitor"), env)
                try:
                    for _ in range(5):
                        chain.run()
                    for _ in range(args.ops):
                        reference.append(direct())
                        ours.append(through_node())
                        floor.append(chain.run())
                        core.append(core_only.monitor())
                finally:
                    chain.close()
                    core_only.close()
                n, k = args.ops, args.parallel
                with ThreadPoolExecutor(k) as pool:
                    start = time.perf_counter()
                    list(pool.map(lambda i: direct(), range(n)))
                    direct_rate = n / (time.perf_counter() - start)
                    start = time.perf_counter()
                    list(pool.map(lambda i: through_node(f"bench{i % k}"), range(n)))
                    node_rate = n / (time.perf_counter() - start)
        finally:
            cluster_down(tmp / "cluster")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report.add(f"{DIRECT} latency", "ms", reference)
    report.add(f"{NODE} latency", "ms", ours)
    report.add(f"{CORE} latency", "ms", core)
    report.add(f"{FLOOR} latency", "ms", floor)
    report.add(f"{DIRECT} p99", "ms", [_p99(reference)])
    report.add(f"{NODE} p99", "ms", [_p99(ours)])
    report.add(f"{DIRECT} sequential", "ops/s", [1000 * len(reference) / sum(reference)], True)
    report.add(f"{NODE} sequential", "ops/s", [1000 * len(ours) / sum(ours)], True)
    report.add(f"{DIRECT} x{args.parallel} threads", "ops/s", [direct_rate], True)
    report.add(f"{NODE} x{args.parallel} resources", "ops/s", [node_rate], True)
    report.ratio("LRM+child / direct latency", f"{NODE} latency", f"{DIRECT} latency", at_most=1.2)
    report.ratio("floor / direct latency", f"{FLOOR} latency", f"{DIRECT} latency")
    report.ratio("LRM+child / floor latency", f"{NODE} latency", f"{FLOOR} latency")
    report.ratio("LRM+child / direct p99", f"{NODE} p99", f"{DIRECT} p99")
    report.ratio(
        f"LRM+child / direct ops/s x{args.parallel}",
        f"{NODE} x{args.parallel} resources",
        f"{DIRECT} x{args.parallel} threads",
    )
    report.notes.append(
        f"{args.agent} monitor; privileged child uid {'0' if os.geteuid() == 0 else 'not 0'}"
    )
    return report


def _floor_executor(ready, url: str, argv: tuple[str, ...], env: Mapping[str, str]) -> None:
    """The privileged child's place in the floor: open the request, run the agent, answer."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.bind(url)
    ready.send(True)
    while True:
        identity, frame = sock.recv_multipart()
        if opened(frame) is None:
            break
        done = subprocess.run(list(argv), env=dict(env), capture_output=True, check=False)
        sock.send_multipart((identity, sealed((done.returncode, done.stdout, done.stderr))))
    sock.close(linger=0)
    ctx.term()


def _floor_relay(ready, url: str, executor_url: str) -> None:
    """The LRM's place in the floor: open each request, pass it on, pass the answer back."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.bind(url)
    executor = ctx.socket(zmq.DEALER)
    executor.connect(executor_url)
    ready.send(True)
    while True:
        identity, frame = sock.recv_multipart()
        request = opened(frame)
        executor.send(sealed(request))
        if request is None:
            break
        sock.send_multipart((identity, sealed(opened(executor.recv()))))
    for s in (sock, executor):
        s.close(linger=0)
    ctx.term()


class _FloorChain:
    """This process -> relay -> executor -> agent, and back (see the module docstring)."""

    def __init__(self, tmp: Path, argv: tuple[str, ...], env: Mapping[str, str]) -> None:
        executor_url, relay_url = f"ipc://{tmp}/floor-executor", f"ipc://{tmp}/floor-relay"
        self.procs = [
            start_helper(_floor_executor, executor_url, argv, dict(env))[0],
            start_helper(_floor_relay, relay_url, executor_url)[0],
        ]
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.connect(relay_url)
        self.request = ("bench", "monitor", dict(env))

    def run(self) -> float:
        start = time.perf_counter()
        self.sock.send(sealed(self.request))
        opened(self.sock.recv())
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.sock.send(sealed(None))
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        self.sock.close(linger=0)
        self.ctx.term()


class _CoreOnly:
    """The LRM core and the runner in this process: no actor, no transport, no child."""

    def __init__(self, spec: AgentSpec, dirs: AgentDirs, params: dict) -> None:
        self.pool = RunnerPool(max_workers=4)
        self.lrm = LrmCore()
        self.request = OpRequest("bench", spec, "monitor", params, requester="b")
        self.dirs = dirs

    def monitor(self) -> float:
        start = time.perf_counter()
        now = time.time()
        effects = self.lrm.handle(self.request, now)
        reports: list[Report] = []
        while effects:
            effect = effects.pop(0)
            if isinstance(effect, Execute):
                run = self.pool.submit_call(execute, effect.to_run_agent(), self.dirs)
                effects += self.lrm.handle(ExecResult(effect.call_id, run.result()), now)
            elif isinstance(effect, Report):
                reports.append(effect)
        if not reports:
            raise RuntimeError("the LRM reported nothing for a monitor")
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.pool.shutdown()
