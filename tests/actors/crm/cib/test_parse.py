"""CIB reading: the whole corpus reads and round-trips; mistakes are errors naming the path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actors.crm.cib import CibError, parse_cib, parse_cib_file, write_cib
from actors.crm.cib.model import Clone, Group, Primitive
from actors.errors import UserError

CORPUS = Path(__file__).resolve().parents[4].parent / "shared" / "pacemaker-2.1.5-scheduler"

MINIMAL = """<cib have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o">
    <nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
  <resources>
    <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
      <instance_attributes id="ip-i"><nvpair id="ip-i1" name="ip" value="10.0.0.1"/>
      </instance_attributes>
      <operations><op id="ip-m" name="monitor" interval="10s"/></operations>
    </primitive>
    <group id="g"><primitive id="a" class="lsb" type="a"/><primitive id="b" class="lsb" type="b"/>
    </group>
    <clone id="c"><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></clone>
  </resources>
  <constraints>
    <rsc_location id="l1" rsc="ip" node="n1" score="INFINITY"/>
    <rsc_colocation id="c1" rsc="g" with-rsc="ip" score="100"/>
    <rsc_order id="o1" first="ip" then="g" kind="Optional"/>
  </constraints>
</configuration><status/></cib>"""


def test_minimal_cib_is_read_into_the_model() -> None:
    cib = parse_cib(MINIMAL)
    ip, g, c = cib.resources
    assert isinstance(ip, Primitive) and ip.agent == "ocf:heartbeat:IPaddr2"
    assert ip.ops[0].interval_ms == 10000
    assert dict(ip.instance[0].values) == {"ip": "10.0.0.1"}
    assert isinstance(g, Group) and [p.id for p in g.children] == ["a", "b"]
    assert isinstance(c, Clone) and not c.promotable
    assert cib.locations[0].score == "INFINITY"
    assert cib.orders[0].kind == "Optional"
    assert [n.uname for n in cib.nodes] == ["n1", "n2"]


@pytest.mark.parametrize(
    ("bad", "path", "what"),
    [
        ("<nodes>", "<nodez>", "unknown element <nodez>"),
        ('rsc="ip" node="n1"', 'rsc="ipp" node="n1"', "unknown resource 'ipp'"),
        ('kind="Optional"', 'kind="Sometimes"', "kind 'Sometimes'"),
        ('interval="10s"', 'interval="ten"', "'ten' is not a duration"),
        ('class="lsb" type="a"', 'class="lbs" type="a"', "unknown class 'lbs'"),
    ],
)
def test_mistakes_name_the_element_path(bad: str, path: str, what: str) -> None:
    text = MINIMAL.replace(bad, path, 1)
    if bad == "<nodes>":
        text = text.replace("</nodes>", "</nodez>")
    with pytest.raises(CibError) as err:
        parse_cib(text, "cib.xml")
    assert isinstance(err.value, UserError)
    assert str(err.value).startswith("cib.xml: /cib/configuration")
    assert what in str(err.value)


def test_not_well_formed_is_rejected_with_the_file_name() -> None:
    with pytest.raises(CibError, match="cib.xml: not well-formed"):
        parse_cib("<cib><configuration>", "cib.xml")


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read CIB"):
        parse_cib_file(tmp_path / "nope.xml")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus absent")
def test_every_corpus_cib_round_trips() -> None:
    rejected = []
    for path in sorted((CORPUS / "xml").glob("*.xml")):
        try:
            cib = parse_cib_file(path)
        except CibError as exc:
            rejected.append(str(exc))
            continue
        assert parse_cib(write_cib(cib)) == cib, path.name
    assert rejected == []


def test_an_unknown_order_kind_is_mandatory_only_without_schema(caplog) -> None:
    """Pacemaker's order-wrong-kind case: with validate-with="none" (no schema) an unknown kind
    is read as Mandatory, with a warning naming the element; with a schema it is rejected."""
    text = MINIMAL.replace('kind="Optional"', 'kind="Sometimes"', 1)
    schemaless = re.sub(r'validate-with="[^"]*"', 'validate-with="none"', text, count=1)
    if schemaless == text:
        schemaless = text.replace("<cib ", '<cib validate-with="none" ', 1)
    cib = parse_cib(schemaless, "cib.xml")
    assert cib.orders[0].kind == "Mandatory"
    assert "kind 'Sometimes'" in caplog.text and "read as Mandatory" in caplog.text
    with pytest.raises(CibError):
        parse_cib(text.replace("<cib ", '<cib validate-with="pacemaker-3.9" ', 1), "cib.xml")
