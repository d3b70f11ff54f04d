"""Totem timeouts and limits, defaults tuned for loopback and LAN (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass

from actors.errors import UserError


@dataclass(frozen=True)
class TotemConfig:
    """Seconds for the timeouts, counts for the limits."""

    token: float = 0.5
    """No token for this long: the ring is declared lost and membership is gathered again."""
    token_retransmit: float = 0.11
    """Resend the token (or commit token) we passed on if nothing shows the successor got it."""
    hold: float = 0.01
    """An idle ring holds the token this long at each member before passing it on."""
    join: float = 0.05
    """Resend our join this often while gathering."""
    consensus: float = 0.2
    """Give up on the processes that have not agreed with our join within this time."""
    merge: float = 0.2
    """The representative announces its ring this often so partitions find each other."""
    fail_recv: int = 50
    """Token rotations without progress of the ring's aru before the laggard is declared failed."""
    window: int = 60
    """Frames broadcast per token rotation, ring-wide (flow control)."""
    max_frames: int = 20
    """Frames one member may broadcast per token visit."""
    max_outstanding: int = 400
    """Frames broadcast but not yet received by everyone (bounds every member's store)."""
    pack: int = 64
    """Messages packed into one frame."""

    def __post_init__(self) -> None:
        for name in ("token", "token_retransmit", "hold", "join", "consensus", "merge"):
            if getattr(self, name) <= 0:
                raise UserError(f"totem: {name} must be positive, got {getattr(self, name)!r}")
        if self.token_retransmit >= self.token:
            raise UserError("totem: token_retransmit must be shorter than token")
        if self.hold >= self.token_retransmit:
            raise UserError("totem: hold must be shorter than token_retransmit")
        for name in ("fail_recv", "window", "max_frames", "max_outstanding", "pack"):
            if getattr(self, name) < 1:
                raise UserError(f"totem: {name} must be at least 1, got {getattr(self, name)!r}")
