"""crm_mon-style status text: node list, resource states, clones, and the revised status."""

from __future__ import annotations

from actors.crm.cib import parse_cib
from actors.crm.scheduler.model import Action, NodeView, ResourceView, Transition
from actors.crm.scheduler.status_text import after, header_lines, node_lines, resource_lines

CIB = """<cib><configuration><crm_config/><nodes>
  <node id="1" uname="n1"/><node id="2" uname="n2"/><node id="10" uname="n10"/></nodes>
  <resources>
    <primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/>
    <primitive id="b" class="ocf" provider="heartbeat" type="Dummy">
      <meta_attributes id="b-meta"><nvpair id="b-p" name="priority" value="5"/></meta_attributes>
    </primitive>
    <group id="g"><primitive id="g1" class="lsb" type="nfs"/></group>
    <clone id="c"><primitive id="cd" class="ocf" provider="pacemaker" type="Dummy"/></clone>
  </resources><constraints/></configuration><status/></cib>"""


def view(rid: str, *nodes: str, **kw) -> ResourceView:
    base = {"failed": False, "managed": True, "role": "Started" if nodes else "Stopped"}
    return ResourceView(rid, "ocf:heartbeat:Dummy", tuple(nodes), **{**base, **kw})


def node(name: str, **kw) -> NodeView:
    base = {"online": True, "unclean": False, "standby": False, "maintenance": False}
    return NodeView(name, **{**base, **kw})


def test_node_list_special_states_first_then_natural_sorted_lists():
    nodes = (
        node("n10"),
        node("n2"),
        node("n3", online=False),
        node("n4", unclean=True, online=False),
        node("n5", standby=True),
        node("n1"),
    )
    lines = [ln.strip() for ln in node_lines(nodes, busy={"n5"})]
    assert lines == [
        "* Node List:",
        "* Node n4: UNCLEAN (offline)",
        "* Node n5: standby (with active resources)",
        "* Online: [ n1 n2 n10 ]",
        "* OFFLINE: [ n3 ]",
    ]


def test_resources_in_priority_order_with_state_flags_groups_and_clones():
    cib = parse_cib(CIB, "t")
    nodes = (node("n1"), node("n2", unclean=True, online=False), node("n10"))
    resources = (
        view("a", "n2"),
        view("b", "n1", failed=True, blocked=True),
        view("g1", target_role_stopped=True, managed=False),
        view("cd:0", "n1"),
        view("cd:1", "n10"),
    )
    lines = [ln.strip() for ln in resource_lines(cib, resources, nodes)]
    assert lines == [
        "* Full List of Resources:",
        "* b\t(ocf:heartbeat:Dummy):\t FAILED n1 (blocked)",
        "* a\t(ocf:heartbeat:Dummy):\t Started n2 (UNCLEAN)",
        "* Resource Group: g (unmanaged):",
        "* g1\t(ocf:heartbeat:Dummy):\t Stopped (disabled, unmanaged)",
        "* Clone Set: c [cd]:",
        "* Started: [ n1 n10 ]",
        "* Stopped: [ n2 ]",
    ]
    assert header_lines(resources)[0].startswith("1 of 5 resource instances DISABLED and 1 BLOCKED")


def test_after_applies_fencing_stops_and_starts():
    nodes = (node("n1"), node("n2", unclean=True, online=False))
    resources = (view("a", "n2"), view("b", "n1", failed=True), view("c", "n1"))
    actions = (
        Action(0, "stonith", None, "n2"),
        Action(1, "stop", "a", "n2", pseudo=True),
        Action(2, "start", "a", "n1"),
        Action(3, "stop", "b", "n1"),
        Action(4, "start", "b", "n1"),
        Action(5, "start", "c", "n2", runnable=False),
    )
    transition = Transition(actions, (), (), {}, {}, {}, nodes=nodes, resources=resources)
    new_nodes, new_resources = after(transition)
    assert [(n.name, n.online, n.unclean) for n in new_nodes] == [
        ("n1", True, False),
        ("n2", False, False),
    ]
    by_id = {v.id: v for v in new_resources}
    assert by_id["a"].current == ("n1",)
    assert by_id["b"].current == ("n1",) and not by_id["b"].failed
    assert by_id["c"].current == ("n1",)
