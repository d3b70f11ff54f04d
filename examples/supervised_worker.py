"""A supervised worker process that crashes and is restarted, with its restart count shown.

python examples/supervised_worker.py
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass

from actors.runtime import Actor, ActorUnreachable, ProcessHost, resolve, spawn
from actors.runtime.process import HostConfig, spawn_process
from actors.runtime.supervision import ChildSpec, GetChildren, Supervisor
from transport.authkey import ClusterKeys, read_authkey, write_authkey


@dataclass(frozen=True)
class Work:
    item: str


class Worker(Actor):
    """Upper-cases items; an item "crash" makes the whole process die, as a real bug would."""

    def on_receive(self, message):
        if isinstance(message, Work):
            if message.item == "crash":
                os._exit(3)
            return f"{message.item.upper()} (by pid {os.getpid()})"
        return super().on_receive(message)


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not reached")


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        authkey = read_authkey(write_authkey(f"{tmp}/authkey"))
        config = HostConfig(
            node="demo", process="worker", endpoint=f"ipc://{tmp}/worker", authkey=authkey
        )
        with ProcessHost(
            node="demo",
            process="main",
            endpoint=f"ipc://{tmp}/main",
            keys=ClusterKeys.from_authkey(authkey),
            peers={"demo/worker": config.endpoint},
        ):
            spec = ChildSpec("worker", lambda: spawn_process(Worker, name="worker", config=config))
            supervisor = spawn(Supervisor, [spec], name="supervisor", max_restarts=5, within=60)
            worker = resolve("demo/worker/worker")
            for round_ in range(3):
                print("worker says:", worker.ask(Work(f"job {round_}"), timeout=10).get())
                try:
                    worker.ask(Work("crash"), timeout=2).get()
                except ActorUnreachable:  # the process died before it could answer
                    pass
                status = wait_for(lambda n=round_ + 1: _restarted(supervisor, n))
                print(
                    f"worker crashed: {status.last_exit}; restarted, restart count "
                    f"{status.restarts}, new pid {status.pid}"
                )
            print("worker says:", worker.ask(Work("done"), timeout=10).get())
            supervisor.stop(timeout=10)
            return 0


def _restarted(supervisor, count: int):
    status = supervisor.ask(GetChildren()).get()["worker"]
    return status if status.restarts >= count and status.alive else None


if __name__ == "__main__":
    raise SystemExit(main())
