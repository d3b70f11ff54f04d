"""Property: whatever arrives, `Codec.decode` raises only FrameRejected, and nothing whose MAC is
wrong is ever unpickled (a payload that would flip a flag when unpickled never does)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transport.codec import Codec, FrameRejected
from transport.envelope import Envelope, Kind

KEY = b"f" * 32
FLAG = {"unpickled": False}


def _set_flag() -> None:
    FLAG["unpickled"] = True


class Bomb:
    """Unpickling this calls _set_flag: proof that a payload was opened."""

    def __reduce__(self):
        return (_set_flag, ())


def _frame(seq: int = 1) -> bytes:
    env = Envelope(Kind.ASK, "n1/p/a", "b", seq, 0, 0xABC, seq, time.time())
    return Codec(KEY).encode(env, ("payload", Bomb(), b"x" * 40))


def test_the_bomb_goes_off_when_the_mac_is_right():
    FLAG["unpickled"] = False
    Codec(KEY).decode(_frame())
    assert FLAG["unpickled"] is True
    FLAG["unpickled"] = False


def _decode_only_rejects(frame) -> None:
    codec = Codec(KEY, max_frame=4096)
    try:
        codec.decode(frame)
    except FrameRejected:
        return
    # Anything that decodes must have been a real, correctly MAC'd frame.
    raise AssertionError(f"decoded a frame that should have been rejected: {frame!r}")


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_only_rejected(data):
    _decode_only_rejects(data)


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=5))
def test_random_part_lists_only_rejected(parts):
    _decode_only_rejects(parts)
    _decode_only_rejects(b"".join(parts))


@FUZZ
@given(st.data())
def test_mutated_valid_frame_never_unpickled(data):
    FLAG["unpickled"] = False
    original = _frame()
    frame = bytearray(original)
    mutation = data.draw(st.sampled_from(["flip", "truncate", "insert", "append", "splice"]))
    if mutation == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(frame) - 1))
            frame[pos] ^= 1 << data.draw(st.integers(0, 7))
        if frame == original:  # two flips of the same bit cancel out: flip one more
            frame[0] ^= 1
    elif mutation == "truncate":
        frame = frame[: data.draw(st.integers(0, len(frame) - 1))]
    elif mutation == "insert":
        pos = data.draw(st.integers(0, len(frame)))
        frame[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
    elif mutation == "append":
        frame += data.draw(st.binary(min_size=1, max_size=16))
    else:
        start = data.draw(st.integers(0, len(frame) - 1))
        frame = frame[start:] + frame[:start] if start else frame[1:]
    _decode_only_rejects(bytes(frame))
    assert FLAG["unpickled"] is False


@FUZZ
@given(st.integers(0, 10_000), st.integers(0, 255))
def test_any_single_byte_change_is_rejected(pos, value):
    FLAG["unpickled"] = False
    frame = bytearray(_frame())
    pos %= len(frame)
    if frame[pos] == value:
        value ^= 0xFF
    frame[pos] = value
    _decode_only_rejects(bytes(frame))
    assert FLAG["unpickled"] is False
