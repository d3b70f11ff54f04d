"""Codec: every kind of bad frame is rejected with its reason, logged and counted, and the codec
keeps decoding the next good frame."""

from __future__ import annotations

import logging
import math
import pickle
import struct
import time

import pytest

from transport.codec import (
    MAC_BYTES,
    ChannelIds,
    Codec,
    FrameRejected,
    Reject,
    RejectCounters,
    ReplayGuard,
)
from transport.envelope import VERSION, Envelope, Kind

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
_HLEN = struct.Struct("!H")


class Counter:
    seq = 0

    @classmethod
    def next(cls) -> int:
        cls.seq += 1
        return cls.seq


def envelope(
    *, seq: int | None = None, channel: int = 0x77, ts: float | None = None, kind=Kind.TELL
):
    seq = Counter.next() if seq is None else seq
    return Envelope(
        kind, "n1/p/sender", "echo", seq, 0, channel, seq, time.time() if ts is None else ts
    )


def seal(codec: Codec, header: bytes, payload: bytes) -> bytes:
    """A frame with the given raw header and payload and a correct MAC."""
    body = _HLEN.pack(len(header)) + header + payload
    return body + codec.mac(body)


# A pickle that imports a module which does not exist (GLOBAL opcode, then build it).
BAD_PICKLE = b"cno_such_module_for_ringleader_tests\nThing\n)\x81."


@pytest.fixture
def codec():
    return Codec(KEY, max_frame=4096)


def _good(codec: Codec, text: str = "hello") -> None:
    frame = Codec(KEY).encode(envelope(), {"text": text})
    decoded = codec.decode(frame)
    assert decoded.message == {"text": text}


def test_roundtrip(codec):
    env = envelope(kind=Kind.ASK)
    decoded = codec.decode(codec.encode(env, ("ping", 1)))
    assert decoded.envelope == env
    assert decoded.message == ("ping", 1)
    assert codec.counters.snapshot() == {}


def _bad_frames() -> list[tuple[str, bytes, Reject]]:
    maker = Codec(KEY)
    good = maker.encode(envelope(), "x" * 50)
    too_short_header = seal(maker, b"\x01\x02\x03", b"payload")
    future_version = bytearray(envelope().pack())
    future_version[0] = VERSION + 1
    return [
        ("garbage", b"\xff" * 200, Reject.MALFORMED),
        ("tiny", b"\x00\x01", Reject.MALFORMED),
        ("empty", b"", Reject.MALFORMED),
        ("truncated-short", good[:20], Reject.MALFORMED),
        ("truncated-mac", good[:-5], Reject.BAD_MAC),
        ("short-header", too_short_header, Reject.MALFORMED),
        ("wrong-key", Codec(OTHER_KEY).encode(envelope(), "hi"), Reject.BAD_MAC),
        (
            "flipped-payload",
            good[: -MAC_BYTES - 3] + b"\x00" + good[-MAC_BYTES - 2 :],
            Reject.BAD_MAC,
        ),
        ("stale", maker.encode(envelope(ts=time.time() - 3600), "old"), Reject.STALE),
        ("future", maker.encode(envelope(ts=time.time() + 3600), "new"), Reject.STALE),
        ("nan-time", maker.encode(envelope(ts=math.nan), "nan"), Reject.STALE),
        ("unpickle", seal(maker, envelope().pack(), BAD_PICKLE), Reject.UNPICKLE),
        ("not-a-pickle", seal(maker, envelope().pack(), b"\x00junk"), Reject.UNPICKLE),
        ("version", seal(maker, bytes(future_version), pickle.dumps(1)), Reject.VERSION),
        (
            "batch-not-tuple",
            maker.encode(envelope(kind=Kind.BATCH), ["a", "b"]),
            Reject.MALFORMED,
        ),
        (
            "oversize",
            Codec(KEY, max_frame=1 << 20).encode(envelope(), b"x" * 5000),
            Reject.OVERSIZE,
        ),
        (
            "oversize-huge",
            Codec(KEY, max_frame=1 << 20).encode(envelope(), b"x" * 200_000),
            Reject.OVERSIZE,
        ),
    ]


@pytest.mark.parametrize("name", [b[0] for b in _bad_frames()])
def test_bad_frame_rejected_logged_counted_then_good_frame_decodes(codec, caplog, name):
    # Built now, not at collection: a frame older than the replay horizon is merely STALE.
    (frame, reason) = next((f, r) for n, f, r in _bad_frames() if n == name)
    with caplog.at_level(logging.WARNING, logger="ringleader.transport"):
        with pytest.raises(FrameRejected) as info:
            codec.decode(frame, peer="peer-x")
    assert info.value.reason is reason, info.value
    assert codec.counters.snapshot() == {reason.value: 1}
    lines = [r.getMessage() for r in caplog.records if r.name == "ringleader.transport"]
    assert len(lines) == 1
    assert "peer-x" in lines[0] and reason.value in lines[0]
    _good(codec)
    assert codec.counters.total() == 1


def test_replayed_frame_refused_second_time(codec, caplog):
    frame = Codec(KEY).encode(envelope(), "once")
    assert codec.decode(frame).message == "once"
    with caplog.at_level(logging.WARNING, logger="ringleader.transport"):
        with pytest.raises(FrameRejected) as info:
            codec.decode(frame)
    assert info.value.reason is Reject.REPLAY
    assert "replay" in caplog.text
    assert codec.counters.snapshot() == {"replay": 1}
    _good(codec)


def test_non_bytes_and_wrong_part_count_are_malformed(codec, caplog):
    frame = Codec(KEY).encode(envelope(), "x")
    for bad in ([frame], [frame, frame], None, 42, bytearray(frame)):
        with pytest.raises(FrameRejected) as info:
            codec.decode(bad)  # type: ignore[arg-type]
        assert info.value.reason is Reject.MALFORMED
    with caplog.at_level(logging.WARNING, logger="ringleader.transport"):
        codec.count_malformed("3 parts, expected 1", "peer-y")
    assert "peer-y" in caplog.text and "malformed" in caplog.text
    assert codec.counters.snapshot() == {"malformed": 6}
    _good(codec)


def test_encode_refuses_oversize_message():
    with pytest.raises(ValueError, match="frame limit"):
        Codec(KEY, max_frame=100).encode(envelope(), b"x" * 200)


def test_unpicklable_payload_never_reached_with_wrong_mac(codec):
    frame = bytearray(seal(Codec(KEY), envelope().pack(), BAD_PICKLE))
    frame[-1] ^= 1
    with pytest.raises(FrameRejected) as info:
        codec.decode(bytes(frame))
    assert info.value.reason is Reject.BAD_MAC


def test_counters_shared_and_snapshot_is_a_copy():
    counters = RejectCounters()
    a, b = Codec(KEY, counters=counters), Codec(KEY, counters=counters)
    for c in (a, b):
        with pytest.raises(FrameRejected):
            c.decode(b"junk")
    snap = counters.snapshot()
    snap["malformed"] = 99
    assert counters.snapshot() == {"malformed": 2}
    assert counters.total() == 2


def test_channel_ids_are_fresh_and_sequences_start_at_one():
    ids = {ChannelIds.new() for _ in range(100)}
    assert len(ids) == 100 and all(i > 0 and i < 2**63 for i in ids)
    seq = ChannelIds.sequence()
    assert [next(seq) for _ in range(3)] == [1, 2, 3]


# ReplayGuard -----------------------------------------------------------------------------


def test_replay_guard_in_order_and_duplicates():
    g, now = ReplayGuard(window=8), time.time()
    assert [g.check(1, s, now, now) for s in range(1, 6)] == [None] * 5
    assert g.check(1, 5, now, now) is Reject.REPLAY
    assert g.check(1, 3, now, now) is Reject.REPLAY


def test_replay_guard_out_of_order_within_window_accepted_once():
    g, now = ReplayGuard(window=8), time.time()
    assert g.check(1, 10, now, now) is None
    for seq in (7, 4, 9, 3):
        assert g.check(1, seq, now, now) is None
        assert g.check(1, seq, now, now) is Reject.REPLAY
    assert g.check(1, 11, now, now) is None
    assert g.check(1, 10, now, now) is Reject.REPLAY


def test_replay_guard_beyond_window_refused():
    g, now = ReplayGuard(window=8), time.time()
    assert g.check(1, 20, now, now) is None
    assert g.check(1, 12, now, now) is Reject.REPLAY  # offset 8 == window: forgotten
    assert g.check(1, 13, now, now) is None  # offset 7: still inside
    assert g.check(1, 1, now, now) is Reject.REPLAY


def test_replay_guard_new_channel_accepted_and_channels_independent():
    g, now = ReplayGuard(window=8), time.time()
    assert g.check(1, 5, now, now) is None
    assert g.check(2, 5, now, now) is None
    assert g.check(3, 1, now, now) is None
    assert g.check(2, 5, now, now) is Reject.REPLAY


def test_replay_guard_huge_sequence_jump_is_cheap():
    g, now = ReplayGuard(), time.time()
    assert g.check(1, 1, now, now) is None
    assert g.check(1, 2**64 - 1, now, now) is None  # must not build a 2**64-bit integer
    assert g.check(1, 2**64 - 1, now, now) is Reject.REPLAY
    assert g.check(1, 2**64 - 2, now, now) is None


@pytest.mark.parametrize("skew", [301.0, -301.0, math.inf, -math.inf, math.nan])
def test_replay_guard_refuses_stale_timestamps(skew):
    g, now = ReplayGuard(horizon=300.0), 1_000_000.0
    assert g.check(1, 1, now + skew, now) is Reject.STALE
    assert g.check(1, 1, now + 299.0, now) is None
