"""Agent names (`ocf:PROVIDER:TYPE`, `lsb:NAME`, `stonith:fence_x`) and where they may live.

An agent is only ever found inside the directory configured for its standard, so a request can
name an agent but never a command line: names are single path components, and the resolved file
(symlinks followed) must stay inside that directory.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from actors.errors import UserError


class Standard(StrEnum):
    """Agent classes, named as in Pacemaker's `class` attribute."""

    OCF = "ocf"
    LSB = "lsb"
    STONITH = "stonith"


# A path component an agent or provider may use: no separators, no leading dot (so no `..`).
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+@-]*\Z")
FENCE_PREFIX = "fence_"
_CACHE_MAX = 4096


class AgentNotFound(UserError):
    """The agent is not installed where its standard says it lives (OCF_ERR_INSTALLED)."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent: `standard`, `provider` (OCF only, else ""), `type` (the executable's name)."""

    standard: Standard
    provider: str
    type: str

    @classmethod
    def parse(cls, text: str) -> AgentSpec:
        """Parse `ocf:heartbeat:Dummy`, `lsb:NAME`, `stonith:fence_x`; a UserError says why not."""
        parts = text.split(":")
        try:
            standard = Standard(parts[0].lower())
        except ValueError:
            raise UserError(
                f"agent {text!r}: unknown class {parts[0]!r} (expected ocf, lsb or stonith)"
            ) from None
        want = 3 if standard is Standard.OCF else 2
        if len(parts) != want:
            form = "ocf:PROVIDER:TYPE" if standard is Standard.OCF else f"{standard}:NAME"
            raise UserError(f"agent {text!r}: expected the form {form}")
        provider = parts[1] if standard is Standard.OCF else ""
        return cls(standard, provider, parts[-1]).checked()

    def checked(self) -> AgentSpec:
        """Refuse names that could leave the agent directory; returns self."""
        for what, value in (("provider", self.provider), ("type", self.type)):
            if what == "provider" and self.standard is not Standard.OCF:
                if value:
                    raise UserError(f"agent {self}: only ocf agents have a provider")
                continue
            if not _NAME.match(value):
                raise UserError(
                    f"agent {self}: {what} {value!r} is not a plain name "
                    "(no '/', no leading '.', letters, digits and _.+@- only)"
                )
        if self.standard is Standard.STONITH and not self.type.startswith(FENCE_PREFIX):
            raise UserError(f"agent {self}: fence agents are named {FENCE_PREFIX}*")
        return self

    def __str__(self) -> str:
        if self.standard is Standard.OCF:
            return f"ocf:{self.provider}:{self.type}"
        return f"{self.standard}:{self.type}"


@dataclass(frozen=True)
class AgentDirs:
    """Where agents of each standard live; nothing outside them is ever run."""

    ocf_root: Path = Path("/usr/lib/ocf")
    lsb_dir: Path = Path("/etc/init.d")
    fence_dir: Path = Path("/usr/sbin")

    def root(self, standard: Standard) -> Path:
        """The directory an agent of `standard` must resolve into."""
        return {
            Standard.OCF: self.ocf_root,
            Standard.LSB: self.lsb_dir,
            Standard.STONITH: self.fence_dir,
        }[standard]

    def candidate(self, spec: AgentSpec) -> Path:
        """Where `spec` would be, before any check."""
        if spec.standard is Standard.OCF:
            return self.ocf_root / "resource.d" / spec.provider / spec.type
        return self.root(spec.standard) / spec.type

    def resolve(self, spec: AgentSpec) -> Path:
        """The executable for `spec`; AgentNotFound if it is missing, not executable, or a
        symlink that leads out of its standard's directory.

        Every operation resolves its agent, and the full check walks every path component
        twice; so a result is kept with the identity of the file it found (device, inode,
        mode, owner, times) and given again only while the name still leads to that same,
        unchanged file, which one stat tells. Anything else is checked in full again."""
        spec.checked()
        key = (self, spec)
        cached = _resolved.get(key)
        if cached is not None:
            try:
                if _identity(os.stat(self.candidate(spec))) == cached[0]:
                    return cached[1]
            except OSError:
                pass
        real = self._resolve(spec)
        try:
            identity = _identity(os.stat(real))
        except OSError:
            return real  # gone meanwhile: the run will say so
        with _resolved_lock:
            if len(_resolved) >= _CACHE_MAX:
                _resolved.clear()
            _resolved[key] = (identity, real)
        return real

    def _resolve(self, spec: AgentSpec) -> Path:
        path = self.candidate(spec)
        root = os.path.realpath(self.root(spec.standard))
        real = os.path.realpath(path)
        if os.path.commonpath([root, real]) != root:
            raise AgentNotFound(f"agent {spec}: {path} leads out of {root} (to {real})")
        if not os.path.isfile(real):
            raise AgentNotFound(f"agent {spec}: not installed ({path} does not exist)")
        if not os.access(real, os.X_OK):
            raise AgentNotFound(f"agent {spec}: {path} is not executable")
        return Path(real)


_resolved: dict[tuple[AgentDirs, AgentSpec], tuple[tuple[int, ...], Path]] = {}
_resolved_lock = threading.Lock()


def _identity(st: os.stat_result) -> tuple[int, ...]:
    """What must not change for an earlier resolution to still hold (ctime covers chmod)."""
    return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_mtime_ns, st.st_ctime_ns)
