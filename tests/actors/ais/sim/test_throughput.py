"""The totem-sim benchmark runs end to end (its figures are printed, never asserted)."""

from __future__ import annotations

import argparse

from actors.ais.sim import throughput


def test_the_benchmark_delivers_everything_and_reports_both_sides():
    parser = argparse.ArgumentParser()
    throughput.add_arguments(parser)
    report = throughput.run(parser.parse_args(["--messages", "500", "--repeat", "1"]))
    names = [f.name for f in report.figures]
    assert names == ["totem agreed delivery", "no-protocol delivery"]
    assert [r.name for r in report.ratios] == ["totem / no protocol"]
    assert "benchmark: totem-sim" in report.to_text()
