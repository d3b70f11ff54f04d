"""Promotable clones and live migration on a real 2-node cluster, driven as Pacemaker drives
them, judged from the agents' own state files (one per node, by rule), not the cluster's belief.

Promotable: the real ocf:pacemaker:Stateful agent sets its promotion score with
`crm_attribute --promotion` (our `HA_SBIN_DIR` tools, to the node's attribute manager), the
highest score is promoted, each role has its own recurring monitor (the Promoted one expects
OCF_RUNNING_PROMOTED), a promoted instance is demoted before it stops; never two promoted.
Migration: an `allow-migrate` Dummy moves by migrate_to + migrate_from, and stays put after."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import pytest
from support_cluster_waits import wait_for as wait

from actors.cli import main as cli
from actors.commands.cluster import cluster_down, cluster_up
from actors.commands.status import fetch, summary
from actors.config import load_config
from actors.crm.attrd import ATTRD_ACTOR
from actors.crm.attrd.actor import GetAttributes
from actors.crm.cib import parse_cib
from actors.crm.scheduler import schedule
from actors.node_client import node_actor

STATEFUL = Path("/usr/lib/ocf/resource.d/pacemaker/Stateful")
DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")
NODES = ("node1", "node2")
wait_for = functools.partial(wait, timeout=120.0, every=0.3)  # Stateful calls tools: slower

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not (STATEFUL.exists() and DUMMY.exists()), reason="resource agents not installed"
    ),
]


def per_node_state(rsc: str, states: Path, envfile: bool = False) -> str:
    """The agent's `state` file by node (all nodes share this machine's /run); with `envfile`,
    Stateful's dump of its environment at every action too."""
    return "".join(
        f'<instance_attributes id="{rsc}-{n}" score="{len(NODES) - i}">'
        f'<rule id="{rsc}-{n}-rule" score="0"><expression id="{rsc}-{n}-is" attribute="#uname"'
        f' operation="eq" value="{n}"/></rule>'
        f'<nvpair id="{rsc}-{n}-state" name="state" value="{states}/{n}.state"/>'
        + (f'<nvpair id="{rsc}-{n}-env" name="envfile" value="{states}/{n}.env"/>' * envfile)
        + "</instance_attributes>"
        for i, n in enumerate(NODES)
    )


def cib(resources: str) -> str:
    return (
        '<cib><configuration><crm_config><cluster_property_set id="opts">'
        '<nvpair id="opts-stonith" name="stonith-enabled" value="false"/>'
        f"</cluster_property_set></crm_config><nodes/><resources>{resources}</resources>"
        "<constraints/></configuration><status/></cib>"
    )


def promotable(states: Path) -> str:
    return cib(
        '<clone id="st-clone"><meta_attributes id="st-clone-meta">'
        '<nvpair id="st-clone-promotable" name="promotable" value="true"/>'
        '<nvpair id="st-clone-notify" name="notify" value="true"/></meta_attributes>'
        '<primitive id="st" class="ocf" provider="pacemaker" type="Stateful">'
        f"{per_node_state('st', states, envfile=True)}"
        '<operations><op id="st-mon-p" name="monitor" interval="3s" role="Promoted"/>'
        '<op id="st-mon-u" name="monitor" interval="4s" role="Unpromoted"/></operations>'
        "</primitive></clone>"
    )


def migratable(states: Path) -> str:
    return cib(
        '<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">'
        '<meta_attributes id="d-meta"><nvpair id="d-am" name="allow-migrate" value="true"/>'
        f"</meta_attributes>{per_node_state('d', states)}"
        '<operations><op id="d-mon" name="monitor" interval="2s"/></operations></primitive>'
    )


@pytest.fixture
def cluster():
    """Start a 2-node cluster; `load(make_cib)` gives it a configuration (of its state dir)."""
    root = Path(tempfile.mkdtemp(prefix="rl-two-nodes-"))
    states = root / "states"
    states.mkdir()
    states.chmod(0o777)  # the agents write here as root, the test reads as anyone
    try:
        configs = cluster_up(root, len(NODES), "ipc")

        def load(make_cib) -> None:
            xml = root / "cib.xml"
            xml.write_text(make_cib(states))
            assert cli(["config", "load", str(xml), "--config", str(configs[0])]) == 0

        yield configs, states, load
    finally:
        cluster_down(root)
        shutil.rmtree(root, ignore_errors=True)


def notifications(envfile: Path) -> list[dict[str, str]]:
    """The notify actions Stateful dumped its environment for (a "### ACTION @ DATE ###" line,
    then `env | sort`): the CRM_meta_notify_* of each, in order."""
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in envfile.read_text().splitlines():
        if line.startswith("### ") and line.endswith(" ###"):
            current = {} if line.split()[1] == "notify" else None
            if current is not None:
                found.append(current)
        elif current is not None and line.startswith("OCF_RESKEY_CRM_meta_notify_"):
            name, _, value = line.partition("=")
            current[name[len("OCF_RESKEY_CRM_meta_") :]] = value
    return found


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
    configs, states, load = cluster
    load(promotable)
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

    # notify=true: both instances were told of the promotion, before and after, with its lists
    def told_of_promotion(node: str) -> list[dict[str, str]] | None:
        told = notifications(states / f"{node}.env")
        promotion = [e for e in told if e.get("notify_operation") == "promote"]
        return promotion if len(promotion) >= 2 else None

    for n in NODES:
        promotion = wait_for(lambda n=n: told_of_promotion(n), what=f"{n} told of the promotion")
        assert [e["notify_type"] for e in promotion] == ["pre", "post"], (n, promotion)
        assert all(e["notify_promote_uname"] == promoted for e in promotion)
        assert sorted(promotion[0]["notify_active_uname"].split()) == sorted(NODES)

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


def last_ops(config: Path) -> dict[str, str]:
    """Each node's last non-recurring operation on `d`, from the DC's status section."""
    import re

    text = fetch(str(config))["cib"]
    found = {}
    for node_state in re.findall(r"<node_state .*?</node_state>", text, re.S):
        node = re.search(r'uname="([^"]+)"', node_state).group(1)
        last = re.search(r'<lrm_rsc_op id="d_last_0"[^>]*operation="([^"]+)"', node_state)
        if last:
            found[node] = last.group(1)
    return found


def planned(config: Path) -> list[str]:
    """What the scheduler would do now with the DC's CIB (status included)."""
    transition = schedule(parse_cib(fetch(str(config))["cib"], "cib"))
    return [a.key for a in transition.actions if a.rsc and not a.pseudo]


def test_an_allow_migrate_resource_moves_by_live_migration_and_stays(cluster):
    configs, states, load = cluster
    load(migratable)
    config = configs[0]

    def on(node: str):
        where = [n for n in NODES if (states / f"{n}.state").exists()]
        assert len(where) <= 1, f"d active on {where}"
        view = summary(fetch(str(config)))
        placed = {r["id"]: r["nodes"] for r in view["resources"]}
        return where == [node] and placed.get("d") == [node] and not view["failed_actions"]

    wait_for(lambda: on("node1"), what="d started on node1")
    assert cli(["resource", "move", "d", "node2", "--config", str(config)]) == 0
    wait_for(lambda: on("node2") and last_ops(config).get("node2") == "migrate_from",
             what="d migrated to node2")  # fmt: skip
    assert last_ops(config)["node1"] in ("migrate_to", "stop")
    # and stays: the DC's own plan for what it now knows has nothing left to do (a migrated
    # resource taken for a changed one would be planned a restart here)
    wait_for(lambda: not planned(config), what="nothing left to do after the migration")
    assert on("node2") and last_ops(config)["node2"] == "migrate_from"
