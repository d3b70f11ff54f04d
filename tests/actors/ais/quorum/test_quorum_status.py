"""`ringleader quorum` output, in corosync-quorumtool -s layout."""

from __future__ import annotations

from actors.ais.quorum.config import QuorumConfig
from actors.ais.quorum.core import QuorumCore
from actors.ais.quorum.status import flag_words, render_status
from actors.ais.sync.harness import Cluster


def test_quorate_three_node_cluster() -> None:
    config = QuorumConfig(nodes={1: 1, 2: 1, 3: 1}, wait_for_all=True, last_man_standing=True)
    c = Cluster(lambda n: QuorumCore(n, config), [1, 2, 3])
    text = render_status(c.cores[2].status(), {1: "alpha", 2: "beta", 3: "gamma"}, "Tue Nov 24")
    ring = c.cores[2].ring_id
    assert text == (
        "Quorum information\n"
        "------------------\n"
        "Date:             Tue Nov 24\n"
        "Quorum provider:  ringleader_votequorum\n"
        "Nodes:            3\n"
        "Node ID:          2\n"
        f"Ring ID:          {ring.rep}.{ring.seq}\n"
        "Quorate:          Yes\n"
        "\n"
        "Votequorum information\n"
        "----------------------\n"
        "Expected votes:   3\n"
        "Highest expected: 3\n"
        "Total votes:      3\n"
        "Quorum:           2\n"
        "Flags:            Quorate WaitForAll LastManStanding\n"
        "\n"
        "Membership information\n"
        "----------------------\n"
        "    Nodeid      Votes Name\n"
        "         1          1 alpha\n"
        "         2          1 beta (local)\n"
        "         3          1 gamma\n"
    )


def test_inquorate_partition_says_activity_blocked() -> None:
    config = QuorumConfig(nodes={1: 1, 2: 1, 3: 1}, auto_tie_breaker=True)
    c = Cluster(lambda n: QuorumCore(n, config), [1, 2, 3])
    c.partition([1, 2], [3])
    text = render_status(c.cores[3].status())
    assert "Quorate:          No\n" in text
    assert "Quorum:           2   Activity blocked\n" in text
    assert "Flags:            AutoTieBreaker\n" in text
    assert "Date:" not in text
    assert text.endswith("         3          1 node3 (local)\n")


def test_two_node_flags() -> None:
    config = QuorumConfig(nodes={1: 1, 2: 1}, two_node=True)
    c = Cluster(lambda n: QuorumCore(n, config), [1, 2])
    assert flag_words(c.cores[1].status().flags) == "2Node Quorate WaitForAll"
