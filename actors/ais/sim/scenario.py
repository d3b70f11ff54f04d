"""Seeded scenarios: a random workload under random faults, then healing, then the EVS check.

`run_scenario(seed, nodes=(2, 6))` is a pure function of its arguments: the seed picks the node
count, the fault classes and their timing, and drives the simulator's randomness, so a failing
seed replays exactly (`python3 -m actors.ais.sim --seed N -v`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from actors.ais.sim.checker import check
from actors.ais.sim.simulator import Faults, Simulator
from actors.ais.totem.config import TotemConfig

FAULT_CLASSES = ("loss", "reorder", "dup", "crash", "partition", "restart")


@dataclass
class Outcome:
    seed: int
    nodes: int
    faults: tuple[str, ...]
    violations: list[str]
    delivered: int
    virtual_seconds: float
    script: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def describe(self) -> str:
        head = f"seed {self.seed}: {self.nodes} nodes, faults {','.join(self.faults) or 'none'}"
        return "\n".join([head, *("  " + s for s in self.script), *self.violations])


def run_scenario(
    seed: int,
    nodes: tuple[int, int] = (2, 6),
    duration: float = 2.0,
    config: TotemConfig | None = None,
    faults: tuple[str, ...] | None = None,
) -> Outcome:
    """Run one seeded scenario and check it; `faults` forces the fault classes (else random)."""
    rng = random.Random(seed)
    n = rng.randint(*nodes)
    faults, net = pick_faults(rng, faults)
    script: list[str] = []
    sim = Simulator(n, rng.randrange(2**32), config, net)
    ids = sim.node_ids

    def log(when: float, what: str, fn) -> None:
        script.append(f"t={when:.3f} {what}")
        sim.at(when, fn)

    # Workload: every node multicasts at random moments, a quarter of it safe.
    for _ in range(rng.randint(20, 150)):
        when = rng.uniform(0.05, duration + 0.5)
        node, safe = rng.choice(ids), rng.random() < 0.25
        sim.at(when, lambda node=node, safe=safe: sim.submit(node, safe))
    # Sometimes bursts, to fill the flow-control window and give recovery many frames to carry.
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 4)):
            when, node, size = rng.uniform(0.1, duration), rng.choice(ids), rng.randint(100, 1000)
            script.append(f"t={when:.3f} burst of {size} from {node}")
            sim.at(when, lambda node=node, size=size: [sim.submit(node) for _ in range(size)])
    end = script_faults(sim, rng, faults, duration, log)
    live, settled = settle(sim, end)
    violations = [] if settled else [f"no single ring of {live} by t={sim.now:.1f}"]
    # A last message from everyone, which must reach everyone.
    for node in live:
        sim.submit(node)
    sim.run_until(sim.now + 1.0)
    violations += check(sim.logs, live if settled else None)
    delivered = sum(len(log.events) for log in sim.logs)
    return Outcome(seed, n, faults, violations, delivered, sim.now, script)


def pick_faults(
    rng: random.Random, faults: tuple[str, ...] | None
) -> tuple[tuple[str, ...], Faults]:
    """The fault classes of a run (given, else a random mix) and its network faults."""
    if faults is None:
        faults = tuple(c for c in FAULT_CLASSES if rng.random() < 0.35)
    net = Faults(
        loss=rng.choice((0.01, 0.03, 0.08)) if "loss" in faults else 0.0,
        dup=rng.choice((0.01, 0.05)) if "dup" in faults else 0.0,
        delay=(0.0001, rng.choice((0.002, 0.01))) if "reorder" in faults else (0.0001, 0.0003),
    )
    return faults, net


def script_faults(sim: Simulator, rng: random.Random, faults, duration: float, log) -> float:
    """Script crashes, restarts and partitions from `rng` until `duration`, then calm (heal,
    no network faults, crashed nodes restarted when restarts are on); `log(when, what, fn)`
    schedules and records each step. Returns the virtual time the calm starts."""
    ids = sim.node_ids
    n = len(ids)
    down: set[int] = set()
    t = 0.2
    while t < duration:
        t += rng.uniform(0.1, 0.6)
        if t >= duration:
            break
        choice = rng.choice([c for c in ("crash", "partition", "restart") if c in faults] or [""])
        if choice == "crash" and len(down) < n - 1:
            victim = rng.choice([i for i in ids if i not in down])
            down.add(victim)
            log(t, f"crash {victim}", lambda v=victim: sim.crash(v))
        elif choice == "restart" and down:
            back = rng.choice(sorted(down))
            down.discard(back)
            log(t, f"restart {back}", lambda b=back: sim.start(b))
        elif choice == "restart":
            victim = rng.choice(ids)
            gap = rng.uniform(0.0, 0.3)
            log(t, f"crash {victim} and restart after {gap:.3f}", lambda v=victim: sim.crash(v))
            sim.at(t + gap, lambda v=victim: sim.start(v))
        elif choice == "partition":
            shuffled = ids[:]
            rng.shuffle(shuffled)
            cut = rng.randint(1, n - 1)
            groups = [shuffled[:cut], shuffled[cut:]]
            log(t, f"partition {groups}", lambda g=groups: sim.partition(g))
            heal_at = t + rng.uniform(0.05, 0.8)
            log(heal_at, "heal", sim.heal)
    end = duration + 0.6
    log(end, "heal, no faults", lambda: (sim.heal(), sim.set_faults(Faults())))
    if "restart" in faults:
        for node in sorted(down):
            log(end, f"restart {node}", lambda b=node: sim.start(b))
    return end


def settle(sim: Simulator, end: float) -> tuple[tuple[int, ...], bool]:
    """Run to `end`, then until the live nodes form one ring with nothing pending (15 virtual
    seconds at most). Returns the live nodes and whether they settled."""
    sim.run_until(end)
    live = tuple(sorted(sim.nodes))

    def unsettled() -> bool:
        cores = [sim.nodes[i].core for i in live]
        return any(
            not c.operational or c.members != cores[0].members or c.pending for c in cores
        ) or len(cores[0].members) != len(live)

    return live, sim.run_while(unsettled, 0.2, end + 15.0)
