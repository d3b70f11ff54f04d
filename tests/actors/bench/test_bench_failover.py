"""`ringleader bench failover` times a real failover on a local 3-node cluster and reports it."""

from __future__ import annotations

import argparse
import json

import pytest

from actors.bench import BENCHMARKS
from actors.bench.failover import FAILOVER, FENCED, add_arguments, run


def test_it_is_registered():
    assert BENCHMARKS["failover"] == "actors.bench.failover"


@pytest.mark.cluster
def test_one_run_gives_a_figure_and_json():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    report = run(parser.parse_args(["--runs", "1"]))
    failover, fenced = report.figure(FAILOVER), report.figure(FENCED)
    assert len(failover.samples) == 1 and failover.median > 0
    assert 0 < fenced.median <= failover.median + 0.05  # started only once fenced
    assert {r.name for r in report.ratios} >= {"failover / 2.0 s target"}
    data = json.loads(report.to_json())
    assert data["benchmark"] == "failover"
    assert any("not measured here" in note for note in data["notes"])
