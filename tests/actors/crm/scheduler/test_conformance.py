"""Every case named in conformance_pass.txt must keep matching Pacemaker's Transition Summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.crm.scheduler import conformance

REPO = Path(__file__).resolve().parents[4]
CORPUS = REPO.parent / "shared" / "pacemaker-2.1.5-scheduler"
PASS_LIST = Path(__file__).with_name("conformance_pass.txt")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def _pass_list() -> set[str]:
    lines = PASS_LIST.read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def test_pass_list_cases_still_pass() -> None:
    names = _pass_list()
    outcomes = conformance.run(CORPUS, names)
    assert {o.case.name for o in outcomes} == names, "pass list names a case not in cases.tsv"
    regressed = {o.case.name: o.detail for o in outcomes if not o.passed}
    assert not regressed, f"cases no longer matching Pacemaker: {regressed}"


def test_a_wrong_expectation_is_detected(tmp_path: Path) -> None:
    """The comparison can fail: a corpus copy with one summary edited makes that case fail."""
    name = "simple2"
    (tmp_path / "xml").mkdir()
    (tmp_path / "summary").mkdir()
    (tmp_path / "xml" / f"{name}.xml").write_bytes((CORPUS / "xml" / f"{name}.xml").read_bytes())
    text = (CORPUS / "summary" / f"{name}.summary").read_text()
    assert "Start" in text
    (tmp_path / "summary" / f"{name}.summary").write_text(text.replace("Start ", "Stop ", 1))
    (tmp_path / "cases.tsv").write_text(f"name\tdescription\targs\n{name}\tStart\t\n")
    [outcome] = conformance.run(tmp_path)
    assert not outcome.passed and outcome.detail == "summary differs"


def test_white_space_is_ignored() -> None:
    assert conformance.normalize(["  * Start   rsc1 ( node1 )"]) == ["*Startrsc1(node1)"]
