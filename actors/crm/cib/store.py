"""The CIB configuration on disk: `<state_dir>/cib.xml` and its checksum `cib.xml.sha256`.

Both are written whole and atomically (temporary file, fsync, rename, fsync of the directory),
mode 0600, by the unprivileged user the crm process runs as. On start the file is checked
against its checksum and parsed; a file that fails either (corrupt, tampered with, half
written by a crash between the two renames) is refused: both files are moved aside to
`cib.xml.bad-N` (kept for the administrator), the error names the path, and the node starts
from the empty configuration, which loses to any configuration the group holds, so it takes
the cluster's copy at the first sync. The status section is never written.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from actors.crm.cib.edit import normalize
from actors.crm.cib.parse import CibError
from fencing.store import write_atomic

log = logging.getLogger("ringleader.cib")

FILE = "cib.xml"
CHECKSUM = "cib.xml.sha256"


class CibStoreError(CibError):
    """The file on disk cannot be trusted; the message names it and says why."""


@dataclass(frozen=True)
class Loaded:
    xml: str | None
    """The configuration, or None when there was none (or it was refused)."""
    refused: str | None = None
    """Why the file on disk was refused (it was moved to `set_aside`)."""
    set_aside: Path | None = None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class CibStore:
    def __init__(self, state_dir: Path | str) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / FILE
        self.checksum_path = self.dir / CHECKSUM

    def save(self, xml: str) -> None:
        """Write the configuration and then its checksum, each atomically."""
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, xml)
        write_atomic(self.checksum_path, f"{digest(xml)}  {FILE}\n")

    def read(self) -> str | None:
        """The verified configuration, None when there is none; CibStoreError when the file
        cannot be trusted."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            if self.checksum_path.exists():
                raise CibStoreError(f"{self.path}: missing, but its checksum file exists") from None
            return None
        except OSError as exc:
            raise CibStoreError(f"{self.path}: cannot read: {exc.strerror}") from None
        try:
            expected = self.checksum_path.read_text().split()[0]
        except FileNotFoundError:
            raise CibStoreError(f"{self.path}: its checksum file {CHECKSUM} is missing") from None
        except (OSError, IndexError):
            raise CibStoreError(f"{self.checksum_path}: unreadable or empty") from None
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise CibStoreError(f"{self.path}: not UTF-8 text") from None
        if digest(text) != expected:
            raise CibStoreError(
                f"{self.path}: sha256 does not match {CHECKSUM} (corrupt or changed by hand)"
            )
        try:
            return normalize(text, str(self.path))
        except CibError as exc:
            raise CibStoreError(str(exc)) from None

    def load(self) -> Loaded:
        """`read`, but a refused file is set aside and logged instead of raised."""
        try:
            return Loaded(self.read())
        except CibStoreError as exc:
            aside = self._set_aside()
            log.error(
                "%s; moved to %s; starting from an empty configuration, the cluster's copy "
                "will replace it",
                exc,
                aside,
            )
            return Loaded(None, str(exc), aside)

    def _set_aside(self) -> Path:
        n = 1
        while (self.dir / f"{FILE}.bad-{n}").exists():
            n += 1
        aside = self.dir / f"{FILE}.bad-{n}"
        if self.path.exists():
            self.path.replace(aside)
        if self.checksum_path.exists():
            self.checksum_path.replace(self.dir / f"{CHECKSUM}.bad-{n}")
        return aside
