"""LRM operation latency: a Dummy monitor through the LRM core and the agent runner, against
running the same agent directly with `subprocess.run`.

Ours: `LrmCore` request -> `Execute` -> `execute()` on a runner thread pool (own process group,
clean environment, bounded output) -> `ExecResult` -> `Report`. Not yet included: the hop to the
privileged child over the transport (it does not exist yet); add it here when it does.
Reference: `subprocess.run([agent, "monitor"], env=OCF env, capture_output=True)`.
Target (issue 5): ours <= 1.2x the reference.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time

from actors.agents.environment import ocf_env
from actors.agents.execute import execute
from actors.agents.runner import SAFE_PATH, RunnerPool
from actors.agents.spec import AgentDirs, AgentSpec
from actors.bench.report import BenchReport
from actors.crm.lrm.core import LrmCore
from actors.crm.lrm.messages import ExecResult, Execute, OpRequest, Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ops", type=int, default=40, help="monitors per side (median)")
    parser.add_argument("--agent", default="ocf:heartbeat:Dummy", help="agent to monitor")


def run(args: argparse.Namespace) -> BenchReport:
    dirs = AgentDirs()
    spec = AgentSpec.parse(args.agent)
    path = str(dirs.resolve(spec))
    report = BenchReport("lrm")
    with tempfile.TemporaryDirectory() as tmp, RunnerPool(max_workers=4) as pool:
        params = {"state": f"{tmp}/bench.state"}
        env = ocf_env(spec, dirs.ocf_root, "bench", params, {}, 0, 20000)
        env["PATH"] = SAFE_PATH
        lrm = LrmCore()
        ours, direct = [], []
        for i in range(args.ops):  # interleaved, so both sides see the same machine load
            start = time.perf_counter()
            subprocess.run([path, "monitor"], env=env, capture_output=True, check=False)
            direct.append((time.perf_counter() - start) * 1000)

            start = time.perf_counter()
            effects = lrm.handle(OpRequest("bench", spec, "monitor", params, requester="b"), i)
            reports: list[Report] = []
            while effects:
                effect = effects.pop(0)
                if isinstance(effect, Execute):
                    result = pool.submit_call(execute, effect.to_run_agent(), dirs).result()
                    effects += lrm.handle(ExecResult(effect.call_id, result), i)
                elif isinstance(effect, Report):
                    reports.append(effect)
            ours.append((time.perf_counter() - start) * 1000)
            if not reports:
                raise RuntimeError("the LRM reported nothing for a monitor")
    report.add("direct subprocess.run monitor", "ms", direct)
    report.add("LRM core + runner monitor", "ms", ours)
    report.ratio(
        "LRM / direct", "LRM core + runner monitor", "direct subprocess.run monitor", at_most=1.2
    )
    report.notes.append("privileged-child hop over the transport not included yet")
    return report
