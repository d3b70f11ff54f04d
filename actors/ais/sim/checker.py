"""The extended-virtual-synchrony checker: a pure function over every incarnation's delivery log.

`check(logs, final_members)` returns the violations found (empty: the run is good). What it
checks, per the guarantees in DESIGN.md:

- shape: each life starts with a regular configuration; a transitional one names the ring it
  ends and its survivors (including oneself, all from that ring) and is followed by a regular
  one; ring ids only grow; every message is delivered in the ring it was sent in;
- one view per ring: a regular configuration has the same members at every node that installs it;
- one total order per ring: a message number means the same message everywhere, each node
  delivers a ring's messages in increasing number, and what it delivers before the transitional
  configuration is a gap-free prefix of that ring's order (agreed delivery);
- survivors agree: the nodes that move together from ring r to ring r' delivered exactly the same
  messages of r, and their transitional configuration lists all of them (it may list more: a
  member can fail after agreeing to r' and before installing it, as in Totem);
- no duplication; per-sender FIFO; self-delivery (a node delivers all it sent, in order, unless
  it crashed); safe delivery (a safe message delivered before the transitional configuration is
  delivered by every member of that ring that did not crash);
- liveness: at the end every live node is in one ring with exactly `final_members`.
"""

from __future__ import annotations

from collections import defaultdict

from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.sim.simulator import IncarnationLog, Payload


def check(logs: list[IncarnationLog], final_members: tuple[int, ...] | None = None) -> list[str]:
    bad: list[str] = []
    regular_members: dict = {}
    # (incarnation index, ring) -> list of (seq, sender, payload, safe, before_transitional)
    delivered: dict = defaultdict(list)
    transitions: dict = defaultdict(list)  # (ring, next ring) -> [(log index, transitional)]
    rings_of: list[list] = []
    for li, log in enumerate(logs):
        who = f"node {log.node} inc {log.inc}"
        rings: list = []
        rings_of.append(rings)
        ring = None
        trans = None
        seen_payloads = set()
        last_k: dict = {}
        last_seq: dict = {}
        for ev in log.events:
            if type(ev) is Delivery:
                if ring is None:
                    bad.append(f"{who}: delivery before any configuration")
                    continue
                if ev.ring_id != ring:
                    bad.append(f"{who}: delivery of ring {ev.ring_id} in ring {ring}")
                if last_seq.get(ring, 0) >= ev.seq:
                    bad.append(f"{who}: ring {ring} seq {ev.seq} after {last_seq[ring]}")
                last_seq[ring] = ev.seq
                p = ev.payload
                ident = p if type(p) is Payload else (ev.ring_id, ev.seq)  # payloads may not hash
                if ident in seen_payloads:
                    bad.append(f"{who}: {p} delivered twice")
                seen_payloads.add(ident)
                if type(p) is Payload:
                    src = (p.node, p.inc)
                    if last_k.get(src, -1) >= p.k:
                        bad.append(f"{who}: FIFO broken for {src}: {p.k} after {last_k[src]}")
                    last_k[src] = p.k
                    if src[0] != ev.sender:
                        bad.append(f"{who}: {p} delivered as sent by {ev.sender}")
                delivered[li, ring].append((ev.seq, ev.sender, p, ev.safe, trans is None))
            elif ev.kind == "transitional":
                if ring is None or trans is not None or ev.ring_id != ring:
                    bad.append(f"{who}: transitional {ev} out of place (ring {ring})")
                elif log.node not in ev.members or not set(ev.members) <= set(
                    regular_members[ring]
                ):
                    bad.append(f"{who}: transitional {ev} not survivors of {ring}")
                trans = ev
            else:
                if ring is not None:
                    if trans is None:
                        bad.append(f"{who}: regular {ev.ring_id} without a transitional")
                    if ev.ring_id <= ring:
                        bad.append(f"{who}: ring {ev.ring_id} after {ring}")
                    transitions[ring, ev.ring_id].append((li, trans))
                if log.node not in ev.members:
                    bad.append(f"{who}: regular {ev.ring_id} without itself")
                known = regular_members.setdefault(ev.ring_id, ev.members)
                if known != ev.members:
                    bad.append(f"{who}: ring {ev.ring_id} members {ev.members} vs {known}")
                ring, trans = ev.ring_id, None
                rings.append(ring)
        own = [
            e.payload
            for e in log.events
            if type(e) is Delivery
            and type(e.payload) is Payload
            and e.payload.node == log.node
            and e.payload.inc == log.inc
        ]
        if own != log.sent[: len(own)]:
            bad.append(f"{who}: own messages delivered out of order or with gaps")
        elif not log.crashed and len(own) != len(log.sent):
            bad.append(f"{who}: {len(log.sent) - len(own)} own messages never delivered")
    # One total order per ring.
    by_ring: dict = defaultdict(dict)
    for (_li, ring), items in delivered.items():
        order = by_ring[ring]
        for seq, sender, p, safe, _ in items:
            known = order.setdefault(seq, (sender, p, safe))
            if known != (sender, p, safe):
                bad.append(f"ring {ring} seq {seq}: {(sender, p, safe)} vs {known}")
    for (li, ring), items in delivered.items():
        prefix = [seq for seq, *_, regular in items if regular]
        if prefix != sorted(by_ring[ring])[: len(prefix)]:
            bad.append(f"node {logs[li].node} inc {logs[li].inc}: agreed gap in ring {ring}")
    # Survivors agree.
    for (ring, nxt), movers in transitions.items():
        nodes = {logs[li].node for li, _ in movers}
        sets = [[x[:3] for x in delivered.get((li, ring), ())] for li, _ in movers]
        if any(other != sets[0] for other in sets):
            bad.append(f"ring {ring} -> {nxt}: survivors {sorted(nodes)} delivered differently")
        for li, trans in movers:
            if trans is None:
                continue
            listed = set(trans.members)
            if not nodes <= listed:
                bad.append(
                    f"ring {ring} -> {nxt}: transitional {sorted(listed)} at node "
                    f"{logs[li].node} but movers {sorted(nodes)}"
                )
    # Safe delivery.
    seq_sets: dict = {}

    def seqs_of(li: int, ring) -> set:
        if (li, ring) not in seq_sets:
            seq_sets[li, ring] = {x[0] for x in delivered.get((li, ring), ())}
        return seq_sets[li, ring]

    for (_li, ring), items in delivered.items():
        for seq, _, p, safe, regular in items:
            if not (safe and regular):
                continue
            for lj, log in enumerate(logs):
                if log.crashed or ring not in rings_of[lj]:
                    continue
                if seq not in seqs_of(lj, ring):
                    bad.append(f"ring {ring}: safe {p} not delivered at node {log.node}")
    # Liveness.
    if final_members is not None:
        for log in logs:
            if log.crashed:
                continue
            last = next((e for e in reversed(log.events) if type(e) is ConfigurationChange), None)
            if last is None or last.kind != "regular" or last.members != final_members:
                bad.append(f"node {log.node}: final configuration {last} not {final_members}")
    return bad
