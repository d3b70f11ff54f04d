"""Pacemaker's op-digest: which parameters an operation ran with, in one comparable string.

Pacemaker (lib/common/digest.c, v1 digests, still used for operations) puts the parameters as
attributes of one `<parameters>` element, drops every CRM_meta_* attribute except CRM_meta_timeout
of a recurring operation, sorts attributes by name and takes the md5 of `" " + xml + "\\n"`, the
XML rendered without formatting and with `< > & " '` escaped. This is reproduced here; it matches
the digests recorded in Pacemaker's scheduler regression CIBs (see the tests). Values with
control characters (tab, newline) are escaped differently between Pacemaker releases; for those the
digest is stable here but may differ from a given Pacemaker's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from actors.agents.environment import META_PREFIX, meta_name

_FILTERED = {"id", "crm_feature_set", "op-digest", "on_node", "on_node_uuid", "pcmk_external_ip"}
_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;"}


def _escape(value: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def digest_params(params: Mapping[str, str], interval_ms: int = 0, timeout_ms: int = 0) -> dict:
    """The parameter set a digest is taken of: instance parameters, plus CRM_meta_timeout for a
    recurring operation (a changed timeout must re-create a monitor, not a start)."""
    kept = {
        k: str(v) for k, v in params.items() if not k.startswith(META_PREFIX) and k not in _FILTERED
    }
    if interval_ms:
        kept[meta_name("timeout")] = str(timeout_ms)
    return kept


def render(params: Mapping[str, str]) -> str:
    """`<parameters a="1" b="2"/>`, attributes sorted by name, as Pacemaker renders it."""
    attrs = "".join(f' {k}="{_escape(params[k])}"' for k in sorted(params))
    return f"<parameters{attrs}/>"


def op_digest(params: Mapping[str, str], interval_ms: int = 0, timeout_ms: int = 0) -> str:
    """The op-digest Pacemaker records for an operation with these instance parameters."""
    text = " " + render(digest_params(params, interval_ms, timeout_ms)) + "\n"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
