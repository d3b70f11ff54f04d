"""Ping-pong between two actors in two processes, over ipc, with authenticated frames.

python examples/ping_pong.py
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

from actors.runtime import Actor, ProcessHost, spawn
from actors.runtime.process import HostConfig, spawn_process
from transport.authkey import ClusterKeys, read_authkey, write_authkey


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Pong:
    n: int
    pid: int


class Ponger(Actor):
    """Lives in its own process and answers every Ping."""

    def on_receive(self, message):
        import os

        if isinstance(message, Ping):
            return Pong(message.n, os.getpid())
        return super().on_receive(message)


class Pinger(Actor):
    """Lives in this process; plays `rounds` rounds against the ponger."""

    def __init__(self, ponger) -> None:
        super().__init__()
        self.ponger = ponger

    def on_receive(self, message):
        rounds = message
        pids = set()
        for n in range(rounds):
            pong = self.ponger.ask(Ping(n), timeout=10).get()
            assert pong.n == n
            pids.add(pong.pid)
        return pids


def main() -> int:
    import os

    with tempfile.TemporaryDirectory() as tmp:
        keyfile = write_authkey(f"{tmp}/authkey")
        authkey = read_authkey(keyfile)
        config = HostConfig(
            node="demo", process="pong", endpoint=f"ipc://{tmp}/pong", authkey=authkey
        )
        with ProcessHost(
            node="demo",
            process="ping",
            endpoint=f"ipc://{tmp}/ping",
            keys=ClusterKeys.from_authkey(authkey),
        ):
            handle = spawn_process(Ponger, name="ponger", config=config)
            pinger = spawn(Pinger, handle.ref, name="pinger")
            pids = pinger.ask(100, timeout=30).get()
            print(
                f"pinger (pid {os.getpid()}) played 100 rounds with {handle.address} "
                f"(pid {', '.join(map(str, pids))})"
            )
            handle.ref.stop(timeout=10)
            handle.join(10)
            print(f"ponger process exited with code {handle.exitcode}")
            return 0 if handle.exitcode == 0 and pids == {handle.pid} else 1


if __name__ == "__main__":
    raise SystemExit(main())
