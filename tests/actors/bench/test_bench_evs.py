"""`ringleader bench evs` on a real local cluster: every figure is there, cold apart from steady."""

from __future__ import annotations

import argparse
import json

import pytest

from actors.bench import BENCHMARKS
from actors.bench.evs import add_arguments, run


def test_it_is_registered():
    assert BENCHMARKS["evs"] == "actors.bench.evs"


@pytest.mark.cluster
def test_a_small_run_reports_cold_steady_raw_and_failover():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = ["--messages", "300", "--repeat", "1", "--latency-samples", "20"]
    report = run(parser.parse_args([*args, "--cpg-messages", "30"]))
    cold = report.figure("agreed delivery 64 B, first 2 runs after the ring formed (cold)")
    assert len(cold.samples) == 2 and all(rate > 0 for rate in cold.samples)
    for name in ("agreed delivery 64 B (steady)", "raw pyzmq PUSH/PULL 64 B"):
        assert report.figure(name).median > 0
    assert 0 < report.figure("SIGKILL to new ring at survivors").median < 30
    ratio = next(r for r in report.ratios if r.name == "agreed 64 B / raw PUSH-PULL")
    assert ratio.value > 0
    assert json.loads(report.to_json())["benchmark"] == "evs"
