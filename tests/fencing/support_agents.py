"""Misbehaving fence agents for tests: one that always fails, one that hangs, one that lies."""

from __future__ import annotations

import textwrap
from pathlib import Path

_METADATA = """<?xml version="1.0" ?>
<resource-agent name="{name}" shortdesc="test agent">
<parameters>
  <parameter name="action" required="1"><content type="string" default="reboot"/></parameter>
  <parameter name="port"><content type="string"/></parameter>
  <parameter name="nodename"><content type="string"/></parameter>
</parameters>
<actions><action name="off"/><action name="on"/><action name="reboot"/>
<action name="status"/><action name="monitor"/><action name="metadata"/></actions>
</resource-agent>"""

# What each test agent does per action (shell `case` arms); metadata is added to all.
TEST_AGENTS = {
    "fence_testfail": 'status) exit 0 ;;\n*) echo "fence_testfail: $action refused" >&2; exit 1 ;;',
    "fence_testhang": "status) exit 0 ;;\n*) exec sleep 600 ;;",
    "fence_testliar": "*) exit 0 ;;",  # off says success, status says on
}


def _script(name: str, arms: str) -> str:
    return textwrap.dedent(
        """\
        #!/bin/sh
        action=reboot
        while IFS='=' read -r key value; do
            [ "$key" = action ] && action=$value
        done
        case "$action" in
        metadata) cat <<'XML'
        {metadata}
        XML
            exit 0 ;;
        {arms}
        esac
        """
    ).format(metadata=_METADATA.format(name=name), arms=arms)


def write_test_agents(directory: Path) -> Path:
    """The misbehaving test agents (TEST_AGENTS) in `directory`, which is created."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, arms in TEST_AGENTS.items():
        path = directory / name
        path.write_text(_script(name, arms))
        path.chmod(0o755)
    return directory
