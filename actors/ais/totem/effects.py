"""What goes into a totem core and what comes out of it.

Inputs: a received frame (`actors.ais.totem.messages.Frame`), `TimerFired(key)` for a timer the
core set, and `Multicast(payload, safe)` for a local send (both from `actors.ais.effects`, so a
service core's `Multicast` effect can be fed to totem as is).

Effects: `Send`, `SetTimer`, `CancelTimer`, and the EVS events (`ConfigurationChange`,
`Delivery`) for the services above, in the order they must be performed.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.ais.effects import CancelTimer, Multicast, SetTimer, TimerFired
from actors.ais.evs import ConfigurationChange, Delivery
from actors.ais.totem.messages import Frame


@dataclass(frozen=True, slots=True)
class Send:
    """Send `frame` to node `dest`, or to every other node when `dest` is None (a frame for
    oneself, e.g. the token of a one-node ring, is addressed to one's own node id)."""

    dest: int | None
    frame: Frame


TotemInput = Frame | TimerFired | Multicast
TotemEffect = Send | SetTimer | CancelTimer | ConfigurationChange | Delivery
