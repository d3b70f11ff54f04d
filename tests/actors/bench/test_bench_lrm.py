"""`ringleader bench lrm`: direct, ours, the in-process core and the floor, side by side."""

from __future__ import annotations

import argparse
import json
import os

import pytest

from actors.bench import BENCHMARKS
from actors.bench.lrm import add_arguments, run
from actors.errors import UserError

DUMMY = "/usr/lib/ocf/resource.d/heartbeat/Dummy"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_it_is_registered():
    assert BENCHMARKS["lrm"] == "actors.bench.lrm"


@pytest.mark.cluster
@pytest.mark.skipif(not os.access(DUMMY, os.X_OK), reason="resource-agents not installed")
def test_a_small_run_reports_direct_ours_and_the_floor_side_by_side():
    report = run(_args("--ops", "5", "--parallel", "2"))
    for name in (
        "direct subprocess.run monitor latency",
        "LRM actor + privileged child monitor latency",
        "LRM core + runner monitor (in-process) latency",
        "floor: 2 raw zmq hops + pickle + HMAC, then subprocess.run latency",
    ):
        figure = report.figure(name)
        assert len(figure.samples) == 5 and figure.median > 0, name
    ratios = {r.name: r for r in report.ratios}
    assert ratios["LRM+child / direct latency"].target is not None
    for name in ("floor / direct latency", "LRM+child / floor latency"):
        assert ratios[name].value > 0
    assert json.loads(report.to_json())["benchmark"] == "lrm"


def test_an_agent_that_is_not_installed_is_a_clear_error_before_anything_starts():
    with pytest.raises(UserError, match="ocf:heartbeat:NoSuchAgent"):
        run(_args("--agent", "ocf:heartbeat:NoSuchAgent"))
