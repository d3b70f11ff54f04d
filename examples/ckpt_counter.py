"""A replicated counter on a checkpoint (CKPT) that survives killing the node that wrote it.

python examples/ckpt_counter.py                  # starts a local 3-node cluster, then stops it
python examples/ckpt_counter.py --config n1.toml --config n2.toml [--kill]   # a running cluster

The counter is one section of a checkpoint. A client on the first node counts to 5 (each write
is on every node's replica before it is answered); then that node is SIGKILLed (only with
--kill on a cluster you started yourself: the example does it on its own cluster), and a
client on the next node reads the counter back from its own replica and counts on.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from actors.ais.ckpt.messages import DEFAULT_SECTION, CreationAttributes, WriteMode
from actors.ais.client import CkptClient
from actors.commands.cluster import temporary_cluster, wait_for_ring
from actors.config import load_config
from actors.node import read_pid

CHECKPOINT = "example-counter"
SECTION = DEFAULT_SECTION  # a checkpoint of one section has it from its creation
ATTRIBUTES = CreationAttributes(WriteMode.ALL_REPLICAS, 64, 1, 64, retention_duration=60.0)


def open_counter(config: Path) -> tuple[CkptClient, int]:
    client = CkptClient(config=str(config))
    return client, client.open(CHECKPOINT, ATTRIBUTES, create=True, write=True)


def read(client: CkptClient, handle: int) -> int:
    return int(client.read(handle, SECTION) or b"0")


def count(config: Path, times: int) -> int:
    client, handle = open_counter(config)
    node = load_config(config).node
    value = read(client, handle)
    print(f"{node}: counter is {value}, counting {times}")
    for _ in range(times):
        value += 1
        client.overwrite(handle, SECTION, str(value).encode())
    print(f"{node}: counter = {value}")
    client.finalize()
    return value


def kill(config: Path, survivors: list[Path]) -> None:
    cfg = load_config(config)
    os.kill(read_pid(cfg), signal.SIGKILL)
    print(f"killed {cfg.node} (SIGKILL of its supervisor and every process of the node)")
    members = tuple(load_config(p).me.id for p in survivors)
    wait_for_ring(survivors, members=members)
    print(f"the others formed a new ring without {cfg.node}")


def demo(configs: list[Path], do_kill: bool) -> None:
    first, rest = configs[0], configs[1:]
    before = count(first, 5)
    if do_kill:
        kill(first, rest)
    after = count(rest[0], 5)
    assert after == before + 5, "the counter went on from where it was"
    if len(rest) > 1:
        client, handle = open_counter(rest[1])
        print(f"{load_config(rest[1]).node} reads {read(client, handle)}")
        client.finalize()
    print(f"done: the counter survived ({before} before, {after} after)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, help="node configs (2 or more)")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the first node midway")
    args = parser.parse_args()
    if args.config:
        if len(args.config) < 2:
            parser.error("give --config at least twice")
        demo(args.config, args.kill)
        return 0
    with temporary_cluster(3, "rl-counter-", announce=True) as configs:
        started = time.monotonic()
        demo(configs, do_kill=True)
        print(f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
