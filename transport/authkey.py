"""The cluster authkey and the keys derived from it (frame MAC key, CURVE key pairs).

One secret file, like Corosync's authkey: every node holds it, so every key can be derived from
it and nothing else needs distributing. It must be readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import zmq
from zmq.utils import z85

AUTHKEY_BYTES = 128
MIN_AUTHKEY_BYTES = 32


class AuthkeyError(ValueError):
    """An authkey file we refuse to use; the message names the file and the reason."""


def write_authkey(path: str | Path, *, force: bool = False) -> Path:
    """Write a fresh random authkey with mode 0600 (created so, never widened first)."""
    path = Path(path)
    if path.exists() and not force:
        raise AuthkeyError(f"{path}: already exists (use --force to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(AUTHKEY_BYTES))
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def read_authkey(path: str | Path) -> bytes:
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AuthkeyError(
            f"{path}: no such authkey (create one with `ringleader keygen`)"
        ) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthkeyError(
            f"{path}: mode {stat.S_IMODE(st.st_mode):04o} lets others read the authkey; "
            "it must be 0600 or stricter"
        )
    data = path.read_bytes()
    if len(data) < MIN_AUTHKEY_BYTES:
        raise AuthkeyError(f"{path}: authkey has {len(data)} bytes, at least {MIN_AUTHKEY_BYTES}")
    return data


def _derive(authkey: bytes, purpose: str) -> bytes:
    return hmac.digest(authkey, f"ringleader/v1/{purpose}".encode(), hashlib.sha256)


@dataclass(frozen=True)
class ClusterKeys:
    """Everything the transport needs, derived once per process from the authkey."""

    mac_key: bytes
    curve_server_public: bytes
    curve_server_secret: bytes
    curve_client_public: bytes
    curve_client_secret: bytes

    @classmethod
    def from_authkey(cls, authkey: bytes) -> ClusterKeys:
        server_secret = z85.encode(_derive(authkey, "curve-server"))
        client_secret = z85.encode(_derive(authkey, "curve-client"))
        return cls(
            mac_key=_derive(authkey, "frame-mac"),
            curve_server_public=zmq.curve_public(server_secret),
            curve_server_secret=server_secret,
            curve_client_public=zmq.curve_public(client_secret),
            curve_client_secret=client_secret,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> ClusterKeys:
        return cls.from_authkey(read_authkey(path))
