"""Actors the node-supervisor tests ask a real node to host (importable by its child processes)."""

from __future__ import annotations

import os

from actors.runtime import Actor


class PidEcho(Actor):
    """Answers every message with (its process id, the message)."""

    def on_receive(self, message):
        return (os.getpid(), message)
