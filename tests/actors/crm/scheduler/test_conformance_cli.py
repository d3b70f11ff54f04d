"""`ringleader conformance DIR`: runs the corpus in place and reports passes by category."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.cli import main

CORPUS = Path(__file__).resolve().parents[4] / ".." / "shared" / "pacemaker-2.1.5-scheduler"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="Pacemaker corpus not present")


@needs_corpus
def test_json_report_counts_the_cases_asked_for(capsys):
    rc = main(["conformance", str(CORPUS), "--case", "simple1", "--case", "simple4", "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 2
    assert sum(c["total"] for c in report["categories"].values()) == 2
    assert report["passed"] == len(report["passing"])
    assert set(report["passing"]) <= {"simple1", "simple4"}


@needs_corpus
def test_table_ends_with_the_total(capsys):
    assert main(["conformance", str(CORPUS), "--case", "simple1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["category", "passed", "cases"]
    assert lines[-1].split()[0] == "total" and lines[-1].split()[2] == "1"


def test_a_folder_without_cases_is_a_user_error(tmp_path, capsys):
    assert main(["conformance", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "cases.tsv" in err
