"""Frames on the wire: one ZeroMQ part, `len(header) | header | payload | mac`.

One part rather than three because every part is a separate send into libzmq, and on a small
machine each costs as much as the rest of the message handling. The MAC is checked before
anything is unpickled: MAC = HMAC-SHA256(key derived from the authkey, everything before it),
compared in constant time.
Replays are refused per sending channel with a sliding window over sequence numbers, and frames
older than the replay horizon are refused outright, so a window forgotten after a long silence
cannot be exploited. Every rejection has a reason that is counted and logged by the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import secrets
import struct
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from enum import Enum

from transport import serialize
from transport.envelope import Envelope, Kind, MalformedHeader, UnsupportedVersion

log = logging.getLogger("ringleader.transport")

DEFAULT_MAX_FRAME = 16 * 1024 * 1024
MAC_BYTES = 32
_HLEN = struct.Struct("!H")
_OVERHEAD_MAX = _HLEN.size + 65535 + MAC_BYTES
REPLAY_WINDOW = 1024
REPLAY_HORIZON = 300.0  # seconds; also the clock skew between nodes that is tolerated
MAX_CHANNELS = 65536


class Reject(Enum):
    MALFORMED = "malformed"
    OVERSIZE = "oversize"
    VERSION = "version"
    BAD_MAC = "bad-mac"
    REPLAY = "replay"
    STALE = "stale"
    UNPICKLE = "unpickle"


class FrameRejected(Exception):
    def __init__(self, reason: Reject, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class RejectCounters:
    """Per-process counts of dropped frames by reason (shown in status and checked in tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, reason: Reject) -> None:
        with self._lock:
            self._counts[reason.value] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


class ReplayGuard:
    """Sliding-window replay protection keyed by the sender's channel id."""

    def __init__(self, window: int = REPLAY_WINDOW, horizon: float = REPLAY_HORIZON) -> None:
        self.window = window
        self.horizon = horizon
        self._channels: OrderedDict[int, tuple[int, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, channel: int, seq: int, timestamp: float, now: float) -> Reject | None:
        if not abs(now - timestamp) <= self.horizon:  # also refuses NaN, which compares false
            return Reject.STALE
        with self._lock:
            entry = self._channels.get(channel)
            if entry is None:
                self._remember(channel, seq, 1, now)
                return None
            top, bits, _ = entry
            if seq > top:
                shift = seq - top
                # A jump past the window forgets it all; never build a (seq - top)-bit integer.
                bits = (
                    1 if shift >= self.window else ((bits << shift) | 1) & ((1 << self.window) - 1)
                )
                self._remember(channel, seq, bits, now)
                return None
            offset = top - seq
            if offset >= self.window or bits >> offset & 1:
                return Reject.REPLAY
            self._remember(channel, top, bits | 1 << offset, now)
            return None

    def _remember(self, channel: int, top: int, bits: int, now: float) -> None:
        self._channels[channel] = (top, bits, now)
        self._channels.move_to_end(channel)
        # Forget only channels silent for longer than the horizon: their frames are stale anyway.
        while len(self._channels) > MAX_CHANNELS:
            oldest, (_, _, seen) = next(iter(self._channels.items()))
            if now - seen < self.horizon:
                break
            del self._channels[oldest]


@dataclass(frozen=True)
class Decoded:
    envelope: Envelope
    message: object


class Codec:
    """Encodes and checks frames for one process. Thread-safe; the sequence is per channel."""

    def __init__(
        self,
        mac_key: bytes,
        *,
        max_frame: int = DEFAULT_MAX_FRAME,
        counters: RejectCounters | None = None,
        guard: ReplayGuard | None = None,
        clock=time.time,
    ) -> None:
        self._key = mac_key
        self.max_frame = max_frame
        self.counters = counters or RejectCounters()
        self.guard = guard or ReplayGuard()
        self._clock = clock

    def mac(self, body: bytes) -> bytes:
        return hmac.digest(self._key, body, hashlib.sha256)

    def encode(self, envelope: Envelope, message: object) -> bytes:
        return self.encode_packed(envelope.pack(), message, envelope.recipient)

    def encode_packed(self, header: bytes, message: object, recipient: str) -> bytes:
        """Frame a message behind an already packed header (the hot path of a channel)."""
        payload = serialize.dumps(message)
        if len(header) + len(payload) > self.max_frame:
            raise ValueError(
                f"message to {recipient!r} is {len(payload)} bytes, "
                f"over the {self.max_frame}-byte frame limit"
            )
        body = b"".join((_HLEN.pack(len(header)), header, payload))
        return body + self.mac(body)

    def decode(self, frame: bytes, *, peer: str = "?") -> Decoded:
        """Check and open a frame, or raise FrameRejected (already counted and logged)."""
        try:
            return self._decode(frame)
        except FrameRejected as exc:
            self.counters.count(exc.reason)
            log.warning("dropped frame from %s: %s", peer, exc)
            raise

    def count_malformed(self, detail: str, peer: str) -> None:
        """For framing errors found before a frame reaches `decode` (wrong number of parts)."""
        self.counters.count(Reject.MALFORMED)
        log.warning("dropped frame from %s: %s: %s", peer, Reject.MALFORMED.value, detail)

    def _decode(self, frame: bytes) -> Decoded:
        if not isinstance(frame, bytes):
            raise FrameRejected(Reject.MALFORMED, f"not bytes but {type(frame).__name__}")
        if len(frame) > self.max_frame + _OVERHEAD_MAX:
            raise FrameRejected(Reject.OVERSIZE, f"{len(frame)} bytes > {self.max_frame}")
        if len(frame) < _HLEN.size + MAC_BYTES:
            raise FrameRejected(Reject.MALFORMED, f"frame of {len(frame)} bytes is too short")
        (hlen,) = _HLEN.unpack_from(frame)
        end = len(frame) - MAC_BYTES
        if _HLEN.size + hlen > end:
            raise FrameRejected(Reject.MALFORMED, f"header length {hlen} runs past the frame")
        if end - _HLEN.size > self.max_frame:  # the limit encode() enforces: header + payload
            raise FrameRejected(
                Reject.OVERSIZE,
                f"{end - _HLEN.size} bytes of header and payload > {self.max_frame}",
            )
        header = frame[_HLEN.size : _HLEN.size + hlen]
        payload = frame[_HLEN.size + hlen : end]
        try:
            Envelope.peek_version(header)
        except MalformedHeader as exc:
            raise FrameRejected(Reject.MALFORMED, str(exc)) from None
        if not hmac.compare_digest(frame[end:], self.mac(frame[:end])):
            raise FrameRejected(Reject.BAD_MAC, "MAC does not match (wrong authkey or tampering)")
        try:
            envelope = Envelope.unpack(header)
        except UnsupportedVersion as exc:
            raise FrameRejected(Reject.VERSION, str(exc)) from None
        except MalformedHeader as exc:
            raise FrameRejected(Reject.MALFORMED, str(exc)) from None
        verdict = self.guard.check(
            envelope.channel, envelope.seq, envelope.timestamp, self._clock()
        )
        if verdict is not None:
            raise FrameRejected(
                verdict, f"channel {envelope.channel:x} seq {envelope.seq} from {envelope.sender}"
            )
        try:
            message = serialize.loads(payload)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure is the sender's fault
            raise FrameRejected(
                Reject.UNPICKLE, f"{type(exc).__name__}: {exc} (from {envelope.sender})"
            ) from None
        if envelope.kind is Kind.BATCH and not isinstance(message, tuple):
            raise FrameRejected(Reject.MALFORMED, "batch payload is not a tuple")
        return Decoded(envelope, message)


class ChannelIds:
    """Fresh random channel ids, and per-channel sequence numbers starting at 1."""

    @staticmethod
    def new() -> int:
        return secrets.randbits(63) | 1

    @staticmethod
    def sequence() -> itertools.count:
        return itertools.count(1)
