"""The `Transition Summary:` section, laid out as crm_simulate prints it."""

from __future__ import annotations

from actors.crm.scheduler.model import SummaryLine


def format_summary(lines: tuple[SummaryLine, ...]) -> list[str]:
    rsc_lines = [ln for ln in lines if ln.kind != "Fence"]
    width = max((len(ln.name) for ln in rsc_lines), default=0)

    def where(ln: SummaryLine) -> str:
        if ln.source and ln.target and ln.source != ln.target:
            return f"{ln.source} -> {ln.target}"
        return ln.source or ln.target or ""

    where_width = max((len(where(ln)) for ln in rsc_lines), default=0)
    out = []
    for ln in lines:
        if ln.kind == "Fence":
            out.append(f"  * Fence ({ln.fence_action}) {ln.name} '{ln.reason}'")
            continue
        text = f"  * {ln.kind:<10} {ln.name:<{width}} ( {where(ln):>{where_width}} )"
        if ln.reason:
            text += f"  {ln.reason}"
        out.append(text)
    return out
