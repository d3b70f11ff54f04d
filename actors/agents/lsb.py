"""Meta-data for LSB init scripts, which have none: made from the `INIT INFO` header, as
Pacemaker does (services_lsb.c), so `agent show lsb:NAME` and the LRM treat them like OCF agents.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

_BEGIN, _END = "### BEGIN INIT INFO", "### END INIT INFO"
# Pacemaker's fixed LSB actions and timeouts (seconds).
_ACTIONS = (
    ("meta-data", 5, None),
    ("start", 15, None),
    ("stop", 15, None),
    ("status", 15, None),
    ("restart", 15, None),
    ("force-reload", 15, None),
    ("monitor", 15, 15),
)


def init_info(script: str) -> dict[str, str]:
    """The header's fields (`Provides`, `Short-Description`, ...). A continuation line (`#`
    then a tab or two spaces, per the LSB spec) is joined to the field before it."""
    fields: dict[str, str] = {}
    inside, last = False, None
    for line in script.splitlines():
        if line.startswith(_BEGIN):
            inside = True
        elif line.startswith(_END):
            break
        elif inside and line.startswith("#"):
            body = line[1:]
            if body.startswith(("\t", "  ")):
                if last and body.strip():
                    fields[last] = f"{fields[last]} {body.strip()}"
                continue
            name, sep, value = body.strip().partition(":")
            if sep and name and " " not in name:
                last = name
                fields[name] = value.strip()
    return fields


def lsb_metadata_xml(name: str, script: str) -> str:
    """A `<resource-agent>` document for the init script `name` with text `script`."""
    info = init_info(script)
    short = info.get("Short-Description", name)
    long = info.get("Description", short)
    actions = "\n".join(
        f'    <action name="{a}" timeout="{t}s"' + (f' interval="{i}s"' if i else "") + " />"
        for a, t, i in _ACTIONS
    )
    return (
        '<?xml version="1.0"?>\n'
        f'<resource-agent name={quoteattr(name)} version="1.0">\n'
        "  <version>1.0</version>\n"
        f'  <longdesc lang="en">{escape(long)}</longdesc>\n'
        f'  <shortdesc lang="en">{escape(short)}</shortdesc>\n'
        "  <parameters/>\n"
        f"  <actions>\n{actions}\n  </actions>\n"
        "</resource-agent>\n"
    )
