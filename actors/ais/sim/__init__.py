"""Deterministic simulation of totem: many cores on a virtual clock and network, checked for EVS.

`simulator` runs the nodes (a node = a totem core + applications fed with its EVS events),
`scenario` builds seeded fault scripts, `checker` verifies the guarantees over the delivery logs,
`command` is the command line (`python3 -m actors.ais.sim --seeds N`).
"""
