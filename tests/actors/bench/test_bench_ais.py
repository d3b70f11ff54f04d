"""`ringleader bench ais` runs end to end on a small load and reports every figure and ratio."""

from __future__ import annotations

import argparse
import json

import pytest

from actors.bench import BENCHMARKS
from actors.bench.ais import add_arguments, run


def test_it_is_registered():
    assert BENCHMARKS["ais"] == "actors.bench.ais"


@pytest.mark.cluster
def test_a_small_run_reports_every_figure():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    report = run(parser.parse_args(["--ops", "30", "--repeat", "1"]))
    names = {f.name for f in report.figures}
    for name in (
        "ckpt writes",
        "ckpt reads",
        "lock+unlock latency median",
        "events delivered (slower subscriber)",
        "messages through a queue group",
        "CPG mcast + own delivery, 1 client",
    ):
        assert name in names
    assert all(f.median > 0 for f in report.figures)
    assert len(report.ratios) == 5
    assert json.loads(report.to_json())["benchmark"] == "ais"
