"""Has a running resource's definition changed since it started? Compare the start's digests.

As Pacemaker (pe_digest.c): the start ran with the resource's parameters plus the start op's own
instance attributes. When the history carries a restart digest (the agent can reload), only a
change among the parameters it names as needing a restart forces one; any other change is
applied by a reload, unless the start op has parameters of its own (they only take effect on a
real start). A history with a secure digest (private parameters such as passwords left out, as
a sanitized CIB shows them) is compared by that one, so that masked values are no change.
"""

from __future__ import annotations

from actors.agents.digest import op_digest
from actors.crm.cib.model import OpRecord, Primitive
from actors.crm.scheduler.options import plain_values


def start_params(prim: Primitive) -> tuple[dict[str, str], dict[str, str]]:
    """(resource parameters, the start op's own parameters)."""
    own: dict[str, str] = {}
    for op in prim.ops:
        if op.name == "start" and op.interval_ms == 0:
            own.update(op.params)
    return plain_values(prim.instance), own


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in (text or "0").split(".") if p.isdigit())


def _secure_match(prim: Primitive, start: OpRecord, params: dict, every: dict) -> bool:
    """The digest without private parameters matches (Pacemaker before feature set 3.16.0
    took it of the resource parameters alone, fence devices' pcmk_* options left out)."""
    private = set((start.secure_params or "").split())
    old = _version(start.feature_set) < (3, 16, 0)
    kept = {
        k: v
        for k, v in (params if old else every).items()
        if k not in private and not (old and prim.klass == "stonith" and k.startswith("pcmk_"))
    }
    return op_digest(kept) == start.secure_digest


def definition_change(prim: Primitive, start: OpRecord | None) -> str | None:
    """ "restart", "reload", or None when the recorded start still matches the definition."""
    if start is None:
        return None
    params, own = start_params(prim)
    every = {**params, **own}
    if start.restart_digest is not None:
        names = set((start.force_restart or "").split())
        kept = {k: v for k, v in every.items() if k in names}
        if op_digest(kept) != start.restart_digest:
            return "restart"
    if start.op_digest is None or op_digest(every) == start.op_digest:
        return None
    if start.secure_digest is not None and _secure_match(prim, start, params, every):
        return None
    if start.restart_digest is not None and not own:
        return "reload"
    return "restart"
