"""`ringleader bench scheduler`: sizes, placement read back from a graph, a small real run."""

from __future__ import annotations

import argparse
import shutil

import pytest

from actors.bench import BENCHMARKS
from actors.bench import scheduler as bench
from actors.crm.scheduler.generate import Shape, generate_cib


def test_registered():
    assert BENCHMARKS["scheduler"] == "actors.bench.scheduler"


def test_sizes_parse_and_bad_sizes_are_refused():
    assert bench.parse_sizes("8x500, 16X1000") == [(8, 500), (16, 1000)]
    with pytest.raises(ValueError, match="8-500"):
        bench.parse_sizes("8-500")


def test_graph_placement_applies_starts_and_stops_to_the_current_placement():
    cib = generate_cib(Shape(3, 20, running_ratio=1.0), seed=4)
    current = bench.current_placement(cib)
    assert len(current) == 20 and all(node is not None for node in current.values())
    moved, stopped = sorted(current)[:2]
    target = next(n for n in ("node01", "node02", "node03") if n != current[moved])
    graph = f"""<transition_graph>
      <synapse id="0"><action_set>
        <rsc_op id="1" operation="stop" on_node="{current[moved]}"><primitive id="{moved}"/>
        </rsc_op>
      </action_set></synapse>
      <synapse id="1"><action_set>
        <rsc_op id="2" operation="start" on_node="{target}"><primitive id="{moved}"/></rsc_op>
      </action_set></synapse>
      <synapse id="2"><action_set>
        <rsc_op id="3" operation="stop" on_node="{current[stopped]}"><primitive id="{stopped}"/>
        </rsc_op>
      </action_set></synapse>
    </transition_graph>"""
    after = bench.graph_placement(graph, current)
    assert after[moved] == target
    assert after[stopped] is None
    assert {k: v for k, v in after.items() if k not in (moved, stopped)} == {
        k: v for k, v in current.items() if k not in (moved, stopped)
    }


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_small_run_without_reference_reports_our_figures():
    report = bench.run(_args("--sizes", "2x20", "--no-reference"))
    names = {f.name for f in report.figures}
    assert {"ours 2x20 time", "ours 2x20 peak"} <= names
    assert report.figure("ours 2x20 peak").median > 0
    assert any("crm_simulate not run" in n for n in report.notes)


@pytest.mark.skipif(shutil.which("crm_simulate") is None, reason="crm_simulate not installed")
def test_small_run_against_crm_simulate_compares_placement():
    report = bench.run(_args("--sizes", "2x20"))
    same = report.figure("same placement 2x20").median
    assert 0 <= same <= 20
    assert {r.name for r in report.ratios} == {
        "time 2x20 ours/crm_simulate",
        "peak 2x20 ours/crm_simulate",
    }
    assert any(n.startswith("2x20:") for n in report.notes)
