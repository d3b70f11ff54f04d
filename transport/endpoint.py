"""Endpoints as URLs (`tcp://host:port`, `ipc://path`, `inproc://name`), chosen by configuration.

The same actor code runs over any of them; only tcp gets CURVE encryption, because ipc and inproc
never leave the machine (ipc sockets live in a 0700 directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEMES = ("tcp", "ipc", "inproc")
_TCP = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(?P<port>\d+|\*)$")


class EndpointError(ValueError):
    """An endpoint URL we cannot use; the message names it and says why."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    address: str  # host:port for tcp, a path for ipc, a name for inproc

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        if not isinstance(url, str) or "://" not in url:
            raise EndpointError(f"endpoint {url!r} is not a URL like tcp://host:port, ipc://path")
        scheme, _, address = url.partition("://")
        if scheme not in SCHEMES:
            raise EndpointError(
                f"endpoint {url!r}: unknown transport {scheme!r} (use {', '.join(SCHEMES)})"
            )
        if not address:
            raise EndpointError(f"endpoint {url!r} has no address")
        if scheme == "tcp":
            m = _TCP.match(address)
            if not m:
                raise EndpointError(f"endpoint {url!r}: tcp needs host:port")
            if m["port"] != "*" and not 0 < int(m["port"]) < 65536:
                raise EndpointError(f"endpoint {url!r}: port out of range")
        return cls(scheme, address)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    @property
    def encrypted(self) -> bool:
        return self.scheme == "tcp"

    def for_actor(self, name: str) -> Endpoint:
        """Endpoint to bind for one actor of the process that owns this endpoint.

        Every remotely reachable actor owns its socket (so a remote ask costs no thread hop);
        ipc and inproc derive a path/name, tcp binds an ephemeral port on the same host.
        """
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        if self.scheme == "tcp":
            host = self.address.rsplit(":", 1)[0]
            return Endpoint("tcp", f"{host}:*")
        return Endpoint(self.scheme, f"{self.address}.{safe}")

    def __str__(self) -> str:
        return self.url
