"""The local resource manager: runs resource operations on this node through the executor.

`core` is the sans-IO state machine (queues, recurring monitors, history, reports), `messages`
its inputs and effects, `history` the lrm_rsc_op-shaped records, `actor` the actor that hosts
the core and does its IO (the privileged child, the fencer, timers), `process` the node's `lrm`
process. The controller reaches the LRM at `lrm_address(node)`.
"""

from __future__ import annotations

PROCESS = "lrm"
LRM_ACTOR = "lrm"


def lrm_address(node: str) -> str:
    """The LRM actor of `node`."""
    return f"{node}/{PROCESS}/{LRM_ACTOR}"
