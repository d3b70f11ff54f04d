"""The fencer core over several nodes, messages delivered by hand: who executes, levels,
failures, and the same history everywhere."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from fencing.core import FencerCore
from fencing.device import make_device
from fencing.messages import (
    Broadcast,
    ConfirmDown,
    DeviceOutcome,
    DeviceRan,
    FenceEvent,
    FenceRequest,
    FenceState,
    ListCapable,
    Membership,
    Recorded,
    Reply,
    RunDevice,
    Send,
    SetTimer,
    TimerFired,
)
from fencing.topology import make_level

Runner = Callable[[str, RunDevice], DeviceOutcome]


def ok_runner(node: str, run: RunDevice) -> DeviceOutcome:
    if run.action == "status":
        return DeviceOutcome(True, power="off")
    if run.action == "list":
        return DeviceOutcome(True, output="")
    return DeviceOutcome(True)


class Cluster:
    """Cores on a lossless network; a broadcast reaches every live member in one order."""

    def __init__(self, *nodes: str, runner: Runner = ok_runner) -> None:
        self.cores = {n: FencerCore(n, "t") for n in nodes}
        self.up = set(nodes)
        self.runner = runner
        self.now = 1000.0
        self.queue: deque[tuple[str, object]] = deque()
        self.replies: dict[str, list] = {}
        self.runs: list[tuple[str, RunDevice]] = []
        self.timers: dict[str, dict] = {n: {} for n in nodes}
        self.recorded: dict[str, list[FenceEvent]] = {n: [] for n in nodes}
        self.held: list[tuple[str, RunDevice]] = []  # runs of nodes that "hang"
        self.hang: set[str] = set()
        for core in self.cores.values():
            core.members = tuple(nodes)

    def add(self, node: str) -> None:
        """A new node, not a member yet."""
        self.cores[node] = FencerCore(node, "t")
        self.timers[node], self.recorded[node] = {}, []
        self.up.add(node)

    def device(self, node: str, device_id: str, agent: str = "fence_x", **options: str) -> None:
        self.cores[node].register(make_device(device_id, agent, options))

    def tell(self, node: str, event: object) -> None:
        self.queue.append((node, event))
        self.run()

    def run(self) -> None:
        while self.queue:
            node, event = self.queue.popleft()
            if node not in self.up:
                continue
            for effect in self.cores[node].handle(event, self.now):
                self.effect(node, effect)

    def effect(self, node: str, effect: object) -> None:
        match effect:
            case Broadcast(payload):
                for member in sorted(self.up):
                    self.queue.append((member, payload))
            case Send(dest, payload):
                self.queue.append((dest, payload))
            case RunDevice():
                self.runs.append((node, effect))
                if node in self.hang:
                    self.held.append((node, effect))
                else:
                    outcome = self.runner(node, effect)
                    self.queue.append((node, DeviceRan(effect.call_id, outcome)))
            case Reply(reply_to, result):
                self.replies.setdefault(reply_to, []).append(result)
            case Recorded(event):
                self.recorded[node].append(event)
            case SetTimer(key, delay):
                self.timers[node][key] = delay

    def fire(self, node: str, key) -> None:
        self.tell(node, TimerFired(key))

    def fence(self, origin: str, target: str, action: str = "off") -> FenceEvent:
        self.tell(origin, FenceRequest(target, action, "client"))
        [event] = self.replies.pop("client")
        return event

    def membership(self, *nodes: str) -> None:
        self.up = set(nodes)
        for node in nodes:
            self.tell(node, Membership(tuple(nodes)))


def test_a_asks_b_executes_c_is_fenced_and_every_node_has_the_same_history():
    c = Cluster("A", "B", "C")
    c.device("B", "ipmi-c", pcmk_host_list="C")
    event = c.fence("A", "C", "off")
    assert event.ok and event.origin == "A" and event.executor == "B"
    assert event.devices == ("ipmi-c",) and event.target == "C" and event.action == "off"
    assert [(n, r.device.id, r.action, r.target) for n, r in c.runs] == [
        ("B", "ipmi-c", "off", "C")
    ]
    assert c.recorded["A"] == c.recorded["B"] == c.recorded["C"] == [event]
    assert c.cores["A"].history == c.cores["B"].history == c.cores["C"].history == [event]
    assert c.cores["A"].pending() == []


def test_the_origin_runs_the_device_itself_when_it_can():
    c = Cluster("A", "B", "C")
    for node in "ABC":
        c.device(node, "pdu", pcmk_host_map="A:1;B:2;C:3")
    assert c.fence("B", "C").executor == "B"


def test_the_target_never_fences_itself_unless_it_is_the_only_way_and_allowed():
    c = Cluster("A", "B", "C")
    c.device("C", "sbd", pcmk_host_list="C")
    c.device("B", "sbd", pcmk_host_list="C")
    assert c.fence("A", "C").executor == "B"

    c = Cluster("A", "B", "C")
    c.device("C", "sbd", pcmk_host_list="C")
    refused = c.fence("A", "C")
    assert refused.state is FenceState.FAILED and not c.runs
    assert "does not allow self-fencing" in refused.reason

    c = Cluster("A", "B", "C")
    c.device("C", "sbd", pcmk_host_list="C", rl_self_fence="yes")
    assert c.fence("A", "C").executor == "C"


def failing(devices: set[str]) -> Runner:
    def run(node: str, run: RunDevice) -> DeviceOutcome:
        if run.device.id in devices:
            return DeviceOutcome(False, f"{run.device.id} broke")
        return ok_runner(node, run)

    return run


def test_topology_falls_through_a_failing_level_and_keeps_every_attempt():
    c = Cluster("A", "B", "C", runner=failing({"ipmi"}))
    c.device("B", "ipmi", pcmk_host_list="C")
    c.device("B", "pdu1", pcmk_host_list="C")
    c.device("A", "pdu2", pcmk_host_list="C")
    for node in "ABC":
        c.cores[node].add_level(make_level("C", 2, "pdu1,pdu2"))
        c.cores[node].add_level(make_level("C", 1, "ipmi"))
    event = c.fence("A", "C", "reboot")
    assert event.ok and event.devices == ("pdu1", "pdu2")
    steps = [(a.level, a.device, a.action, a.executor, a.ok) for a in event.attempts]
    assert steps == [
        (1, "ipmi", "reboot", "B", False),
        (2, "pdu1", "off", "B", True),  # a reboot through two devices: both off, then both on
        (2, "pdu2", "off", "A", True),
        (2, "pdu1", "on", "B", True),
        (2, "pdu2", "on", "A", True),
    ]
    assert event.attempts[0].reason == "ipmi broke"
    assert c.cores["C"].history == [event]


def test_a_split_reboot_whose_on_fails_still_counts_the_node_as_fenced():
    def runner(node: str, run: RunDevice) -> DeviceOutcome:
        return DeviceOutcome(run.action != "on", "no power-on")

    c = Cluster("A", "B", runner=runner)
    c.device("A", "psu1", pcmk_host_list="B")
    c.device("A", "psu2", pcmk_host_list="B")
    c.cores["A"].add_level(make_level("B", 1, "psu1,psu2"))
    event = c.fence("A", "B", "reboot")
    assert event.ok and [a.ok for a in event.attempts] == [True, True, False, False]


def test_a_device_that_fails_on_one_node_is_tried_on_another_before_the_next_level():
    def runner(node: str, run: RunDevice) -> DeviceOutcome:
        return DeviceOutcome(node != "A", "A cannot reach the pdu")

    c = Cluster("A", "B", "C", runner=runner)
    for node in "AB":
        c.device(node, "pdu", pcmk_host_list="C")
    event = c.fence("A", "C")
    assert event.ok and event.executor == "B"
    assert [(a.executor, a.ok) for a in event.attempts] == [("A", False), ("B", True)]


def test_every_device_of_a_level_must_succeed_and_all_levels_failing_fails():
    c = Cluster("A", "B", runner=failing({"pdu2", "last"}))
    c.device("A", "pdu1", pcmk_host_list="B")
    c.device("A", "pdu2", pcmk_host_list="B")
    c.device("A", "last", pcmk_host_list="B")
    c.cores["A"].add_level(make_level("B", 1, "pdu1,pdu2"))
    c.cores["A"].add_level(make_level("B", 2, "last"))
    c.cores["A"].add_level(make_level("B", 3, "missing"))
    event = c.fence("A", "B")
    assert event.state is FenceState.FAILED and event.reason == "all 3 fencing levels failed"
    steps = [(a.level, a.device, a.ok) for a in event.attempts]
    assert steps == [
        (1, "pdu1", True),
        (1, "pdu2", False),
        (2, "last", False),
        (3, "missing", False),
    ]
    assert "no node can run missing" in event.attempts[-1].reason
    assert c.cores["B"].history == [event]


def test_without_topology_devices_are_tried_by_priority_until_one_works():
    c = Cluster("A", "B", runner=failing({"high"}))
    c.device("A", "low", pcmk_host_list="B")
    c.device("A", "high", pcmk_host_list="B", priority="10")
    event = c.fence("A", "B")
    assert event.ok and event.devices == ("low",)
    assert [(a.device, a.ok) for a in event.attempts] == [("high", False), ("low", True)]


def test_no_device_is_a_failure_recorded_everywhere():
    c = Cluster("A", "B")
    event = c.fence("A", "B")
    assert event.state is FenceState.FAILED and "no device can fence B" in event.reason
    assert c.cores["B"].history == [event]


def test_an_executor_that_leaves_fails_its_attempt_and_the_next_level_runs():
    c = Cluster("A", "B", "C", "D")
    c.hang.add("B")
    c.device("B", "ipmi", pcmk_host_list="C")
    c.device("D", "pdu", pcmk_host_list="C")
    c.cores["A"].add_level(make_level("C", 1, "ipmi"))
    c.cores["A"].add_level(make_level("C", 2, "pdu"))
    c.tell("A", FenceRequest("C", "off", "client"))
    assert "client" not in c.replies and c.held
    c.membership("A", "C", "D")
    [event] = c.replies["client"]
    assert event.ok and event.executor == "D"
    assert "B left the cluster" in event.attempts[0].reason


def test_an_executor_that_never_answers_fails_at_the_attempt_timer():
    c = Cluster("A", "B")
    c.hang.add("B")
    c.device("B", "ipmi", pcmk_host_list="C", pcmk_off_timeout="20s", pcmk_delay_max="15s")
    c.tell("A", FenceRequest("C", "off", "client"))
    [key] = [k for k in c.timers["A"] if k[0] == "attempt"]
    assert c.timers["A"][key] > 35  # the budget and the longest delay
    c.fire("A", key)
    [event] = c.replies["client"]
    assert event.state is FenceState.FAILED and "did not report" in event.reason


def test_a_peer_that_does_not_answer_the_query_is_not_waited_for_past_the_timer():
    c = Cluster("A", "B", "C")
    c.device("A", "pdu", pcmk_host_list="C")
    c.up.discard("B")  # B is silent, though still a member
    c.tell("A", FenceRequest("C", "off", "client"))
    assert "client" not in c.replies
    [key] = [k for k in c.timers["A"] if k[0] == "query"]
    c.fire("A", key)
    assert c.replies["client"][0].ok


def test_host_checks_dynamic_list_and_status_ask_the_agent():
    def runner(node: str, run: RunDevice) -> DeviceOutcome:
        if run.action == "list":
            return DeviceOutcome(True, output="port1,C\nport2,D\n")
        if run.action == "status":
            return DeviceOutcome(True, power="on") if run.target == "C" else DeviceOutcome(False)
        return DeviceOutcome(True)

    c = Cluster("A", runner=runner)
    c.device("A", "lister", agent="fence_x")  # has list: dynamic-list
    c.device("A", "statuser", agent="fence_x", pcmk_host_check="status")
    c.tell("A", ListCapable("C", "who"))
    assert [o.device for o in c.replies.pop("who")[0]] == ["lister", "statuser"]
    c.tell("A", ListCapable("E", "who"))
    assert c.replies.pop("who")[0] == ()
    lists = [r for _, r in c.runs if r.action == "list"]
    assert len(lists) == 1  # the list is cached
    c.tell("A", ListCapable("port2", "who"))
    assert [o.device for o in c.replies.pop("who")[0]] == ["lister"]


def test_a_second_request_for_the_same_target_joins_the_first():
    c = Cluster("A", "B")
    c.hang.add("A")
    c.device("A", "pdu", pcmk_host_list="B")
    c.tell("A", FenceRequest("B", "off", "first"))
    c.tell("A", FenceRequest("B", "off", "second"))
    assert len(c.held) == 1
    node, run = c.held.pop()
    c.tell(node, DeviceRan(run.call_id, DeviceOutcome(True)))
    assert c.replies["first"] == c.replies["second"]
    assert len(c.cores["B"].history) == 1


def test_the_client_hears_the_result_only_once_it_is_recorded():
    c = Cluster("A", "B")
    c.device("A", "pdu", pcmk_host_list="B")
    effects = []
    core = c.cores["A"]
    queue = deque([FenceRequest("B", "off", "client")])
    while queue:
        for effect in core.handle(queue.popleft(), 0.0):
            effects.append(effect)
            if isinstance(effect, Send) and effect.node == "A":
                queue.append(effect.payload)
            elif isinstance(effect, Broadcast):
                queue.append(effect.payload)
            elif isinstance(effect, RunDevice):
                queue.append(DeviceRan(effect.call_id, DeviceOutcome(True)))
            elif isinstance(effect, Send):
                pass  # B's query reply never comes: A plans at the timer
        if not queue and core.pending():
            queue.append(TimerFired(("query", core.pending()[0])))
    kinds = [type(e).__name__ for e in effects]
    assert kinds.index("Recorded") < kinds.index("Reply")


def test_confirm_is_recorded_everywhere_as_done_by_the_operator():
    c = Cluster("A", "B", "C")
    c.tell("A", ConfirmDown("C", "op"))
    [event] = c.replies["op"]
    assert event.ok and event.devices == ("operator",) and event.action == "off"
    assert c.cores["B"].history == c.cores["C"].history == [event]
    assert not c.runs


def test_an_unknown_action_is_refused():
    c = Cluster("A")
    event = c.fence("A", "B", "explode")
    assert event.state is FenceState.FAILED and "unknown fence action" in event.reason


def test_a_request_joins_the_same_request_running_at_another_origin():
    c = Cluster("A", "B", "C")
    c.hang.add("B")
    c.device("B", "ipmi", pcmk_host_list="C")
    c.tell("A", FenceRequest("C", "off", "from-A"))
    c.tell("B", FenceRequest("C", "off", "from-B"))  # B saw A's query: it waits for that one
    assert len(c.held) == 1 and c.cores["B"].pending() == []
    node, run = c.held.pop()
    c.tell(node, DeviceRan(run.call_id, DeviceOutcome(True)))
    assert c.replies["from-A"] == c.replies["from-B"]
    assert c.replies["from-B"][0].origin == "A" and len(c.cores["C"].history) == 1


def test_a_joined_request_starts_over_when_the_other_origin_leaves():
    c = Cluster("A", "B", "C", "D")
    c.up.discard("D")  # the target: silent, so A's query waits for it
    c.device("B", "ipmi", pcmk_host_list="D")
    c.tell("A", FenceRequest("D", "off", "from-A"))
    c.tell("C", FenceRequest("D", "off", "from-C"))
    assert not c.replies and not c.runs
    c.membership("B", "C")
    [event] = c.replies["from-C"]
    assert event.ok and event.origin == "C" and event.executor == "B"


def test_a_node_that_joins_gets_the_history():
    c = Cluster("A", "B", "C")
    c.device("B", "ipmi", pcmk_host_list="C")
    event = c.fence("A", "C")
    c.add("D")
    c.membership("A", "B", "C", "D")
    assert c.cores["D"].history == [event] and c.recorded["D"] == [event]
    assert c.cores["A"].history == [event]  # nobody got it twice
