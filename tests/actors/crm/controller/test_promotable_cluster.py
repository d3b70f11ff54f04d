"""A promotable clone on a real 2-node cluster, driven as Pacemaker drives it: the real
ocf:pacemaker:Stateful agent sets its promotion score with `crm_attribute --promotion` (our
`HA_SBIN_DIR` tools, to the node's attribute manager), the highest score is promoted, each role
has its own recurring monitor (the Promoted one expects OCF_RUNNING_PROMOTED), and a promoted
instance is demoted before it stops. Judged from the agent's own state files: never two
promoted instances, whatever the cluster believes."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

from actors.cli import main as cli
from actors.commands.cluster import cluster_down, cluster_up
from actors.commands.status import fetch, summary
from actors.config import load_config
from actors.crm.attrd import ATTRD_ACTOR
from actors.crm.attrd.actor import GetAttributes
from actors.node_client import node_actor

STATEFUL = Path("/usr/lib/ocf/resource.d/pacemaker/Stateful")
NODES = ("node1", "node2")

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(not STATEFUL.exists(), reason="pacemaker-resource-agents not installed"),
]


def wait_for(predicate, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a node busy or restarting: ask again
            last = exc
        else:
            if last:
                return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def configuration(states: Path) -> str:
    per_node = "".join(
        f'<instance_attributes id="st-{n}" score="{len(NODES) - i}">'
        f'<rule id="st-{n}-rule" score="0"><expression id="st-{n}-is" attribute="#uname"'
        f' operation="eq" value="{n}"/></rule>'
        f'<nvpair id="st-{n}-state" name="state" value="{states}/{n}.state"/>'
        "</instance_attributes>"
        for i, n in enumerate(NODES)
    )
    return (
        '<cib><configuration><crm_config><cluster_property_set id="opts">'
        '<nvpair id="opts-stonith" name="stonith-enabled" value="false"/>'
        "</cluster_property_set></crm_config><nodes/><resources>"
        '<clone id="st-clone"><meta_attributes id="st-clone-meta">'
        '<nvpair id="st-clone-promotable" name="promotable" value="true"/></meta_attributes>'
        f'<primitive id="st" class="ocf" provider="pacemaker" type="Stateful">{per_node}'
        '<operations><op id="st-mon-p" name="monitor" interval="3s" role="Promoted"/>'
        '<op id="st-mon-u" name="monitor" interval="4s" role="Unpromoted"/></operations>'
        "</primitive></clone></resources><constraints/></configuration><status/></cib>"
    )


@pytest.fixture
def cluster():
    root = Path(tempfile.mkdtemp(prefix="rl-promotable-"))
    states = root / "states"
    states.mkdir()
    states.chmod(0o777)  # the agents write here as root, the test reads as anyone
    try:
        configs = cluster_up(root, len(NODES), "ipc")
        xml = root / "cib.xml"
        xml.write_text(configuration(states))
        assert cli(["config", "load", str(xml), "--config", str(configs[0])]) == 0
        yield root, configs, states
    finally:
        cluster_down(root)
        shutil.rmtree(root, ignore_errors=True)


def roles_on_disk(states: Path) -> dict[str, str]:
    """What each node's Stateful says of itself (no file: stopped); never two Promoted."""
    found = {}
    for n in NODES:
        try:
            found[n] = (states / f"{n}.state").read_text().strip()
        except FileNotFoundError:
            continue
    promoted = [n for n, role in found.items() if role == "Promoted"]
    assert len(promoted) <= 1, f"promoted on {promoted}"
    return found


def settled(config: Path, states: Path, want: dict[str, str]):
    """The agents' own states are `want`, and the DC's view says the same."""
    if roles_on_disk(states) != want:
        return None
    view = summary(fetch(str(config)))
    seen = {r["nodes"][0]: r["role"] for r in view["resources"] if len(r["nodes"]) == 1}
    return view if seen == want and not view["failed_actions"] else None


def test_one_instance_is_promoted_and_the_role_moves_with_standby(cluster):
    root, configs, states = cluster
    config = configs[0]

    # Stateful gives the node it was started on first... any node may win; exactly one does.
    def one_promoted():
        found = roles_on_disk(states)
        if sorted(found.values()) != ["Promoted", "Unpromoted"]:
            return None
        return settled(config, states, found) and found

    first = wait_for(one_promoted, what="one Promoted and one Unpromoted instance")
    promoted = next(n for n, role in first.items() if role == "Promoted")
    other = next(n for n in NODES if n != promoted)
    with node_actor(load_config(config), "crm", ATTRD_ACTOR) as attrd:
        table = attrd.ask(GetAttributes(), timeout=30).get()
    # Each instance's own promotion score, set by the agent through crm_attribute --promotion
    # (Stateful: 10 promoted, 5 not).
    assert {n: table[n].get("master-st") for n in NODES} == {promoted: "10", other: "5"}

    assert cli(["node", "standby", promoted, "--config", str(config)]) == 0
    wait_for(
        lambda: settled(config, states, {other: "Promoted"}),
        what=f"{promoted} demoted and stopped, {other} promoted",
    )
    assert cli(["node", "unstandby", promoted, "--config", str(config)]) == 0
    wait_for(
        lambda: settled(config, states, {other: "Promoted", promoted: "Unpromoted"}),
        what=f"{promoted} back as Unpromoted",
    )
