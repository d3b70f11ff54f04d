"""The privileged child: the one process of a node that keeps root, and runs agents for it.

It hosts one actor, `agents` (address `agents_address(node)`), that answers `ask(RunAgent)`
with `AgentRan`, only for its own node's LRM and fencer, only for agents inside the configured
agent directories. The LRM and the fencer reach it with `client.run_via_child`.
"""

from __future__ import annotations

PROCESS = "privileged"
AGENTS_ACTOR = "agents"
ALLOWED_PROCESSES = ("lrm", "fencer")
"""The node's processes whose requests it serves; everyone else is refused."""


def agents_address(node: str) -> str:
    """The `agents` actor of `node`'s privileged child."""
    return f"{node}/{PROCESS}/{AGENTS_ACTOR}"
