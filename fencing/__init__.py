"""STONITH: the fencer (Pacemaker's pacemaker-fenced), its devices, topology and fence agents.

`device` turns a registration (agent + options) into a `Device` with Pacemaker's host mapping;
`topology` holds the fencing levels; `core` is the sans-IO fencer (queries, choice of the executing
node, levels, result broadcast, history); `registry` keeps devices and levels the same on every
node; `device_action` runs one device action through a fence agent with retries and checks the
result; `fencer` is the actor around the core; `peers` and `cpg_peers` connect the fencers
(standalone, in one process, over CPG); `process` is the node's `fencer` process; `store` keeps
registrations and history in the node's state dir; `agents/` holds the fence agents we ship.
"""
