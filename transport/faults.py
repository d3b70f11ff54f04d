"""Fault injection per link, switched on by tests: drop, delay, duplicate, reorder, partition.

Faults act where frames arrive: each process holds a plan keyed by the peer a frame comes from
("node/process" or just "node"). A one-way partition A->B is a block in B's plan for A; both ways
is a block on each side. Duplicates are fed to the decoder twice, so they exercise the replay
guard exactly as a duplicating network would. Off by default, and then it costs one check.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LinkFaults:
    drop: float = 0.0  # probability a frame is lost
    duplicate: float = 0.0  # probability a frame arrives twice
    delay: tuple[float, float] = (0.0, 0.0)  # seconds, uniform in [min, max]
    reorder: float = 0.0  # probability a frame is held back behind later ones
    blocked: bool = False  # partitioned: nothing passes


@dataclass(frozen=True)
class Verdict:
    """What happens to one arriving frame: processed `copies` times, `delay` seconds late."""

    copies: int = 1
    delay: float = 0.0


PASS = Verdict()
DROP = Verdict(copies=0)


@dataclass
class FaultPlan:
    """The faults of one process, by the peer frames come from."""

    links: dict[str, LinkFaults] = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"links": dict(self.links), "seed": self.seed}

    def __setstate__(self, state: dict) -> None:
        self.links = state["links"]
        self.seed = state["seed"]
        self.__post_init__()

    @property
    def active(self) -> bool:
        return bool(self.links)

    def set_link(self, peer: str, faults: LinkFaults | None) -> None:
        with self._lock:
            if faults is None or faults == LinkFaults():
                self.links.pop(peer, None)
            else:
                self.links[peer] = faults

    def partition(self, peers: set[str] | frozenset[str] | list[str]) -> None:
        """Drop everything arriving from these nodes or processes."""
        for peer in peers:
            self.set_link(peer, LinkFaults(blocked=True))

    def heal(self) -> None:
        with self._lock:
            self.links.clear()

    def rule_for(self, sender: str) -> LinkFaults | None:
        node, _, rest = sender.partition("/")
        process = f"{node}/{rest.partition('/')[0]}"
        return self.links.get(process) or self.links.get(node)

    def arrival(self, sender: str) -> Verdict:
        rule = self.rule_for(sender)
        if rule is None:
            return PASS
        if rule.blocked:
            return DROP
        with self._lock:
            r = self._rng.random
            if rule.drop and r() < rule.drop:
                return DROP
            copies = 2 if rule.duplicate and r() < rule.duplicate else 1
            lo, hi = rule.delay
            delay = lo + (hi - lo) * r() if hi > 0 else 0.0
            if rule.reorder and r() < rule.reorder:
                delay += max(hi, 0.005) * (1 + r())
        return Verdict(copies, delay)
