"""Errors of the actor runtime, each naming the actor it is about."""

from __future__ import annotations

import pykka


class ActorUnreachable(Exception):
    """No actor answers at that address (no such process, or no such actor in it)."""


class AskTimeout(pykka.Timeout, ActorUnreachable):
    """An ask got no answer before its deadline: the actor is dead, unreachable or too slow."""


class RemoteActorError(Exception):
    """The remote actor raised something that could not be sent back as itself."""

    def __init__(self, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_traceback = remote_traceback
