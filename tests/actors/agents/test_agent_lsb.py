"""LSB meta-data made from the INIT INFO header."""

from __future__ import annotations

from actors.agents.execute import fetch_metadata
from actors.agents.lsb import init_info, lsb_metadata_xml
from actors.agents.metadata import parse_metadata
from actors.agents.spec import AgentSpec

HEADER = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          web
# Required-Start:    $network $remote_fs
# Short-Description: Web <server> & friends
# Description:       Serves pages
#\tto everyone.
### END INIT INFO
# Not-A-Field: after the header
"""


def test_init_info_fields_and_continuations():
    info = init_info(HEADER)
    assert info["Provides"] == "web"
    assert info["Required-Start"] == "$network $remote_fs"
    assert info["Description"] == "Serves pages to everyone."
    assert "Not-A-Field" not in info
    assert init_info("#!/bin/sh\necho no header\n") == {}


def test_lsb_metadata_of_a_script(agent_dirs):
    meta = parse_metadata(fetch_metadata(AgentSpec.parse("lsb:lsbdemo"), agent_dirs))
    assert (meta.name, meta.shortdesc) == ("lsbdemo", "Demo service for tests")
    assert meta.longdesc == "Keeps a state file beside itself."
    assert meta.parameters == ()
    assert meta.action("monitor").interval_ms == 15000
    assert {a.name for a in meta.actions} >= {"start", "stop", "status", "monitor"}


def test_header_text_is_escaped_into_valid_xml():
    meta = parse_metadata(lsb_metadata_xml("web", HEADER))
    assert meta.shortdesc == "Web <server> & friends"
