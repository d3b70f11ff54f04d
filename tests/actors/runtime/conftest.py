"""Fixtures for the actor runtime tests: keys, hosts that are always closed, endpoints."""

from __future__ import annotations

import pytest
from runtime_support import AUTHKEY, free_port, unique

from actors.runtime.host import ProcessHost
from transport.authkey import ClusterKeys


@pytest.fixture
def authkey() -> bytes:
    return AUTHKEY


@pytest.fixture
def keys() -> ClusterKeys:
    return ClusterKeys.from_authkey(AUTHKEY)


@pytest.fixture
def endpoint_for(tmp_path):
    """endpoint_for(transport, label) -> a fresh endpoint URL on that transport."""

    def make(transport: str, label: str) -> str:
        if transport == "inproc":
            return f"inproc://{unique(label)}"
        if transport == "ipc":
            return f"ipc://{tmp_path}/{label}"
        return f"tcp://127.0.0.1:{free_port()}"

    return make


@pytest.fixture
def make_host(keys):
    """make_host(node=..., endpoint=..., **kw) -> a ProcessHost closed when the test ends."""
    hosts: list[ProcessHost] = []

    def make(*, node: str, endpoint: str, process: str = "main", **kwargs) -> ProcessHost:
        host = ProcessHost(
            node=node, process=process, endpoint=endpoint, keys=kwargs.pop("keys", keys), **kwargs
        )
        hosts.append(host)
        return host

    yield make
    for host in reversed(hosts):
        host.close()
