"""Scheduler: our policy engine against `crm_simulate -R -G` on the same generated CIBs.

For each size (nodes x primitives, with location, colocation and order constraints, from the
seeded generator) this measures the wall time and peak memory of parsing + scheduling in a fresh
process, and the same for Pacemaker's crm_simulate when it is installed; it reports the ratio and
checks that both put every resource on the same node (or both leave it stopped).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from actors.bench.report import BenchReport
from actors.crm.scheduler.generate import Shape, generate_cib

DEFAULT_SIZES = "8x500,16x1000,32x2000"
SPEED_TARGET = 0.1  # ours / crm_simulate at the largest size


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="NODESxPRIMITIVES, comma-separated")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--reps", type=int, default=1, help="repetitions per figure (median)")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip crm_simulate even if installed"
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the generated CIBs in this folder")


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    placement: dict[str, str | None]


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        nodes, sep, rscs = part.strip().lower().partition("x")
        if not sep or not nodes.isdigit() or not rscs.isdigit():
            raise ValueError(f"--sizes: {part!r} is not NODESxPRIMITIVES")
        sizes.append((int(nodes), int(rscs)))
    return sizes


def _child_main(path: str) -> None:
    """Runs in a fresh interpreter: parse + schedule, print time and placement as JSON."""
    from actors.crm.cib import parse_cib_file
    from actors.crm.scheduler import schedule

    start = time.perf_counter()
    transition = schedule(parse_cib_file(path))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "placement": transition.placement}))


def _run_measured(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process, via wait4's rusage."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited with {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, text


def run_ours(path: Path) -> Run:
    code = f"from actors.bench.scheduler import _child_main; _child_main({str(path)!r})"
    _wall, peak, text = _run_measured([sys.executable, "-c", code])
    data = json.loads(text.strip().splitlines()[-1])
    return Run(data["seconds"], peak, data["placement"])


def current_placement(cib_xml: str) -> dict[str, str | None]:
    """Where each resource runs according to the status section (start succeeded last)."""
    root = ET.fromstring(cib_xml)
    where: dict[str, str | None] = {p.get("id", ""): None for p in root.iter("primitive")}
    for state in root.iter("node_state"):
        for rsc in state.iter("lrm_resource"):
            ops = sorted(rsc.iter("lrm_rsc_op"), key=lambda o: int(o.get("call-id", "0")))
            if ops and ops[-1].get("operation") == "start" and ops[-1].get("rc-code") == "0":
                where[rsc.get("id", "")] = state.get("uname")
    return where


def graph_placement(graph_xml: str, current: dict[str, str | None]) -> dict[str, str | None]:
    """Apply a transition graph's starts and stops to the current placement."""
    where = dict(current)
    root = ET.fromstring(graph_xml)
    stops, starts = set(), {}
    for op in root.iter("rsc_op"):
        prim = op.find("primitive")
        rid = prim.get("id") if prim is not None else None
        if rid is None:
            continue
        if op.get("operation") == "start":
            starts[rid] = op.get("on_node")
        elif op.get("operation") == "stop":
            stops.add(rid)
    for rid in stops:
        where[rid] = None
    where.update(starts)
    return where


def run_reference(path: Path, cib_xml: str) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "graph.xml"
        argv = ["crm_simulate", "-x", str(path), "-R", "-G", str(graph), "-Q"]
        wall, peak, _ = _run_measured(argv)
        placement = graph_placement(graph.read_text(), current_placement(cib_xml))
    return Run(wall, peak, placement)


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def run(args: argparse.Namespace) -> BenchReport:
    report = BenchReport("scheduler")
    sizes = parse_sizes(args.sizes)
    reference = None if args.no_reference else shutil.which("crm_simulate")
    if reference is None:
        report.notes.append("crm_simulate not run (not installed or --no-reference)")
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        for nodes, rscs in sizes:
            label = f"{nodes}x{rscs}"
            xml = generate_cib(Shape(nodes, rscs), seed=args.seed)
            path = folder / f"sched-{label}-seed{args.seed}.xml"
            path.write_text(xml)
            ours = [run_ours(path) for _ in range(max(1, args.reps))]
            report.add(f"ours {label} time", "s", [r.seconds for r in ours])
            report.add(f"ours {label} peak", "MB", [r.peak_mb for r in ours])
            if reference is None:
                continue
            refs = [run_reference(path, xml) for _ in range(max(1, args.reps))]
            report.add(f"crm_simulate {label} time", "s", [r.seconds for r in refs])
            report.add(f"crm_simulate {label} peak", "MB", [r.peak_mb for r in refs])
            last = (nodes, rscs) == sizes[-1]
            report.ratio(
                f"time {label} ours/crm_simulate",
                f"ours {label} time",
                f"crm_simulate {label} time",
                at_most=SPEED_TARGET if last else None,
            )
            report.ratio(
                f"peak {label} ours/crm_simulate",
                f"ours {label} peak",
                f"crm_simulate {label} peak",
            )
            differ = sorted(
                rid for rid, node in refs[0].placement.items() if ours[0].placement.get(rid) != node
            )
            same = len(refs[0].placement) - len(differ)
            report.add(f"same placement {label}", "rscs", [float(same)], higher_is_better=True)
            if differ:
                shown = ", ".join(
                    f"{r}: ours {ours[0].placement.get(r)} pacemaker {refs[0].placement[r]}"
                    for r in differ[:5]
                )
                report.notes.append(
                    f"{label}: {len(differ)} of {len(refs[0].placement)} resources placed "
                    f"differently (e.g. {shown})"
                )
            else:
                report.notes.append(f"{label}: identical placement of all {same} resources")
    return report
