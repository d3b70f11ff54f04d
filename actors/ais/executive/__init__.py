"""The executive: the process every node runs for totem and the AIS services (corosync's aisexec).

Modules: `process` (the process's `main` actor, started by the node supervisor), `totem_actor`
(the actor that does the work), `services` (which cores it hosts and how deliveries are routed),
`links` (frames to the other nodes), `messages` (what clients and operators say to it).

One actor for totem and every service. Each EVS event must reach every service in the order
totem emits it, and a service's multicast goes back into totem; with a service per actor that
is two thread hops (and two wake-ups) per message per service, while the GIL runs one of them at
a time anyway. In one actor a delivered message costs one function call per interested core,
the order is the order of the loop, and nothing needs locking. That is what lets a node deliver
tens of thousands of agreed messages per second (`ringleader bench evs`). A slow service would
delay the others; none of the cores does IO or waits, so none is slow.

IO done here, nowhere else: frames are tells to `<peer>/executive/totem` (lost frames are
totem's business: it retransmits); `SetTimer`/`CancelTimer` become `host.timers` entries whose
message carries a generation, so a cancelled timer that fires anyway is ignored; replies and
callbacks are tells to the client's mailbox (`actors.ais.client`), tagged with the EVS event
that caused them. The incarnation (milliseconds since the epoch, above the last one used) and
the highest ring sequence number are kept in `<run dir>/totem.json`, so a restarted node is a
new incarnation and never reuses a ring id.

Clients: a connection says `Hello(conn, pid, mailbox, endpoint)`; requests are tells answered
by `Replied` tells, so a service may answer late. A connection ends with `Finalize`, or when the
pid it gave is gone (checked every 0.5 s against /proc, with the process start time, so a
zombie or a reused pid is not mistaken for it): the services it used see `ClientGone`. A
request on a connection the executive does not know (it restarted) is answered BAD_HANDLE.

Testing hooks: with RINGLEADER_EVS_TRACE=1 in its environment the totem actor keeps every EVS
event it emits (`GetEvsLog`), for the simulator's EVS checker over real processes; `BenchLoad`
makes it multicast benchmark messages itself (`ringleader bench evs`).
"""
