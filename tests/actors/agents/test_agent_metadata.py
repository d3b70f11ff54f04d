"""Meta-data parsing (OCF and fence-agents styles) and the cache."""

from __future__ import annotations

import pytest

from actors.agents.metadata import MetadataCache, parse_metadata
from actors.agents.spec import AgentSpec
from actors.errors import UserError

OCF_XML = """<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Demo" version="1.2">
<version>1.1</version>
<longdesc lang="en">Long
  text</longdesc>
<shortdesc lang="en">Demo agent</shortdesc>
<parameters>
<parameter name="state" unique-group="state" required="1" reloadable="1">
<longdesc lang="en">Where</longdesc><shortdesc lang="en">State file</shortdesc>
<content type="string" default="/run/x.state"/>
</parameter>
<parameter name="secret" private="true"><content type="integer"/></parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/>
<action name="monitor" timeout="20s" interval="10s" depth="0" role="Promoted"/>
<action name="monitor" timeout="30" interval="11s" role="Unpromoted"/>
<action name="meta-data" timeout="500ms"/>
</actions>
</resource-agent>
"""

FENCE_XML = """<?xml version="1.0" ?>
<resource-agent name="fence_demo" shortdesc="Demo fence agent">
<longdesc>fence demo</longdesc>
<parameters>
  <parameter name="action" unique="0" required="1">
    <getopt mixed="-o, --action=[action]"/>
    <content type="string" default="reboot"/>
    <shortdesc lang="en">Fencing action</shortdesc>
  </parameter>
</parameters>
<actions><action name="on" automatic="0"/><action name="monitor"/></actions>
</resource-agent>
"""


def test_ocf_metadata():
    meta = parse_metadata(OCF_XML)
    assert (meta.name, meta.version, meta.shortdesc, meta.longdesc) == (
        "Demo",
        "1.2",
        "Demo agent",
        "Long text",
    )
    state = meta.parameter("state")
    assert state.required and state.unique and state.reloadable and not state.private
    assert (state.type, state.default, state.shortdesc) == ("string", "/run/x.state", "State file")
    secret = meta.parameter("secret")
    assert secret.private and secret.type == "integer" and secret.default is None
    assert meta.action("start").timeout_ms == 20000
    assert meta.action("monitor").role == "Promoted"
    assert meta.action("monitor", 11000).timeout_ms == 30000
    assert meta.action("meta-data").timeout_ms == 500
    assert meta.action("promote") is None


def test_fence_agent_metadata():
    meta = parse_metadata(FENCE_XML)
    assert (meta.name, meta.shortdesc) == ("fence_demo", "Demo fence agent")
    assert meta.parameter("action").default == "reboot"
    assert [a.name for a in meta.actions] == ["on", "monitor"]


@pytest.mark.parametrize(
    "text,match", [("not xml", "not XML"), ("<other/>", "not <resource-agent>")]
)
def test_bad_metadata_names_the_agent(text, match):
    with pytest.raises(UserError, match=f"ocf:x:y.*{match}"):
        parse_metadata(text, "ocf:x:y")


def test_cache_asks_once_per_version():
    calls = []
    version = {"v": 1}

    def load(spec):
        calls.append(spec)
        return OCF_XML

    cache = MetadataCache(load, lambda spec: version["v"])
    spec = AgentSpec.parse("ocf:test:Demo")
    assert cache.get(spec) is cache.get(spec)
    assert len(calls) == 1
    version["v"] = 2  # the agent file changed
    cache.get(spec)
    assert len(calls) == 2
    cache.forget(spec)
    cache.get(spec)
    assert len(calls) == 3
