"""The operator's edits: each one, the ids pcs would give, refusals naming the element, and move,
ban and clear leaving nothing behind."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from actors.crm.cib.edit import (
    EMPTY_CIB,
    AddColocation,
    AddLocation,
    AddOrder,
    BanResource,
    ClearResource,
    CreatePrimitive,
    DeleteResource,
    MoveResource,
    OpSpec,
    RemoveConstraint,
    ReplaceConfiguration,
    SetNodeStandby,
    SetProperty,
    SetTargetRole,
    apply_change,
    normalize,
)
from actors.crm.cib.parse import CibError, parse_cib
from actors.crm.scheduler.options import plain_values
from actors.crm.scheduler.rules import evaluate


def edit(xml: str, *changes) -> str:
    for change in changes:
        xml = apply_change(xml, change).xml
    return xml


def ids(xml: str, tag: str) -> list[str]:
    return [el.get("id") for el in ET.fromstring(xml).iter(tag)]


def base() -> str:
    return edit(
        EMPTY_CIB,
        CreatePrimitive("web", "ocf:heartbeat:apache", (("configfile", "/etc/a.conf"),)),
        CreatePrimitive("ip", "ocf:heartbeat:IPaddr2", (("ip", "10.0.0.9"),)),
    )


def test_create_primitive_as_pcs_names_it_with_a_default_monitor():
    xml = base()
    cib = parse_cib(xml)
    web = cib.resources[0]
    assert (web.id, web.agent) == ("web", "ocf:heartbeat:apache")
    assert plain_values(web.instance) == {"configfile": "/etc/a.conf"}
    assert [(op.name, op.interval_ms, op.id) for op in web.ops] == [
        ("monitor", 60000, "web-monitor-interval-60s")
    ]
    assert "web-instance_attributes-configfile" in ids(xml, "nvpair")


def test_create_with_ops_meta_group_and_clone():
    xml = edit(
        EMPTY_CIB,
        CreatePrimitive(
            "a",
            "ocf:pacemaker:Dummy",
            ops=(OpSpec("monitor", (("interval", "10s"), ("timeout", "20s"))), OpSpec("start")),
            meta=(("resource-stickiness", "100"),),
            group="g",
        ),
        CreatePrimitive("b", "ocf:pacemaker:Dummy", group="g"),
        CreatePrimitive("c", "ocf:pacemaker:Dummy", clone=True),
    )
    cib = parse_cib(xml)
    group, clone = cib.resources
    assert [p.id for p in group.children] == ["a", "b"]
    assert clone.id == "c-clone" and clone.child.id == "c"
    a = group.children[0]
    assert [op.id for op in a.ops] == ["a-monitor-interval-10s", "a-start-interval-0s"]
    assert a.ops[0].get("timeout") == "20s"
    assert plain_values(a.meta) == {"resource-stickiness": "100"}


def test_create_promotable():
    roles = (
        OpSpec("monitor", (("interval", "10s"), ("role", "Promoted"))),
        OpSpec("monitor", (("interval", "11s"), ("role", "Unpromoted"))),
    )
    xml = edit(
        EMPTY_CIB, CreatePrimitive("s", "ocf:pacemaker:Stateful", ops=roles, promotable=True)
    )
    (clone,) = parse_cib(xml).resources
    assert clone.id == "s-clone" and clone.promotable and clone.child.id == "s"
    assert [(op.interval_ms, op.role) for op in clone.child.ops] == [
        (10000, "Promoted"),
        (11000, "Unpromoted"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (CreatePrimitive("web", "ocf:heartbeat:apache"), "resource 'web': the id is already used"),
        (CreatePrimitive("x", "ocf:Dummy"), "an ocf agent needs a provider"),
        (CreatePrimitive("x", "nope:a:b"), "unknown class 'nope'"),
        (CreatePrimitive("x", "lsb"), "is not CLASS:PROVIDER:TYPE"),
        (CreatePrimitive("x", "lsb:a", group="g", clone=True), "--group and --clone do not"),
        (CreatePrimitive("x", "lsb:a", group="g", promotable=True), "--group and --promotable"),
        (
            CreatePrimitive("x", "lsb:a", ops=(OpSpec("monitor", (("interval", "soon"),)),)),
            "/cib/configuration/resources/primitive[@id='x']/operations/op[@id='x-monitor-",
        ),
        (DeleteResource("nope"), "resource 'nope': no such resource"),
        (AddLocation("web", "node1", "lots"), "score 'lots' is not a number or INFINITY"),
        (AddColocation("web", "web"), "a resource with itself"),
        (AddOrder("web", "ip", kind="Sometimes"), "kind 'Sometimes'"),
        (AddOrder("web", "ip", first_action="jump"), "action 'jump'"),
        (RemoveConstraint("nope"), "constraint 'nope': no such constraint"),
        (SetProperty("stonith-enabeld", "false"), "property 'stonith-enabeld': not a cluster"),
        (SetProperty("no-quorum-policy", "panic"), "'panic' is not one of stop"),
        (SetProperty("stonith-enabled", "maybe"), "'maybe' is not a boolean"),
        (MoveResource("nope", "node1"), "resource 'nope'"),
    ],
)
def test_refusals_name_what_is_wrong_and_change_nothing(change, message):
    xml = base()
    with pytest.raises(CibError) as info:
        apply_change(xml, change)
    assert message in str(info.value)


def test_a_bad_file_is_refused_whole_with_the_element_path():
    primitive = '<resources><primitive id="p" class="ocf"/></resources>'
    bad = EMPTY_CIB.replace("<resources/>", primitive)
    with pytest.raises(CibError) as info:
        apply_change(base(), ReplaceConfiguration(bad, "new.xml"))
    assert str(info.value).startswith("new.xml: /cib/configuration/resources/primitive[@id='p']")


def test_replace_drops_the_status_section():
    with_status = EMPTY_CIB.replace("<status/>", '<status><node_state id="1"/></status>')
    xml = apply_change(EMPTY_CIB, ReplaceConfiguration(with_status)).xml
    assert ET.fromstring(xml).find("status") is not None
    assert not list(ET.fromstring(xml).find("status"))


def test_delete_takes_the_constraints_that_name_it_and_an_emptied_group():
    xml = edit(
        base(),
        CreatePrimitive("db", "ocf:pacemaker:Dummy", group="g"),
        AddLocation("db", "node1", "100"),
        AddColocation("web", "g"),
        AddOrder("ip", "web"),
    )
    result = apply_change(xml, DeleteResource("db"))
    assert ids(result.xml, "group") == []
    assert ids(result.xml, "rsc_location") == ids(result.xml, "rsc_colocation") == []
    assert ids(result.xml, "rsc_order") == ["order-ip-web-mandatory"]
    assert result.report[0] == "deleted resource db (and group g, now empty)"
    assert sum("removed constraint" in line for line in result.report) == 2


def test_constraint_ids_are_derived_as_pcs_derives_them():
    xml = edit(
        base(),
        AddLocation("web", "node1"),
        AddLocation("web", "node2", "-infinity"),
        AddColocation("web", "ip", "500"),
        AddOrder("ip", "web", then_action="start", kind="Optional"),
    )
    assert ids(xml, "rsc_location") == [
        "location-web-node1-INFINITY",
        "location-web-node2--INFINITY",
    ]
    assert ids(xml, "rsc_colocation") == ["colocation-web-ip-500"]
    assert ids(xml, "rsc_order") == ["order-ip-web-optional"]
    with pytest.raises(CibError, match="already used"):
        apply_change(xml, AddLocation("web", "node1"))
    xml = apply_change(xml, RemoveConstraint("colocation-web-ip-500", "rsc_colocation")).xml
    assert ids(xml, "rsc_colocation") == []
    with pytest.raises(CibError, match="is a <rsc_order>, not a <rsc_location>"):
        apply_change(xml, RemoveConstraint("order-ip-web-optional", "rsc_location"))


def test_move_and_ban_then_clear_leave_nothing_behind():
    before = base()
    moved = apply_change(before, MoveResource("web", "node2"))
    assert moved.report[0] == "created cli-prefer-web: web on node2 score INFINITY"
    banned = apply_change(moved.xml, BanResource("web", "node1", "2030-01-01 00:00:00Z"))
    assert ids(banned.xml, "rsc_location") == ["cli-prefer-web", "cli-ban-web-on-node1"]
    kept = apply_change(banned.xml, AddLocation("web", "node3", "10")).xml
    cleared = apply_change(kept, ClearResource("web"))
    assert ids(cleared.xml, "rsc_location") == ["location-web-node3-10"]  # only the cli ones go
    assert len(cleared.report) == 2 and all(r.startswith("removed cli-") for r in cleared.report)
    assert cleared.xml == apply_change(before, AddLocation("web", "node3", "10")).xml
    nothing = apply_change(cleared.xml, ClearResource("web"))
    assert nothing.xml == cleared.xml and "no move or ban" in nothing.report[0]


def test_clear_of_one_node_keeps_the_others():
    xml = edit(base(), BanResource("web", "node1"), BanResource("web", "node2"))
    xml = apply_change(xml, ClearResource("web", "node1")).xml
    assert ids(xml, "rsc_location") == ["cli-ban-web-on-node2"]


def test_a_move_again_replaces_the_earlier_one():
    xml = edit(base(), MoveResource("web", "node1"))
    result = apply_change(xml, MoveResource("web", "node2"))
    assert ids(result.xml, "rsc_location") == ["cli-prefer-web"]
    assert result.report[0].startswith("replaced cli-prefer-web: web on node1")


def test_a_lifetime_is_a_rule_that_ends():
    xml = apply_change(base(), MoveResource("web", "node2", "2030-01-01 00:00:00Z")).xml
    rule = ET.fromstring(xml).find("configuration/constraints/rsc_location/rule")
    assert rule.get("score") == "INFINITY"
    attrs = {"#uname": "node2"}
    before = dt.datetime(2029, 12, 31, tzinfo=dt.UTC)
    after = dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    assert evaluate(rule, attrs, before) and not evaluate(rule, attrs, after)
    assert not evaluate(rule, {"#uname": "node1"}, before)


def test_enable_and_disable():
    xml = apply_change(base(), SetTargetRole("web", False)).xml
    web = parse_cib(xml).resources[0]
    assert plain_values(web.meta) == {"target-role": "Stopped"}
    xml = apply_change(xml, SetTargetRole("web", True)).xml
    assert normalize(xml) == normalize(base())  # nothing left behind


def test_property_set_and_unset():
    xml = apply_change(base(), SetProperty("stonith-enabled", "false")).xml
    assert plain_values(parse_cib(xml).crm_config) == {"stonith-enabled": "false"}
    assert ids(xml, "nvpair")[0] == "cib-bootstrap-options-stonith-enabled"
    xml = apply_change(xml, SetProperty("stonith-enabled", None)).xml
    assert plain_values(parse_cib(xml).crm_config) == {}


def test_standby_adds_the_node_entry_and_unstandby_removes_the_attribute():
    xml = apply_change(base(), SetNodeStandby("node2", 2, True)).xml
    (node,) = parse_cib(xml).nodes
    assert (node.id, node.uname, plain_values(node.attributes)) == ("2", "node2", {"standby": "on"})
    xml = apply_change(xml, SetNodeStandby("node2", 2, False)).xml
    (node,) = parse_cib(xml).nodes
    assert plain_values(node.attributes) == {}


def test_an_edit_that_changes_nothing_returns_the_same_text():
    xml = normalize(base())
    assert apply_change(xml, SetNodeStandby("node1", 1, False)).xml != xml  # adds the node
    xml = apply_change(xml, SetNodeStandby("node1", 1, False)).xml
    assert apply_change(xml, SetNodeStandby("node1", 1, False)).xml == xml
