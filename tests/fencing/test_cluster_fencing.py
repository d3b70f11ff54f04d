"""The fencers of a real 3-node local cluster (`cluster up`), driven through `ringleader fence`:
registrations reach every node, node1 asks, node2 fences node3 with the built-in agent (as root,
through its privileged child), the survivors agree on the history, node3 comes back and gets the
registry; fence_dummy, topology across the cluster and a hung agent, through the nodes."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from support_agents import write_test_agents
from support_local_node import alive, descendants, wait_for

from actors.cli import main
from actors.commands.cluster import cluster_down, cluster_up, start_node, wait_for_ring
from actors.config import load_config
from actors.node import node_status, read_pid
from actors.node_client import node_actor
from fencing.fencer import GetDevices, GetHistory, GetLevels, GetMembers
from fencing.messages import FenceState
from fencing.process import FENCER_ACTOR, PROCESS

pytestmark = pytest.mark.cluster
WAIT = 120.0
NODES = ("node1", "node2", "node3")


@pytest.fixture(scope="module")
def cluster():
    directory = Path(tempfile.mkdtemp(prefix="rl-fence-cluster-"))
    directory.chmod(0o755)
    agents = write_test_agents(directory / "fence-agents")
    extra = f'\n[agents]\nfence_dirs = ["/usr/sbin", "{agents}"]\n'
    try:
        configs = cluster_up(directory, 3, "ipc", timeout=90.0, extra=extra)
        for cfg in configs:  # every fencer up and in the group
            wait_for(lambda cfg=cfg: ask(cfg, GetMembers()) == NODES, WAIT, f"{cfg.stem}'s view")
        yield directory, configs
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


def ask(config: Path, message, timeout: float = 10.0):
    with node_actor(load_config(config), PROCESS, FENCER_ACTOR) as ref:
        return ref.ask(message, timeout=timeout).get()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def fence(capsys, config: Path, *argv: str) -> tuple[int, str, str]:
    rc = main(["fence", *argv, "--config", str(config)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_node1_asks_node2_fences_node3_and_node3_comes_back_with_the_registry(capsys, cluster):
    directory, (n1, n2, n3) = cluster
    rc, out, err = fence(
        capsys, n1, "register", "local", "--agent", "fence_ringleader", "--host-list", "node3",
        "-o", f"state_root={directory}", "-o", "rl_run_on=node2",
    )  # fmt: skip
    assert rc == 0 and out == "registered local: fence_ringleader (static-list: node3)\n", err
    for cfg in (n1, n2, n3):  # registered through node1, listed by every node
        assert fence(capsys, cfg, "list")[1] == "local: fence_ringleader (static-list: node3)\n"

    supervisor = read_pid(load_config(n3))
    tree = descendants(supervisor) | {supervisor}
    assert len(tree) >= 5  # the supervisor and its built-in processes
    rc, out, _ = fence(capsys, n1, "node", "node3", "--off")
    assert rc == 0 and "node3: off success by node2 with local (asked by cli on node1" in out
    wait_for(lambda: not any(alive(p) for p in tree), WAIT, "every process of node3 gone")

    def agreed():  # ours (the controller may fence node3 too: it saw node3 leave uncleanly)
        histories = [
            [e for e in ask(c, GetHistory("node3")) if e.client == "cli"] for c in (n1, n2)
        ]
        return histories[0] == histories[1] and len(histories[0]) == 1 and histories[0]

    [event] = wait_for(agreed, WAIT, "the same history entry on node1 and node2")
    assert (event.origin, event.executor, event.devices) == ("node1", "node2", ("local",))
    assert event.state is FenceState.SUCCESS and event.action == "off"

    # Changed while node3 is down: node3 gets it when it comes back (its own copy is older).
    # `local` goes first: the controller, which saw node3 leave uncleanly, may ask to fence it
    # too, and must not kill it again once it is back.
    assert fence(capsys, n2, "unregister", "local")[0] == 0
    assert fence(capsys, n2, "level", "add", "node3", "1", "local")[0] == 0
    status = directory / "late.status"
    rc, _, _ = fence(
        capsys, n1, "register", "late", "--agent", "fence_dummy", "--host-list", "node9",
        "-o", f"status_file={status}",
    )  # fmt: skip
    assert rc == 0
    wait_for_ring([n1, n2], members=(1, 2), timeout=WAIT)  # the others saw node3 go
    start_node(n3)
    wait_for_ring([n1, n2, n3], timeout=WAIT)
    wait_for(lambda: ask(n3, GetMembers()) == NODES, WAIT, "node3's fencer in the group")
    wait_for(lambda: ask(n3, GetLevels()) == ask(n1, GetLevels()), WAIT, "node3's levels")
    assert [d.id for d in ask(n3, GetDevices())] == ["late"]
    wait_for(lambda: event in ask(n3, GetHistory("node3")), WAIT, "node3's history")
    assert fence(capsys, n3, "level", "remove", "node3", "1")[0] == 0
    assert fence(capsys, n3, "unregister", "late")[0] == 0
    wait_for(lambda: all(ask(c, GetDevices()) == [] for c in (n1, n2, n3)), WAIT, "unregistered")


def test_fence_dummy_through_the_nodes(capsys, cluster):
    directory, (n1, n2, n3) = cluster
    status = directory / "dummy.status"
    rc, out, _ = fence(
        capsys, n2, "register", "dummy", "--agent", "fence_dummy", "--host-map", "node9:9",
        "-o", f"status_file={status}",
    )  # fmt: skip
    assert rc == 0 and out == "registered dummy: fence_dummy (static-list: node9)\n"
    assert fence(capsys, n3, "list", "--target", "node9")[1].startswith("dummy: fence_dummy")
    assert "no device can fence node8" in fence(capsys, n3, "list", "--target", "node8")[1]
    rc, out, _ = fence(capsys, n3, "node", "node9", "--reboot")
    assert rc == 0 and "node9: reboot success by node3 with dummy" in out
    assert status.read_text() == "on"  # fence_dummy's reboot is off, then on
    rc, out, _ = fence(capsys, n1, "node", "node9", "--off")
    assert rc == 0 and "node9: off success by node1 with dummy" in out  # checked by status
    assert status.read_text() == "off"
    out = fence(capsys, n2, "history", "node9")[1]
    events = [line for line in out.splitlines() if not line.startswith(" ")]
    assert len(events) == 2 and "reboot success by node3" in events[0], out
    assert "off success by node1" in events[1]
    assert fence(capsys, n2, "unregister", "dummy")[0] == 0


def test_topology_falls_through_a_failing_level_across_the_cluster(capsys, cluster):
    directory, (n1, n2, _) = cluster
    status = directory / "topology.status"
    status.write_text("on")
    for argv in (
        ["register", "broken", "--agent", "fence_testfail", "--host-list", "node7",
         "-o", "rl_run_on=node2", "-o", "pcmk_off_retries=0"],
        ["register", "works", "--agent", "fence_dummy", "--host-list", "node7",
         "-o", f"status_file={status}", "-o", "rl_run_on=node2"],
        ["level", "add", "node7", "1", "broken"],
        ["level", "add", "node7", "2", "works"],
    ):  # fmt: skip
        assert fence(capsys, n1, *argv)[0] == 0
    rc, out, _ = fence(capsys, n1, "node", "node7", "--off")
    assert rc == 0 and "node7: off success by node2 with works" in out, out
    assert "level 1 broken on node2: failed: fence_testfail off: exit code 1" in out
    assert "level 2 works on node2: ok" in out
    assert status.read_text() == "off"
    histories = [ask(cfg, GetHistory("node7")) for cfg in (n1, n2)]
    assert histories[0] == histories[1] and len(histories[0]) == 1
    for argv in (["level", "remove", "node7", "1"], ["level", "remove", "node7", "2"],
                 ["unregister", "broken"], ["unregister", "works"]):  # fmt: skip
        assert fence(capsys, n2, *argv)[0] == 0


def test_a_hung_agent_fails_at_its_timeout_and_is_killed(capsys, cluster):
    _, (n1, _, _) = cluster
    rc, _, _ = fence(
        capsys, n1, "register", "hang", "--agent", "fence_testhang", "--host-list", "node6",
        "-o", "pcmk_off_timeout=3s", "-o", "pcmk_off_retries=0", "-o", "rl_run_on=node1",
    )  # fmt: skip
    assert rc == 0
    rc, out, _ = fence(capsys, n1, "node", "node6", "--off")
    assert rc == 1 and "node6: off failed by node1 with hang" in out, out
    assert "hang on node1: failed: fence_testhang off: stonith:fence_testhang off timed out" in out
    child = node_status(load_config(n1))["privileged"].pid
    hung = [p for p in descendants(child) if _cmdline(p) == "sleep 600"]
    assert not hung  # the agent (it execs sleep 600) did not outlive its timeout
    assert fence(capsys, n1, "unregister", "hang")[0] == 0


def test_bad_registrations_are_one_line_errors_through_the_node(capsys, cluster):
    _, (n1, _, _) = cluster
    for argv, message in (
        (["--agent", "fence_nosuch"], "fence agent 'fence_nosuch' not found"),
        (["--agent", "fence_dummy", "-o", "colour=red"], "option 'colour' is not a parameter"),
        (["--agent", "fence_dummy", "--host-map", "node1;node2:2"], "entry 'node1' is not"),
    ):
        rc, _, err = fence(capsys, n1, "register", "bad", *argv)
        assert rc == 2 and message in err and "Traceback" not in err, err
    assert "bad" not in [d.id for d in ask(n1, GetDevices())]
