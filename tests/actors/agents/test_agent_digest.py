"""op-digest against the digests Pacemaker recorded in its scheduler regression CIBs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from actors.agents.digest import op_digest, render

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "pacemaker-2.1.5-scheduler" / "xml"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="Pacemaker scheduler corpus absent")


def _cib(name: str) -> ET.Element:
    return ET.parse(CORPUS / f"{name}.xml").getroot()


def _params(cib: ET.Element, rsc: str) -> dict[str, str]:
    prim = next(p for p in cib.iter("primitive") if p.get("id") == rsc)
    return {n.get("name"): n.get("value") for n in prim.iterfind("instance_attributes/nvpair")}


def test_render_sorts_escapes_and_ignores_meta():
    assert render({"b": "2", "a": "<&\"'>"}) == (
        '<parameters a="&lt;&amp;&quot;&apos;&gt;" b="2"/>'
    )
    base = op_digest({"a": "1"})
    assert op_digest({"a": "1", "CRM_meta_notify": "true", "crm_feature_set": "3.1"}) == base
    assert op_digest({"a": "2"}) != base
    # a recurring op's digest covers its timeout; a one-shot op's does not
    assert op_digest({"a": "1"}, 10000, 20000) != op_digest({"a": "1"}, 10000, 30000)
    assert op_digest({"a": "1"}, 0, 20000) == op_digest({"a": "1"}, 0, 30000) == base


@needs_corpus
def test_matches_pacemaker_for_a_start_with_parameters():
    cib = _cib("bug-1572-1")
    params = _params(cib, "pgsql_5555")
    assert len(params) > 3 and any(" " in v for v in params.values())
    recorded = {
        op.get("op-digest")
        for rsc in cib.iter("lrm_resource")
        if rsc.get("id") == "pgsql_5555"
        for op in rsc.iterfind("lrm_rsc_op")
        if op.get("operation") == "start"
    }
    assert op_digest(params) in recorded


@needs_corpus
def test_matches_pacemaker_for_empty_parameters_and_recurring_monitors():
    recorded: dict[str, int] = {}
    for path in sorted(CORPUS.glob("*.xml"))[:200]:
        for op in ET.parse(path).getroot().iter("lrm_rsc_op"):
            digest = op.get("op-digest")
            if digest:
                recorded[digest] = recorded.get(digest, 0) + 1
    # the most common digests of the corpus: no parameters; monitors with a 20 s / 60 s timeout
    assert recorded[op_digest({})] > 100
    assert recorded[op_digest({}, 10000, 20000)] > 10
    assert op_digest({}, 10000, 60000) in recorded


@needs_corpus
def test_matches_pacemaker_on_most_starts_of_the_corpus():
    """Starts of primitives with plain instance attributes: the digest Pacemaker recorded is
    ours, except where a case changed the parameters on purpose (to force a restart)."""
    same = differ = 0
    for path in sorted(CORPUS.glob("*.xml")):
        cib = ET.parse(path).getroot()
        prims = {}
        for prim in cib.iter("primitive"):
            sets = prim.findall("instance_attributes")
            if len(sets) == 1 and sets[0].find("rule") is None:
                prims[prim.get("id")] = {n.get("name"): n.get("value") for n in sets[0]}
        for rsc in cib.iter("lrm_resource"):
            params = prims.get(rsc.get("id"))
            if not params or None in params.values():
                continue
            for op in rsc.iterfind("lrm_rsc_op"):
                if op.get("operation") == "start" and op.get("op-digest"):
                    if op_digest(params) == op.get("op-digest"):
                        same += 1
                    else:
                        differ += 1
    assert same > 1000 and same > 10 * differ
