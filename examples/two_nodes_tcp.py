"""Two "nodes" on tcp loopback, CURVE-encrypted and authenticated: node n1 asks node n2.

python examples/two_nodes_tcp.py
"""

from __future__ import annotations

import logging
import socket
import tempfile
from dataclasses import dataclass

from actors.runtime import Actor, ProcessHost, resolve
from actors.runtime.process import HostConfig, spawn_process
from transport.authkey import ClusterKeys, read_authkey, write_authkey


@dataclass(frozen=True)
class WhereAreYou:
    pass


class Locator(Actor):
    """Runs on node n2 and says where it runs."""

    def on_receive(self, message):
        if isinstance(message, WhereAreYou):
            return f"{self.address} answering over {self.host.endpoint}"
        return super().on_receive(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        authkey = read_authkey(write_authkey(f"{tmp}/authkey"))
        n1, n2 = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
        peers = {"n1/main": n1, "n2/main": n2}
        config = HostConfig(node="n2", process="main", endpoint=n2, authkey=authkey, peers=peers)
        with ProcessHost(
            node="n1",
            process="main",
            endpoint=n1,
            keys=ClusterKeys.from_authkey(authkey),
            peers=peers,
        ) as host:
            handle = spawn_process(Locator, name="locator", config=config)
            answer = resolve("n2/main/locator").ask(WhereAreYou(), timeout=10).get()
            print(f"n1 asked n2/main/locator over {n2} (CURVE): {answer}")
            print(f"frames dropped on n1: {host.counters.total()}")
            handle.stop()
            return 0 if handle.exitcode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
