"""Fencer actors of several nodes connected in one process: A asks, B executes, C is fenced,
and every node ends up with the same history."""

from __future__ import annotations

import pytest
from support_local_node import alive, descendants, start_node, wait_for, write_config

from actors.agents.execute import RunAgent
from actors.agents.metadata import parse_metadata
from actors.agents.results import ExecStatus, OcfResult, OpResult
from fencing.agents import AgentLocator
from fencing.fencer import Fencer, GetHistory, RegisterDevice, SubscribeFencing, call
from fencing.messages import FenceRequest, Membership, Recorded
from fencing.peers import InProcessPeers

META = """<resource-agent name="fence_fake"><parameters>
<parameter name="port"><content type="string"/></parameter></parameters>
<actions><action name="off"/><action name="on"/><action name="reboot"/><action name="status"/>
<action name="metadata"/></actions></resource-agent>"""


class FakeLocator:
    """fence_fake: off works, then status says off; every run is remembered with its node."""

    def __init__(self, node: str, runs: list) -> None:
        self.node, self.runs = node, runs

    def metadata(self, agent: str):
        return parse_metadata(META, agent)

    def aliases(self, agent: str) -> dict[str, str]:
        return {}

    def run(self, req: RunAgent) -> OpResult:
        self.runs.append((self.node, req.action, req.params.get("port")))
        code = 2 if req.action == "status" else 0
        return OpResult(OcfResult.from_exit(code), ExecStatus.DONE, exit_code=code)


def start_cluster(nodes, make_locator):
    peers = InProcessPeers()
    refs = {n: Fencer.start(n, None, make_locator(n), link=peers.link(n)) for n in nodes}
    for ref in refs.values():
        ref.tell(Membership(tuple(nodes)))
    return peers, refs


def same_history(refs, count: int):
    histories = [ref.ask(GetHistory()) for ref in refs.values()]
    return len(histories[0]) == count and all(h == histories[0] for h in histories) and histories


def test_a_asks_b_executes_c_is_fenced_same_history_everywhere():
    runs: list = []
    peers, refs = start_cluster("ABC", lambda n: FakeLocator(n, runs))
    told = Inbox()
    try:
        refs["C"].tell(SubscribeFencing(told))
        options = {"pcmk_host_map": "C:7", "rl_run_on": "B"}  # the same everywhere, B runs it
        refs["A"].ask(RegisterDevice("pdu", "fence_fake", options))
        event = call(refs["A"], lambda r: FenceRequest("C", "off", r, "test"), 60)
        assert event.ok and event.origin == "A" and event.executor == "B", event
        assert runs == [("B", "off", "7"), ("B", "status", "7")]
        [history, *_] = wait_for(lambda: same_history(refs, 1), what="the same history")
        assert history == [event]
        assert told.got == [Recorded(event)]  # C's subscriber hears of it, though A asked
    finally:
        for ref in refs.values():
            ref.stop()


@pytest.mark.cluster
def test_b_fences_a_real_node_c_with_the_built_in_agent(cluster_dir, node_env):
    victim = write_config(cluster_dir, "node2")  # node2 is C: a real node supervisor
    proc = start_node(victim, node_env)
    peers, refs = start_cluster(("A", "B", "node2"), lambda n: AgentLocator())
    try:
        tree = descendants(proc.pid) | {proc.pid}
        options = {"state_root": str(cluster_dir / "state"), "pcmk_host_list": "node2"}
        options["rl_run_on"] = "B"
        refs["B"].ask(RegisterDevice("local", "fence_ringleader", options))
        event = call(refs["A"], lambda r: FenceRequest("node2", "off", r, "test"), 120)
        assert event.ok and event.executor == "B" and event.devices == ("local",), event
        assert proc.wait(timeout=60) == -9
        wait_for(lambda: not any(alive(p) for p in tree), what="node2's processes gone")
        wait_for(lambda: same_history(refs, 1), what="the same history everywhere")
    finally:
        for ref in refs.values():
            ref.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Inbox:
    def __init__(self) -> None:
        self.got: list = []

    def tell(self, message) -> None:
        self.got.append(message)


def test_in_process_peers_broadcast_in_node_order_and_drop_a_node_that_left():
    peers = InProcessPeers()
    boxes = {n: Inbox() for n in ("b", "a", "c")}
    links = {n: peers.link(n)(box) for n, box in boxes.items()}
    links["b"].broadcast("hello")
    links["a"].send("c", "psst")
    assert peers.members() == ("a", "b", "c")
    assert [boxes[n].got for n in "abc"] == [["hello"], ["hello"], ["hello", "psst"]]
    peers.leave("c")
    links["c"].broadcast("from the dead")
    links["a"].send("c", "lost")
    links["a"].broadcast("again")
    assert [boxes[n].got[-1] for n in "abc"] == ["again", "again", "psst"]
