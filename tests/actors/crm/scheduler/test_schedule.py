"""Scheduler behaviour on small hand-written CIBs (the corpus test covers Pacemaker parity)."""

from __future__ import annotations

import pytest

from actors.crm.cib import parse_cib
from actors.crm.scheduler import Unsupported, format_summary, schedule


def cib(resources: str, constraints: str = "", status: str | None = None, options: str = "") -> str:
    if status is None:
        status = "".join(
            f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
            f'expected="member"/>'
            for n in ("n1", "n2", "n3")
        )
    return f"""<cib have-quorum="1"><configuration>
      <crm_config><cluster_property_set id="o">
        <nvpair id="o1" name="stonith-enabled" value="false"/>{options}
      </cluster_property_set></crm_config>
      <nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/><node id="n3" uname="n3"/></nodes>
      <resources>{resources}</resources><constraints>{constraints}</constraints>
    </configuration><status>{status}</status></cib>"""


def prim(rid: str, meta: str = "") -> str:
    meta_el = f'<meta_attributes id="{rid}-m">{meta}</meta_attributes>' if meta else ""
    head = f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
    return f"{head}{meta_el}</primitive>"


def running(node: str, *rscs: str, extra: str = "", attrs: str = "", **state: str) -> str:
    fields = {"in_ccm": "true", "crmd": "online", "join": "member", "expected": "member"}
    fields.update(state)
    lrm = "".join(
        f'<lrm_resource id="{r}" class="ocf" provider="pacemaker" type="Dummy">'
        f'<lrm_rsc_op id="{r}_start_0" operation="start" call-id="1" rc-code="0" op-status="0" '
        f'interval="0" transition-key="1:1:0:x"/></lrm_resource>'
        for r in rscs
    )
    ta = (
        f'<transient_attributes id="{node}"><instance_attributes id="{node}-ta">{attrs}'
        f"</instance_attributes></transient_attributes>"
        if attrs
        else ""
    )
    kv = " ".join(f'{k}="{v}"' for k, v in fields.items())
    return (
        f'<node_state id="{node}" uname="{node}" {kv}><lrm id="{node}"><lrm_resources>'
        f"{lrm}{extra}</lrm_resources></lrm>{ta}</node_state>"
    )


def online(*nodes: str) -> str:
    return "".join(running(n) for n in nodes)


def summary(text: str) -> list[str]:
    return [" ".join(line.split()) for line in format_summary(schedule(parse_cib(text)).summary)]


def test_location_preference_places_the_resource() -> None:
    t = schedule(parse_cib(cib(prim("a"), '<rsc_location id="l" rsc="a" node="n2" score="50"/>')))
    assert t.placement == {"a": "n2"}
    assert summary(cib(prim("a"), '<rsc_location id="l" rsc="a" node="n2" score="50"/>')) == [
        "* Start a ( n2 )"
    ]


def test_equal_scores_spread_resources_over_nodes() -> None:
    t = schedule(parse_cib(cib(prim("a") + prim("b") + prim("c"))))
    assert sorted(t.placement.values()) == ["n1", "n2", "n3"]


def test_stickiness_keeps_a_running_resource_against_a_weaker_preference() -> None:
    con = '<rsc_location id="l" rsc="a" node="n2" score="50"/>'
    status = running("n1", "a") + online("n2", "n3")
    sticky = cib(prim("a", '<nvpair id="s" name="resource-stickiness" value="100"/>'), con, status)
    loose = cib(prim("a"), con, status)
    assert summary(sticky) == []
    assert summary(loose) == ["* Move a ( n1 -> n2 )"]


def test_negative_infinity_colocation_separates() -> None:
    con = (
        '<rsc_location id="l1" rsc="a" node="n1" score="100"/>'
        '<rsc_location id="l2" rsc="b" node="n1" score="100"/>'
        '<rsc_colocation id="c" rsc="b" with-rsc="a" score="-INFINITY"/>'
    )
    t = schedule(parse_cib(cib(prim("a") + prim("b"), con)))
    assert t.placement["a"] == "n1" and t.placement["b"] not in (None, "n1")


def test_infinity_colocation_follows_the_primary_or_stays_stopped() -> None:
    con = (
        '<rsc_location id="l1" rsc="a" node="n3" score="100"/>'
        '<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY"/>'
    )
    t = schedule(parse_cib(cib(prim("a") + prim("b"), con)))
    assert t.placement == {"a": "n3", "b": "n3"}
    stopped = cib(prim("a", '<nvpair id="r" name="target-role" value="Stopped"/>') + prim("b"), con)
    assert schedule(parse_cib(stopped)).placement == {"a": None, "b": None}


def test_mandatory_order_blocks_then_when_first_cannot_run() -> None:
    res = prim("a", '<nvpair id="r" name="target-role" value="Stopped"/>') + prim("b")
    con = '<rsc_order id="o" first="a" then="b"/>'
    status = running("n1", "b") + online("n2", "n3")
    assert summary(cib(res, con, status)) == ["* Stop b ( n1 ) due to unrunnable a start"]


def test_standby_node_is_emptied() -> None:
    status = running("n1", "a", attrs='<nvpair id="sb" name="standby" value="on"/>') + online(
        "n2", "n3"
    )
    assert summary(cib(prim("a"), "", status)) == ["* Move a ( n1 -> n2 )"]


def test_failcount_at_migration_threshold_bans_the_node() -> None:
    res = prim("a", '<nvpair id="mt" name="migration-threshold" value="2"/>')
    bad = '<nvpair id="fc" name="fail-count-a#monitor_10000" value="2"/>'
    status = running("n1", "a", attrs=bad) + online("n2", "n3")
    t = schedule(parse_cib(cib(res, "", status)))
    assert t.placement["a"] == "n2"
    assert any("migration-threshold" in c.source for c in t.explain["a"])


def test_unclean_node_is_fenced_before_its_resources_move() -> None:
    status = running("n1", "a", in_ccm="false", crmd="offline") + online("n2", "n3")
    text = cib(prim("a"), "", status).replace('value="false"/>', 'value="true"/>', 1)
    t = schedule(parse_cib(text))
    lines = [" ".join(x.split()) for x in format_summary(t.summary)]
    assert lines == [
        "* Fence (reboot) n1 'peer is no longer part of the cluster'",
        "* Move a ( n1 -> n2 )",
    ]
    fence = next(a for a in t.actions if a.task == "stonith")
    stop = next(a for a in t.actions if a.task == "stop" and a.rsc == "a")
    start = next(a for a in t.actions if a.task == "start" and a.rsc == "a")
    assert stop.pseudo and (fence.id, stop.id) in t.edges and (stop.id, start.id) in t.edges


def test_failed_monitor_is_recovered_in_place() -> None:
    failed = (
        '<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">'
        '<lrm_rsc_op id="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" '
        'interval="0" transition-key="1:1:0:x"/>'
        '<lrm_rsc_op id="a_monitor_10000" operation="monitor" call-id="2" rc-code="1" '
        'op-status="4" interval="10000" transition-key="2:1:0:x"/></lrm_resource>'
    )
    status = running("n1", extra=failed) + online("n2", "n3")
    assert summary(cib(prim("a"), "", status)) == ["* Recover a ( n1 )"]


def test_no_quorum_stop_policy_stops_everything() -> None:
    text = cib(prim("a"), "", running("n1", "a") + online("n2")).replace(
        'have-quorum="1"', 'have-quorum="0"'
    )
    assert summary(text) == ["* Stop a ( n1 ) due to no quorum"]


def test_anonymous_clone_runs_one_instance_per_node() -> None:
    t = schedule(parse_cib(cib(f'<clone id="c">{prim("a")}</clone>')))
    assert t.placement == {"a:0": "n1", "a:1": "n2", "a:2": "n3"}


def test_clone_node_max_and_clone_max_bound_the_instances() -> None:
    meta = (
        '<meta_attributes id="c-m"><nvpair id="c1" name="clone-max" value="4"/>'
        '<nvpair id="c2" name="clone-node-max" value="2"/></meta_attributes>'
    )
    t = schedule(parse_cib(cib(f'<clone id="c">{prim("a")}{meta}</clone>')))
    placed = list(t.placement.values())
    assert len(placed) == 4 and all(placed.count(n) <= 2 for n in ("n1", "n2", "n3"))


PROMOTABLE = (
    '<meta_attributes id="c-m"><nvpair id="p" name="promotable" value="true"/></meta_attributes>'
)


def test_promotable_clone_promotes_where_the_promoted_role_scores_best() -> None:
    where = (
        '<rsc_location id="l" rsc="c"><rule id="l-r" role="Promoted" score="10">'
        '<expression id="l-e" attribute="#uname" operation="eq" value="n2"/></rule></rsc_location>'
    )
    lines = summary(cib(f'<clone id="c">{prim("a")}{PROMOTABLE}</clone>', where))
    assert len(lines) == 3
    assert [ln for ln in lines if "Promote" in ln] == ["* Promote a:1 ( Stopped -> Promoted n2 )"]


def test_promotable_clone_without_a_promotion_score_only_starts() -> None:
    lines = summary(cib(f'<clone id="c">{prim("a")}{PROMOTABLE}</clone>'))
    assert lines == ["* Start a:0 ( n1 )", "* Start a:1 ( n2 )", "* Start a:2 ( n3 )"]


def test_promotable_cloned_groups_are_reported_unsupported_not_mis_scheduled() -> None:
    group = f'<group id="g">{prim("a")}</group>'
    with pytest.raises(Unsupported, match="clone c"):
        schedule(parse_cib(cib(f'<clone id="c">{group}{PROMOTABLE}</clone>')))


def _promotable(monitors: bool = True) -> str:
    ops = (
        '<operations><op id="s-mp" name="monitor" interval="10s" role="Promoted"/>'
        '<op id="s-mu" name="monitor" interval="11s" role="Unpromoted"/></operations>'
        if monitors
        else ""
    )
    return (
        '<clone id="sc"><meta_attributes id="sc-m"><nvpair id="sc-p" name="promotable" '
        'value="true"/><nvpair id="sc-cm" name="clone-max" value="2"/></meta_attributes>'
        f'<primitive id="s" class="ocf" provider="pacemaker" type="Stateful">{ops}</primitive>'
        "</clone>"
    )


def _stateful(node: str, *ops: tuple[str, int, int], attrs: str = "") -> str:
    """`node` with Stateful's history: (operation, interval_ms, rc) in call order."""
    records = "".join(
        f'<lrm_rsc_op id="s_{op}_{interval}_{i}" operation="{op}" call-id="{i + 1}" '
        f'rc-code="{rc}" op-status="0" interval="{interval}" '
        f'transition-key="{i}:1:{rc if op == "monitor" and interval else 0}:x"/>'
        for i, (op, interval, rc) in enumerate(ops)
    )
    extra = f'<lrm_resource id="s" class="ocf" provider="pacemaker" type="Stateful">{records}'
    return running(node, extra=extra + "</lrm_resource>", attrs=attrs)


def _promoted_n1_goes_standby() -> str:
    """s promoted on n1, which is put in standby; s unpromoted on n2, next best score."""
    standby = (
        '<nvpair id="sb" name="standby" value="on"/><nvpair id="m1" name="master-s" value="10"/>'
    )
    return _stateful(
        "n1", ("start", 0, 0), ("promote", 0, 0), ("monitor", 10000, 8), attrs=standby
    ) + _stateful(
        "n2", ("start", 0, 0), ("monitor", 11000, 0),
        attrs='<nvpair id="m2" name="master-s" value="5"/>',
    )  # fmt: skip


def _graph(text: str):
    t = schedule(parse_cib(text))
    found = {(a.task, a.node, a.interval_ms): a.id for a in t.actions if a.rsc}
    return t, found


def test_a_new_promotable_instance_is_started_then_promoted_then_monitored_in_its_role() -> None:
    score = '<nvpair id="{n}-ms" name="master-s" value="{v}"/>'
    status = running("n1", attrs=score.format(n="n1", v=10)) + running(
        "n2", attrs=score.format(n="n2", v=5)
    )  # n3 is offline
    t, found = _graph(cib(_promotable(), "", status))
    promoted = next(a for a in t.actions if a.task == "promote")
    start = found[("start", promoted.node, 0)]
    assert (start, promoted.id) in t.edges
    monitor = found[("monitor", promoted.node, 10000)]  # its Promoted monitor, after promote
    assert (promoted.id, monitor) in t.edges
    assert ("monitor", promoted.node, 11000) not in found
    other = "n2" if promoted.node == "n1" else "n1"
    assert ("monitor", other, 11000) in found and ("monitor", other, 10000) not in found


def test_a_promoted_instance_is_demoted_before_it_stops_and_the_other_promoted_after() -> None:
    status = _promoted_n1_goes_standby()
    t, found = _graph(cib(_promotable(), "", status))
    demote, stop = found[("demote", "n1", 0)], found[("stop", "n1", 0)]
    promote = found[("promote", "n2", 0)]
    assert (demote, stop) in t.edges and (demote, promote) in t.edges
    assert (promote, found[("monitor", "n2", 10000)]) in t.edges
    assert ("start", "n2", 0) not in found  # promoted in place


def test_a_promotable_monitors_expected_result_follows_its_role() -> None:
    from actors.crm.cib import parse_cib as parse
    from actors.crm.controller.operations import expected_rc, primitives
    from actors.crm.scheduler.model import Action

    prim_s = primitives(parse(cib(_promotable())))["s"]
    assert expected_rc(Action(0, "monitor", "s:0", "n1", 10000), prim_s) == 8
    assert expected_rc(Action(0, "monitor", "s:0", "n1", 11000), prim_s) == 0
    assert expected_rc(Action(0, "monitor", "s:0", "n1", 0), prim_s) == 7


def test_a_live_migration_tells_both_halves_where_from_and_where_to() -> None:
    from actors.crm.cib import parse_cib as parse
    from actors.crm.controller.operations import command_for

    res = prim("a", '<nvpair id="am" name="allow-migrate" value="true"/>')
    status = running("n1", "a", attrs='<nvpair id="sb" name="standby" value="on"/>') + online(
        "n2", "n3"
    )
    text = cib(res, "", status)
    t = schedule(parse_cib(text))
    graph = [a for a in t.actions if a.task.startswith("migrate")]
    assert sorted((a.task, a.node) for a in graph) == [("migrate_from", "n2"), ("migrate_to", "n1")]
    for action in graph:
        meta = command_for(action, parse(text), (), graph=t.actions).meta
        assert (meta["migrate_source"], meta["migrate_target"]) == ("n1", "n2")
        assert meta["on_node"] == action.node


def test_a_notifying_clone_is_told_before_and_after_each_change_in_turn() -> None:
    res = _promotable().replace(
        '<nvpair id="sc-p" name="promotable" value="true"/>',
        '<nvpair id="sc-p" name="promotable" value="true"/>'
        '<nvpair id="sc-n" name="notify" value="true"/>',
    )
    status = _promoted_n1_goes_standby()
    t = schedule(parse_cib(cib(res, "", status)))
    by = {(a.task, a.node): a for a in t.actions}
    edges = set(t.edges)
    # demote on n1, stop on n1, promote on n2: pre to the active, the change, post to the rest
    assert (by[("pre_notify_demote", "n2")].id, by[("demote", "n1")].id) in edges
    assert (by[("demote", "n1")].id, by[("post_notify_demote", "n1")].id) in edges
    assert (by[("post_notify_demote", "n1")].id, by[("pre_notify_stop", "n1")].id) in edges
    assert (by[("stop", "n1")].id, by[("post_notify_stop", "n2")].id) in edges
    assert ("post_notify_stop", "n1") not in by  # stopped: told no more
    assert (by[("post_notify_stop", "n2")].id, by[("pre_notify_promote", "n2")].id) in edges
    assert (by[("promote", "n2")].id, by[("post_notify_promote", "n2")].id) in edges
    meta = dict(by[("pre_notify_promote", "n2")].meta)
    assert (meta["notify_type"], meta["notify_operation"]) == ("pre", "promote")
    assert meta["notify_promote_uname"] == "n2" and meta["notify_stop_uname"] == "n1"
    assert meta["notify_promoted_uname"] == meta["notify_master_uname"] == "n1"
    assert meta["notify_active_uname"] == "n1 n2"


def test_notifications_run_as_the_agents_notify_and_post_ones_survive_an_abort() -> None:
    from actors.crm.controller.operations import command_for
    from actors.crm.scheduler.model import Action, Transition
    from actors.crm.transition.engine import TransitionEngine

    text = cib(_promotable())
    post = Action(2, "post_notify_start", "s:0", "n1", meta=(("notify_type", "post"),))
    command = command_for(post, parse_cib(text), ())
    assert command.action == "notify" and command.meta["notify_type"] == "post"
    actions = (
        Action(0, "start", "s:0", "n1"),
        Action(1, "pre_notify_promote", "s:0", "n1"),
        post,
    )
    engine = TransitionEngine(Transition(actions, ((0, 2), (0, 1)), (), {}, {}, {}, {}, (), ()))
    assert [a.id for a in engine.start()] == [0]
    engine.abort("an attribute changed")  # the agent set its promotion score in its start
    assert [a.id for a in engine.completed(0, True)] == [2]  # the post one still goes out
