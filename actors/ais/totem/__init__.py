"""Totem: total ordering and membership for the executive, sans-IO.

Modules: `messages` (the frames), `effects` (inputs and effects), `config` (timeouts), `core`
(the state machine of one node). The hosting actor feeds `TotemCore.handle(event, now)` with
received frames, fired timers and local `Multicast`s, performs the returned `Send`/`SetTimer`/
`CancelTimer` effects and hands the EVS events (`actors.ais.evs`) to the service cores.

Protocol: the Totem Single Ring Protocol (Amir et al., 1995), as OpenAIS and corosync run it,
with one simplification in recovery (below).

Identity. A process is `(node id, incarnation)`; a restarted node comes back with a higher
incarnation, every frame names its sender's, frames of a lower incarnation are ignored and a
member whose node shows a newer incarnation is failed at once. Ring ids are `RingId(seq, rep)`
with `seq` above any the node has seen; the host persists `TotemCore.max_ring_seq` across
restarts (corosync's ringid file) so a ring id is never reused.

Ordering (operational). A token circulates in member order. The holder retransmits the frames
listed in the token's `rtr` that it has, multicasts up to its share of the flow-control window
(`window` frames per rotation ring-wide, `max_frames` per visit, at most `max_outstanding`
beyond the ring's aru), each frame packing up to `pack` messages, adds the frames it misses to
`rtr`, lowers the token's `aru` to its own (or raises it if it set it last), and passes it on.
Frames carry the ring sequence number, so every member delivers them in the same order:
*agreed* delivery is in sequence order up to the local all-received point; *safe* delivery
waits until the token's aru, seen on two successive visits, covers the frame (then every member
holds it). Delivery is in order, so per-sender FIFO and self-delivery hold in a ring. An idle
ring holds the token `hold` at each member to save CPU; a local send releases it at once. A
lost token is resent by its sender after `token_retransmit` until the successor shows it got it.

Membership. No token for `token` seconds (a member died, or a partition): gather. A gathering
process multicasts `Join(procs, failed)` every `join` seconds and merges every join it hears
(a join that names us as failed is ignored: its sender forms a ring without us and we merge
afterwards). When every live process of `procs - failed` has sent the same sets (consensus),
the lowest one sends a `CommitToken` round the new ring three times: (1) each member adds its
old ring id, aru and highest sequence number; (2) each member adds the frames of its old ring
above the lowest aru of the members coming from that ring; (3) each member installs the ring.
Members that do not answer within `consensus` are failed. Rings find each other after a
partition heals through the representative's `MergeDetect`, sent every `merge` seconds, and any
frame of a foreign ring: gather again, and form one ring.

Recovery and extended virtual synchrony. Recovery is done inside the commit token (corosync
re-multicasts old frames on the new ring instead; carrying them in the token is simpler and,
as the old-ring window is bounded by `max_outstanding`, as bounded). On installing, every
member coming from the same old ring has exactly the same old-ring frames (those up to the
lowest aru, which everybody holds, plus those in the token), so they deliver the same messages:
first, in the old regular configuration, the gap-free agreed prefix and the safe frames whose
safety was established; then the transitional configuration (the members from the same old
ring); then the rest: safe frames delivered in the transitional configuration, and frames after
a hole (a frame no survivor holds, so its sender failed), except those of a sender whose own
earlier frame is missing (each frame names its sender's previous one), which keeps per-sender
FIFO; then the regular configuration of the new ring. Hence: one total order per configuration,
FIFO, self-delivery (a survivor's own frames are never holes), safe delivery, a failed
sender's message delivered to all survivors or none, no loss/duplication/reordering among
survivors, configuration changes in the same order everywhere (ring ids only grow), partitions
forming separate rings and merging when healed, restarted nodes joining as new incarnations.
The simulator (`actors.ais.sim`) checks each of these over thousands of seeded fault scripts.

Timeouts (TotemConfig defaults). token 0.5 s, token_retransmit 0.11 s (four resends before
the token is declared lost), hold 0.01 s, join 0.05 s, consensus 0.2 s, merge 0.2 s,
fail_recv 50 rotations. A SIGKILLed member is noticed after at most `token` (0.5 s); the
survivors then answer each other's joins within a few `join` periods and fail the dead one at
the `consensus` timeout (0.2 s), and the commit token's three rotations take a few
milliseconds on loopback: about 0.7 s in all, under the 1 s goal. The token timeout is far above
the idle rotation time (members x hold, 60 ms for 6 nodes) and a loaded rotation (bounded by the
flow-control window), and leaves room for scheduling pauses of a busy 2-core box, so neither an
idle nor a loaded ring loses its token by mistake.

EVS events emitted (`actors.ais.evs`): `Delivery.seq` numbers messages (not frames) within a
ring, so it is unique per ring and packing is invisible above. A regular configuration lists
`joined`/`left` relative to this node's previous regular one, by process: a node that restarted
appears in both `left` and `joined`. A transitional configuration carries the old ring's id.
The very first configuration of an incarnation is a regular one without a transitional.
"""
