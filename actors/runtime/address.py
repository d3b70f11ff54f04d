"""Actor addresses: node/process/name, the one way to name an actor anywhere in the cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"^[A-Za-z0-9_.:@+-]+$")


@dataclass(frozen=True, slots=True)
class ActorAddress:
    node: str
    process: str
    name: str

    def __post_init__(self) -> None:
        for label, part in (("node", self.node), ("process", self.process), ("name", self.name)):
            if not _PART.match(part):
                raise ValueError(f"actor address: bad {label} {part!r}")

    @classmethod
    def parse(cls, text: str) -> ActorAddress:
        parts = text.split("/")
        if len(parts) != 3:
            raise ValueError(f"actor address {text!r} is not node/process/name")
        return cls(*parts)

    @property
    def process_key(self) -> str:
        return f"{self.node}/{self.process}"

    def __str__(self) -> str:
        return f"{self.node}/{self.process}/{self.name}"
