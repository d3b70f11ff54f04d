"""A worker pool on a message queue group (MSG): jobs go round-robin to workers on every node.

python examples/msg_pool.py                       # starts a local 3-node cluster, then stops it
python examples/msg_pool.py --config n1.toml --config n2.toml --config n3.toml   # a running one

Each worker (one per node, a thread with its own connection here; a process on its own machine
in real life) opens its queue and puts it in the group "pool". A dispatcher on the first node
sends each job to the group with send_receive: the group hands it to the next worker's queue
in turn, and the worker's reply comes back to the dispatcher.
"""

from __future__ import annotations

import argparse
import collections
import sys
import threading
from pathlib import Path

from actors.ais.client import MsgClient
from actors.ais.errors import AisError, AisErrorCode
from actors.ais.msg.messages import GroupPolicy, QueueAttributes
from actors.commands.cluster import temporary_cluster
from actors.config import load_config

GROUP = "pool"
JOBS = 9
ATTRIBUTES = QueueAttributes((4096, 4096, 4096, 4096))


class Worker(threading.Thread):
    def __init__(self, config: Path, number: int) -> None:
        super().__init__(daemon=True)
        self.node = load_config(config).node
        self.queue = f"pool-worker-{number}"
        self.msg = MsgClient(config=str(config))
        self.handle = self.msg.queue_open(self.queue, ATTRIBUTES, create=True, empty=True)
        self.stop = threading.Event()

    def join_pool(self) -> None:
        try:
            self.msg.group_create(GROUP, GroupPolicy.ROUND_ROBIN)
        except AisError as exc:
            if exc.code != AisErrorCode.EXIST:  # another worker made it
                raise
        self.msg.group_insert(GROUP, self.queue)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                job = self.msg.get(self.handle, timeout=0.5)
            except AisError as exc:
                if exc.code in (AisErrorCode.TIMEOUT, AisErrorCode.BAD_HANDLE):
                    continue
                raise
            answer = f"{job.message.data.decode()} squared is {int(job.message.data) ** 2}"
            self.msg.reply(job.sender_id, f"{answer} (by {self.node})".encode())

    def leave(self) -> None:
        self.stop.set()
        self.join(10)
        self.msg.group_remove(GROUP, self.queue)
        self.msg.queue_unlink(self.queue)  # the name goes now, the queue with the close
        self.msg.queue_close(self.handle)
        self.msg.finalize()


def demo(configs: list[Path]) -> None:
    workers = [Worker(config, i) for i, config in enumerate(configs, 1)]
    for worker in workers:
        worker.join_pool()
        worker.start()
    print(f"{len(workers)} workers in {GROUP!r}: " + ", ".join(w.node for w in workers))
    done = collections.Counter()
    with MsgClient(config=str(configs[0])) as dispatcher:
        for job in range(1, JOBS + 1):
            reply = dispatcher.send_receive(GROUP, str(job).encode(), timeout=60)
            text = reply.message.data.decode()
            done[text.rsplit("by ", 1)[1].rstrip(")")] += 1
            print(f"  job {job}: {text}")
    for worker in workers:
        worker.leave()
    print("jobs per node: " + ", ".join(f"{n} {c}" for n, c in sorted(done.items())))
    assert len(set(done.values())) == 1, "round-robin shares the jobs evenly"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, help="node configs, a worker each")
    args = parser.parse_args()
    if args.config:
        demo(args.config)
        return 0
    with temporary_cluster(3, "rl-msg-pool-", announce=True) as configs:
        demo(configs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
