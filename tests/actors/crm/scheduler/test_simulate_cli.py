"""`ringleader simulate`: the four crm_simulate sections, failure injection, --explain, outputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from actors.cli import main

CORPUS = Path(__file__).resolve().parents[4] / ".." / "shared" / "pacemaker-2.1.5-scheduler"

CIB = """<cib have-quorum="1" dc-uuid="1" validate-with="pacemaker-3.7">
  <configuration>
    <crm_config><cluster_property_set id="opts">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="fence1" class="stonith" type="fence_dummy"/>
      <primitive id="web" class="ocf" provider="heartbeat" type="Dummy">
        <operations><op id="web-mon" name="monitor" interval="10s"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="web-prefers-node2" rsc="web" node="node2" score="50"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="fence1" class="stonith" type="fence_dummy">
          <lrm_rsc_op id="f1" operation="start" call-id="1" rc-code="0" op-status="0"
            interval="0" transition-key="1:0:0:x"/>
        </lrm_resource>
        <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
          <lrm_rsc_op id="w1" operation="monitor" call-id="2" rc-code="7" op-status="0"
            interval="0" transition-key="2:0:7:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>
        <lrm_resource id="fence1" class="stonith" type="fence_dummy">
          <lrm_rsc_op id="f2" operation="monitor" call-id="1" rc-code="7" op-status="0"
            interval="0" transition-key="1:0:7:x"/>
        </lrm_resource>
        <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
          <lrm_rsc_op id="w2" operation="start" call-id="2" rc-code="0" op-status="0"
            interval="0" transition-key="2:0:0:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>
"""


@pytest.fixture
def cib(tmp_path: Path) -> Path:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    return path


def simulate(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["simulate", *argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def section(out: str, title: str) -> list[str]:
    lines = out.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] and lines[i][0] != " "), None)
    return [ln.strip() for ln in lines[start:end] if ln.strip()]


def test_prints_the_four_sections_in_crm_simulate_order(cib, capsys):
    rc, out, _ = simulate(capsys, "--cib", str(cib))
    assert rc == 0
    titles = [
        "Current cluster status:",
        "Transition Summary:",
        "Executing Cluster Transition:",
        "Revised Cluster Status:",
    ]
    positions = [out.splitlines().index(t) for t in titles]
    assert positions == sorted(positions)
    assert "* Online: [ node1 node2 ]" in section(out, "Current cluster status:")
    assert "* web\t(ocf:heartbeat:Dummy):\t Started node2" in section(
        out, "Current cluster status:"
    )
    assert section(out, "Transition Summary:") == []


def test_node_fail_fences_the_node_and_recovers_its_resource(cib, capsys):
    rc, out, _ = simulate(capsys, "--cib", str(cib), "--node-fail", "node2")
    assert rc == 0
    summary = section(out, "Transition Summary:")
    assert any(ln.startswith("* Fence (reboot) node2") for ln in summary)
    moves = [ln.split() for ln in summary if ln.startswith("* Move")]
    assert moves == [["*", "Move", "web", "(", "node2", "->", "node1", ")"]]
    revised = section(out, "Revised Cluster Status:")
    assert "* OFFLINE: [ node2 ]" in revised


def test_op_fail_makes_the_resource_recover(cib, capsys):
    rc, out, _ = simulate(capsys, "--cib", str(cib), "--op-fail", "web_monitor_10000@node2=7")
    assert rc == 0
    current = section(out, "Current cluster status:")
    assert any("FAILED node2" in ln for ln in current)
    summary = section(out, "Transition Summary:")
    assert any(ln.split()[:3] == ["*", "Recover", "web"] for ln in summary)


def test_explain_names_every_contribution(cib, capsys):
    rc, out, _ = simulate(capsys, "--cib", str(cib), "--explain", "web")
    assert rc == 0
    assert out.startswith("Why web is placed on node2")
    assert "web-prefers-node2" in out
    assert "node2: 50" in out or "node2: +50" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("--explain", "nosuch"), "nosuch"),
        (("--node-fail", "node9"), "node9"),
        (("--op-fail", "web-broken"), "web-broken"),
        (("--op-fail", "nosuch_start_0@node1=1"), "nosuch"),
    ],
)
def test_user_mistakes_are_one_line_errors(cib, capsys, argv, needle):
    rc, out, err = simulate(capsys, "--cib", str(cib), *argv)
    assert rc == 2
    assert needle in err and "Traceback" not in err
    assert out == ""


def test_malformed_cib_is_rejected_with_the_file_name(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text(CIB.replace("</resources>", "<bogus id='x'/></resources>"))
    rc, _, err = simulate(capsys, "--cib", str(bad))
    assert rc == 2
    assert str(bad) in err and "bogus" in err


def test_graph_and_dot_files_describe_the_same_actions(cib, tmp_path, capsys):
    graph, dot = tmp_path / "g.xml", tmp_path / "g.dot"
    rc, out, _ = simulate(
        capsys, "--cib", str(cib), "--node-fail", "node2", "--graph", str(graph), "--dot", str(dot)
    )
    assert rc == 0
    root = ET.parse(graph).getroot()
    assert root.tag == "transition_graph"
    keys = {e.get("operation_key") for e in root.iter() if e.get("operation_key")}
    assert "web_start_0" in keys
    assert dot.read_text().startswith('digraph "g" {')
    assert "web_start_0 node1" in dot.read_text()
    executed = section(out, "Executing Cluster Transition:")
    assert any("web" in ln and "start on node1" in ln for ln in executed)


def test_show_scores_lists_every_node_for_every_resource(cib, capsys):
    rc, out, _ = simulate(capsys, "--cib", str(cib), "--show-scores")
    assert rc == 0
    scores = [ln for ln in out.splitlines() if "allocation score on" in ln]
    assert {ln.split()[1] for ln in scores} == {"fence1", "web"}
    assert any(ln.endswith("web allocation score on node2: 50") for ln in scores) or any(
        "web allocation score on node2" in ln for ln in scores
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason="Pacemaker corpus not present")
@pytest.mark.parametrize("case", ["simple1", "simple4"])
def test_whole_output_matches_crm_simulate_on_simple_cases(case, capsys):
    rc, out, _ = simulate(capsys, "--cib", str(CORPUS / "xml" / f"{case}.xml"))
    assert rc == 0
    expected = (CORPUS / "summary" / f"{case}.summary").read_text()

    def norm(text: str) -> list[str]:
        return ["".join(ln.split()) for ln in text.splitlines() if ln.strip()]

    assert norm(out) == norm(expected)
