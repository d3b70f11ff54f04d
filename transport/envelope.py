"""The versioned envelope around every payload: who sent it, to whom, and how to match replies.

The header is packed with `struct` (never pickled) so it can be read, and authenticated, before
anything in the payload is trusted.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import NamedTuple

VERSION = 1
_FIXED = struct.Struct("!BBHQQQQd")  # version, kind, flags, channel, seq, msg_id, corr, time
_LEN = struct.Struct("!H")


class Kind(IntEnum):
    TELL = 1
    ASK = 2
    REPLY = 3
    FAILURE = 4  # a reply that carries the exception the actor raised
    BATCH = 5  # several tells packed in one frame (payload is a tuple of messages)


_KINDS = {k.value: k for k in Kind}


class MalformedHeader(ValueError):
    pass


class UnsupportedVersion(ValueError):
    pass


class Envelope(NamedTuple):
    """Immutable like a frozen dataclass, but a tuple: it is built twice per message."""

    kind: Kind
    sender: str  # "node/process/name" of the sending actor or thread
    recipient: str  # actor name within the receiving process
    msg_id: int
    correlation_id: int = 0  # the msg_id an answer refers to
    channel: int = 0  # sending channel; (channel, seq) is what replay protection tracks
    seq: int = 0
    timestamp: float = 0.0
    flags: int = 0

    def pack(self) -> bytes:
        return pack_header(
            self.kind,
            self.flags,
            self.channel,
            self.seq,
            self.msg_id,
            self.correlation_id,
            self.timestamp,
            header_tail(self.sender, self.recipient),
        )

    @staticmethod
    def peek_version(header: bytes) -> int:
        if len(header) < _FIXED.size:
            raise MalformedHeader(f"header of {len(header)} bytes is shorter than {_FIXED.size}")
        return header[0]

    @classmethod
    def unpack(cls, header: bytes) -> Envelope:
        if cls.peek_version(header) != VERSION:
            raise UnsupportedVersion(f"envelope version {header[0]} (we speak {VERSION})")
        version, kind, flags, channel, seq, msg_id, corr, ts = _FIXED.unpack_from(header)
        try:
            kind = _KINDS[kind]
            pos = _FIXED.size
            (n,) = _LEN.unpack_from(header, pos)
            sender = header[pos + 2 : pos + 2 + n].decode()
            pos += 2 + n
            (m,) = _LEN.unpack_from(header, pos)
            recipient = header[pos + 2 : pos + 2 + m].decode()
            if pos + 2 + m != len(header):
                raise MalformedHeader("header length does not match its fields")
        except (struct.error, UnicodeDecodeError, ValueError, KeyError) as exc:
            raise MalformedHeader(str(exc)) from None
        return cls(kind, sender, recipient, msg_id, corr, channel, seq, ts, flags)


def header_tail(sender: str, recipient: str) -> bytes:
    """The variable part of a header; a sender caches it per (sender, recipient)."""
    s, r = sender.encode(), recipient.encode()
    return b"".join((_LEN.pack(len(s)), s, _LEN.pack(len(r)), r))


def pack_header(
    kind: int, flags: int, channel: int, seq: int, msg_id: int, corr: int, ts: float, tail: bytes
) -> bytes:
    return _FIXED.pack(VERSION, kind, flags, channel, seq, msg_id, corr, ts) + tail
