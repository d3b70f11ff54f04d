"""Endpoint URLs: what parses, what each actor binds, and errors that name the URL."""

from __future__ import annotations

import pytest

from transport.endpoint import Endpoint, EndpointError


@pytest.mark.parametrize(
    "url,scheme,address,encrypted",
    [
        ("tcp://127.0.0.1:5555", "tcp", "127.0.0.1:5555", True),
        ("tcp://node-1.example:1", "tcp", "node-1.example:1", True),
        ("tcp://[::1]:65535", "tcp", "[::1]:65535", True),
        ("tcp://127.0.0.1:*", "tcp", "127.0.0.1:*", True),
        ("ipc:///run/rl/n1.main", "ipc", "/run/rl/n1.main", False),
        ("inproc://n1-main", "inproc", "n1-main", False),
    ],
)
def test_parse_valid(url, scheme, address, encrypted):
    ep = Endpoint.parse(url)
    assert (ep.scheme, ep.address, ep.encrypted) == (scheme, address, encrypted)
    assert ep.url == url == str(ep)
    assert Endpoint.parse(ep.url) == ep


@pytest.mark.parametrize(
    "url,why",
    [
        ("127.0.0.1:5555", "not a URL"),
        ("udp://127.0.0.1:5555", "unknown transport"),
        ("ipc://", "no address"),
        ("inproc://", "no address"),
        ("tcp://127.0.0.1", "host:port"),
        ("tcp://:5555", "host:port"),
        ("tcp://127.0.0.1:port", "host:port"),
        ("tcp://127.0.0.1:0", "out of range"),
        ("tcp://127.0.0.1:65536", "out of range"),
        ("tcp://bad host:1", "host:port"),
    ],
)
def test_parse_errors_name_the_url(url, why):
    with pytest.raises(EndpointError, match=why) as info:
        Endpoint.parse(url)
    assert repr(url) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_error_for_non_string():
    with pytest.raises(EndpointError, match="None"):
        Endpoint.parse(None)  # type: ignore[arg-type]


def test_for_actor_derives_per_actor_endpoints():
    assert Endpoint.parse("ipc:///tmp/x/n1.main").for_actor("cpg").url == "ipc:///tmp/x/n1.main.cpg"
    assert Endpoint.parse("inproc://n1").for_actor("a/b c").url == "inproc://n1.a_b_c"
    assert Endpoint.parse("tcp://10.0.0.1:7000").for_actor("cpg").url == "tcp://10.0.0.1:*"
    assert Endpoint.parse("tcp://[::1]:7000").for_actor("cpg").url == "tcp://[::1]:*"
