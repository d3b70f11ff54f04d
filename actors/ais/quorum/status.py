"""What `ringleader quorum` prints: the layout of `corosync-quorumtool -s`, from a QuorumStatus.

A pure function so the CLI, tests and the simulator print the same thing; the caller passes
the date (if any) because nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.ais.evs import NodeId
from actors.ais.quorum.messages import InfoFlags, QuorumStatus

_FLAG_WORDS = (
    (InfoFlags.TWONODE, "2Node"),
    (InfoFlags.QUORATE, "Quorate"),
    (InfoFlags.WAIT_FOR_ALL, "WaitForAll"),
    (InfoFlags.LAST_MAN_STANDING, "LastManStanding"),
    (InfoFlags.AUTO_TIE_BREAKER, "AutoTieBreaker"),
)


def flag_words(flags: InfoFlags) -> str:
    """The Flags line, in corosync-quorumtool's order."""
    return " ".join(word for flag, word in _FLAG_WORDS if flag in flags)


def render_status(
    status: QuorumStatus, names: Mapping[NodeId, str] | None = None, date: str | None = None
) -> str:
    """The text of `ringleader quorum` (`corosync-quorumtool -s`); node names from `names`."""
    names = names or {}
    quorum = str(status.quorum) if status.quorate else f"{status.quorum:<3} Activity blocked"
    lines = ["Quorum information", "------------------"]
    if date is not None:
        lines.append(f"Date:             {date}")
    lines += [
        "Quorum provider:  ringleader_votequorum",
        f"Nodes:            {len(status.members)}",
        f"Node ID:          {status.node}",
        f"Ring ID:          {status.ring_id if status.ring_id is not None else '-'}",
        f"Quorate:          {'Yes' if status.quorate else 'No'}",
        "",
        "Votequorum information",
        "----------------------",
        f"Expected votes:   {status.expected_votes}",
        f"Highest expected: {status.highest_expected}",
        f"Total votes:      {status.total_votes}",
        f"Quorum:           {quorum}",
        f"Flags:            {flag_words(status.flags)}",
        "",
        "Membership information",
        "----------------------",
        "    Nodeid      Votes Name",
    ]
    for nodeid, votes in status.members:
        name = names.get(nodeid, f"node{nodeid}")
        local = " (local)" if nodeid == status.node else ""
        lines.append(f"{nodeid:>10} {votes:>10} {name}{local}")
    return "\n".join(lines) + "\n"
