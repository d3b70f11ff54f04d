"""The seeded CIB generator: reproducible, well-formed, and shaped as asked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from actors.crm.cib import parse_cib
from actors.crm.scheduler.generate import Shape, generate_cib


def test_same_seed_same_cib_and_another_seed_another():
    shape = Shape(4, 40)
    assert generate_cib(shape, seed=7) == generate_cib(shape, seed=7)
    assert generate_cib(shape, seed=7) != generate_cib(shape, seed=8)


def test_shape_is_respected():
    shape = Shape(5, 60, location_ratio=0.5, colocation_ratio=0.25, order_ratio=0.2)
    root = ET.fromstring(generate_cib(shape, seed=3))
    assert len(root.findall("configuration/nodes/node")) == 5
    assert len(root.findall("configuration/resources/primitive")) == 60
    assert len(root.findall("configuration/constraints/rsc_location")) == 30
    assert len(root.findall("configuration/constraints/rsc_colocation")) == 15
    assert len(root.findall("configuration/constraints/rsc_order")) == 12
    assert len(root.findall("status/node_state")) == 5


def test_colocations_and_orders_point_to_earlier_resources_so_there_are_no_loops():
    root = ET.fromstring(generate_cib(Shape(3, 200), seed=11))
    for c in root.iter("rsc_colocation"):
        assert c.get("with-rsc") < c.get("rsc")
    for o in root.iter("rsc_order"):
        assert o.get("first") < o.get("then")


def test_running_resources_have_a_successful_start_on_exactly_one_node():
    root = ET.fromstring(generate_cib(Shape(4, 100, running_ratio=0.5), seed=2))
    where: dict[str, list[str]] = {}
    for state in root.iter("node_state"):
        for rsc in state.iter("lrm_resource"):
            op = rsc.find("lrm_rsc_op")
            assert op.get("operation") == "start" and op.get("rc-code") == "0"
            where.setdefault(rsc.get("id"), []).append(state.get("uname"))
    assert where and all(len(nodes) == 1 for nodes in where.values())


def test_our_cib_parser_accepts_it():
    cib = parse_cib(generate_cib(Shape(3, 30), seed=5), "generated")
    assert len(cib.nodes) == 3
