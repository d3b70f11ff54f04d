"""Two chat clients in a closed process group (CPG): join, talk, one leaves.

python examples/cpg_chat.py                       # starts a local 2-node cluster, then stops it
python examples/cpg_chat.py --config a.toml --config b.toml   # uses a running cluster

Alice talks to node1's executive and Bob to node2's, as two applications on two machines would;
each prints the views (confchg) and messages its library hands it in dispatch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from actors.ais.client import CpgClient
from actors.commands.cluster import temporary_cluster

GROUP = "chat"


class Member:
    def __init__(self, name: str, config: Path) -> None:
        self.name = name
        self.seen: list[str] = []
        self.members: tuple = ()
        self.cpg = CpgClient(deliver=self.deliver, confchg=self.confchg, config=str(config))

    def deliver(self, cb) -> None:
        self.seen.append(f"message from node {cb.nodeid}: {cb.data}")
        print(f"  {self.name} got   {cb.data!r} (from node {cb.nodeid} pid {cb.pid})")

    def confchg(self, cb) -> None:
        self.members = cb.members
        change = ", ".join(
            f"{'+' if a in cb.joined else '-'}node{a.nodeid}/{a.pid} {a.reason.name}"
            for a in (*cb.joined, *cb.left)
        )
        print(f"  {self.name} sees  {len(cb.members)} member(s) in {cb.group!r} ({change})")

    def until(self, condition, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name}: timed out waiting for {what}")
            self.cpg.dispatch(0.1)


def chat(configs: list[Path]) -> None:
    alice, bob = Member("alice", configs[0]), Member("bob", configs[1])
    print(f"alice and bob join {GROUP!r}")
    alice.cpg.join(GROUP)
    bob.cpg.join(GROUP)
    alice.until(lambda: len(alice.members) == 2, "bob in the group")
    bob.until(lambda: len(bob.members) == 2, "alice in the group")
    print("they talk (agreed order: both see the same sequence)")
    alice.cpg.mcast_joined("hello bob", retry=10)
    bob.cpg.mcast_joined("hi alice", retry=10)
    alice.until(lambda: len(alice.seen) == 2, "two messages")
    bob.until(lambda: len(bob.seen) == 2, "two messages")
    assert alice.seen == bob.seen, "one total order"
    print("bob leaves")
    bob.cpg.leave(GROUP)
    alice.until(lambda: len(alice.members) == 1, "bob gone")
    bob.cpg.finalize()
    alice.cpg.finalize()
    print("done: both saw the same messages in the same order")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, help="two node configs")
    args = parser.parse_args()
    if args.config:
        if len(args.config) != 2:
            parser.error("give --config twice (alice's node and bob's node)")
        chat(args.config)
        return 0
    with temporary_cluster(2, "rl-chat-", announce=True) as configs:
        chat(configs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
