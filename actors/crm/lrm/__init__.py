"""The local resource manager: runs resource operations on this node through the executor.

`core` is the sans-IO state machine (queues, recurring monitors, history, reports), `messages`
its inputs and effects, `history` the lrm_rsc_op-shaped records. The actor that hosts the core
and talks to the privileged child comes with the runtime.
"""
