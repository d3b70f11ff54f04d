"""`ringleader bench actors`: every figure and ratio of a small run, on both transports."""

from __future__ import annotations

import argparse
import json

import pytest

from actors.bench import BENCHMARKS
from actors.bench.actors import add_arguments, run


def test_it_is_registered():
    assert BENCHMARKS["actors"] == "actors.bench.actors"


@pytest.mark.cluster
def test_a_small_run_reports_reference_floor_and_ours_side_by_side():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--reps", "1", "--round-trips", "50", "--tells", "500"])
    report = run(args)
    for transport, raw in (("ipc", "raw pyzmq ipc"), ("tcp", "raw pyzmq tcp+curve")):
        for name in (
            f"{raw} round trip",
            f"{raw} + pickle + HMAC round trip",
            f"ringleader {transport} remote ask round trip",
            f"{raw} push rate",
            f"ringleader {transport} remote tell rate",
        ):
            assert report.figure(name).median > 0, name
        ratios = {r.name: r.value for r in report.ratios if r.name.startswith(transport)}
        assert len(ratios) >= 5 and all(value > 0 for value in ratios.values())
    assert report.figure("pykka in-process tell rate").median > 0
    assert json.loads(report.to_json())["benchmark"] == "actors"


def test_an_unknown_transport_is_a_clear_error():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit, match="unknown transport 'udp'"):
        run(
            parser.parse_args(
                ["--reps", "1", "--round-trips", "5", "--tells", "10", "--transports", "udp"]
            )
        )
