"""Devices: Pacemaker's host list / map / check / argument rules and option checks."""

from __future__ import annotations

import pytest

from actors.agents.metadata import parse_metadata
from actors.errors import UserError
from fencing.device import (
    make_device,
    parameter_aliases,
    parse_host_list,
    parse_host_map,
    parse_options,
)

METADATA = """<resource-agent name="fence_x">
<parameters>
  <parameter name="action" required="1"><content type="string" default="reboot"/></parameter>
  <parameter name="ip" required="1"><content type="string"/></parameter>
  <parameter name="plug"><content type="string"/></parameter>
  <parameter name="login"><content type="string" default="admin"/></parameter>
</parameters>
<actions><action name="off"/><action name="on"/><action name="status"/>
<action name="metadata"/></actions>
</resource-agent>"""


@pytest.fixture
def meta():
    return parse_metadata(METADATA, "fence_x")


def test_host_map_as_pacemaker_writes_it():
    assert parse_host_map("node1:1;node2:2,3") == {"node1": "1", "node2": "2,3"}
    assert parse_host_map(" node1=a  node2:b; ") == {"node1": "a", "node2": "b"}


@pytest.mark.parametrize("bad", ["node1", "node1:", ":1", "n1:1;n1:2", " ; "])
def test_a_malformed_host_map_names_the_entry(bad):
    with pytest.raises(UserError, match="pcmk_host_map"):
        parse_host_map(bad)


def test_malformed_map_at_registration_names_the_device():
    with pytest.raises(UserError, match="device d1: pcmk_host_map: entry 'node2'"):
        make_device("d1", "fence_x", {"pcmk_host_map": "node1:1;node2"})


def test_host_list_separators():
    assert parse_host_list("a b,c;d  a") == ("a", "b", "c", "d")


def test_host_check_defaults_follow_pacemaker(meta):
    assert make_device("d", "fence_x", {"pcmk_host_list": "n1"}).host_check == "static-list"
    assert make_device("d", "fence_x", {"pcmk_host_map": "n1:1"}).host_check == "static-list"
    assert make_device("d", "fence_x", {}).host_check == "dynamic-list"  # no meta-data: all
    with_status = make_device("d", "fence_x", {"ip": "1"}, meta)
    assert with_status.host_check == "status"  # no list action
    bare = make_device("d", "fence_x", {}).__class__(
        "d", "fence_x", {}, frozenset({"off"}), frozenset()
    )
    assert bare.host_check == "none"


def test_host_argument_is_port_else_plug_per_meta_data(meta):
    assert make_device("d", "fence_x", {}).host_argument == "port"
    assert make_device("d", "fence_x", {"ip": "1"}, meta).host_argument == "plug"
    given = make_device("d", "fence_x", {"pcmk_host_argument": "uuid"})
    assert given.host_argument == "uuid"


def test_agent_params_carry_nodename_and_the_mapped_port(meta):
    device = make_device(
        "d", "fence_x", {"ip": "10.0.0.1", "pcmk_host_map": "n1:7", "pcmk_off_timeout": "5s"}, meta
    )
    assert device.agent_params("off", "n1") == {"ip": "10.0.0.1", "nodename": "n1", "plug": "7"}
    assert device.agent_params("off", "n2")["plug"] == "n2"
    assert device.agent_params("list", None) == {"ip": "10.0.0.1"}
    none = make_device("d", "fence_x", {"ip": "1", "pcmk_host_argument": "none"}, meta)
    assert none.agent_params("off", "n1") == {"ip": "1", "nodename": "n1"}
    fixed = make_device("d", "fence_x", {"ip": "1", "plug": "42"}, meta)
    assert fixed.agent_params("off", "n1")["plug"] == "42"


def test_timeouts_retries_and_renamed_actions():
    device = make_device(
        "d",
        "fence_x",
        {"pcmk_reboot_timeout": "90s", "pcmk_off_retries": "0", "pcmk_reboot_action": "off"},
    )
    assert device.timeout_ms("reboot") == 90_000 and device.timeout_ms("off") == 60_000
    assert device.retries("off") == 0 and device.retries("on") == 2
    assert device.agent_action("reboot") == "off" and device.agent_action("on") == "on"
    assert device.delay_ms() == (0, 0)
    assert make_device("d", "fence_x", {"pcmk_delay_base": "2s"}).delay_ms() == (2000, 2000)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bogus": "1", "ip": "1"}, "option 'bogus' is not a parameter of fence_x"),
        ({}, "requires option\\(s\\) ip"),
        ({"ip": "1", "action": "off"}, "option 'action' is set by the fencer"),
        ({"ip": "1", "pcmk_delay_fancy": "1"}, "not a fencer option"),
        ({"ip": "1", "pcmk_host_check": "maybe"}, "pcmk_host_check 'maybe'"),
        ({"ip": "1", "pcmk_host_check": "dynamic-list"}, "needs the agent's list action"),
        ({"ip": "1", "pcmk_host_check": "static-list"}, "needs pcmk_host_list"),
        ({"ip": "1", "pcmk_off_timeout": "soon"}, "pcmk_off_timeout"),
        ({"ip": "1", "pcmk_off_retries": "-1"}, "pcmk_off_retries '-1'"),
        ({"ip": "1", "pcmk_off_action": "explode"}, "pcmk_off_action 'explode'"),
        ({"ip": "1", "priority": "high"}, "priority 'high'"),
        ({"ip": "1", "pcmk_delay_max": "later"}, "pcmk_delay_max"),
    ],
)
def test_bad_options_name_the_device_and_the_option(meta, options, message):
    with pytest.raises(UserError, match=message):
        make_device("dev1", "fence_x", options, meta)


def test_bad_names():
    with pytest.raises(UserError, match="device '../x'"):
        make_device("../x", "fence_x", {})
    with pytest.raises(UserError, match="fence_"):
        make_device("d", "ipmi", {})


def test_parse_options():
    assert parse_options(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(UserError, match="'nope'"):
        parse_options(["nope"])


APC_LIKE = """<resource-agent name="fence_y"><parameters>
<parameter name="ip" required="1" obsoletes="ipaddr"><content type="string"/></parameter>
<parameter name="ipaddr" required="1" deprecated="1"><content type="string"/></parameter>
<parameter name="login" required="1" deprecated="1"><content type="string"/></parameter>
<parameter name="username" required="1" obsoletes="login"><content type="string"/></parameter>
<parameter name="plug" required="1" obsoletes="port"><content type="string"/></parameter>
<parameter name="port" required="1" deprecated="1"><content type="string"/></parameter>
</parameters><actions><action name="off"/></actions></resource-agent>"""


@pytest.mark.parametrize(
    "options",
    [{"ip": "a", "username": "u"}, {"ipaddr": "a", "login": "u"}, {"ip": "a", "login": "u"}],
)
def test_required_parameters_are_satisfied_by_old_or_new_names(options):
    meta, aliases = parse_metadata(APC_LIKE, "fence_y"), parameter_aliases(APC_LIKE)
    assert aliases == {"ip": "ipaddr", "username": "login", "plug": "port"}
    make_device("d", "fence_y", {"pcmk_host_list": "n1", **options}, meta, aliases)


def test_missing_required_parameters_are_named_by_their_current_names():
    meta, aliases = parse_metadata(APC_LIKE, "fence_y"), parameter_aliases(APC_LIKE)
    with pytest.raises(UserError, match=r"fence_y requires option\(s\) ip, username$"):
        make_device("d", "fence_y", {"pcmk_host_list": "n1"}, meta, aliases)
