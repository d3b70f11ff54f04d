"""Bad frames sent by a raw ZeroMQ DEALER at a live actor's socket: each is dropped, logged and
counted by reason, the actor never sees it, and it keeps answering good asks. On tcp a DEALER
without the cluster's CURVE keys gets nothing through at all."""

from __future__ import annotations

import logging
import os
import struct
import time

import pytest
import zmq
from runtime_support import unique, wait_for

from actors.runtime import Actor, resolve, spawn
from transport import sockets
from transport.authkey import ClusterKeys
from transport.codec import ChannelIds, Codec
from transport.envelope import Envelope, Kind

MAX_FRAME = 4096
_HLEN = struct.Struct("!H")
BAD_PICKLE = b"cno_such_module_for_ringleader_tests\nThing\n)\x81."


class Recorder(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list = []

    def on_receive(self, message):
        if message == "seen":
            return list(self.seen)
        self.seen.append(message)
        return ("got", message)


class RawPeer:
    """A DEALER that speaks the wire format by hand, with its own channel id and sequence."""

    def __init__(self, context: zmq.Context, url: str, mac_key: bytes, *, configure=None) -> None:
        self.sock = context.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        if configure:
            configure(self.sock)
        self.sock.connect(url)
        self.codec = Codec(mac_key, max_frame=1 << 20)
        self.channel = ChannelIds.new()
        self.seq = ChannelIds.sequence()

    def envelope(self, kind=Kind.ASK, *, ts: float | None = None) -> Envelope:
        n = next(self.seq)
        return Envelope(
            kind, "raw/peer/t", "rec", n, 0, self.channel, n, time.time() if ts is None else ts
        )

    def frame(self, message, **kw) -> bytes:
        return self.codec.encode(self.envelope(**kw), message)

    def sealed(self, payload: bytes) -> bytes:
        header = self.envelope().pack()
        body = _HLEN.pack(len(header)) + header + payload
        return body + self.codec.mac(body)

    def ask(self, message, timeout_ms: int = 10_000):
        frame = self.frame(message)
        self.sock.send(frame)
        return self.answer(timeout_ms)

    def answer(self, timeout_ms: int):
        if not self.sock.poll(timeout_ms, zmq.POLLIN):
            return None
        decoded = self.codec.decode(self.sock.recv())
        assert decoded.envelope.kind is Kind.REPLY
        return decoded.message

    def close(self) -> None:
        self.sock.close(linger=0)


@pytest.fixture(params=["inproc", "ipc", "tcp"])
def live(request, make_host, endpoint_for):
    node = unique("w")
    host = make_host(node=node, endpoint=endpoint_for(request.param, node), max_frame=MAX_FRAME)
    spawn(Recorder, name="rec", on_host=host)
    url = host.bound_endpoint("rec").url
    configure = None
    if request.param == "tcp":
        endpoint = host.bound_endpoint("rec")

        def configure(sock):
            sockets.configure(sock, host.keys, endpoint, server=False, max_frame=MAX_FRAME)

    peer = RawPeer(host.context, url, host.keys.mac_key, configure=configure)
    yield host, peer
    peer.close()


def test_each_bad_frame_is_dropped_logged_counted_and_the_actor_keeps_answering(live, caplog):
    host, peer = live
    assert peer.ask("hello") == ("got", "hello")
    other = Codec(os.urandom(32))
    replayed = peer.frame("first copy")
    bad = [
        ("malformed", [b"\xff" * 100]),
        ("malformed", [b"\x00\x01"]),
        ("malformed", [peer.frame("two parts"), b"extra"]),  # wrong part count
        ("malformed", [peer.frame("cut")[:20]]),  # truncated to a short header
        ("bad-mac", [peer.frame("cut")[:-3]]),  # truncated MAC
        ("bad-mac", [other.encode(peer.envelope(), "wrong key")]),
        ("replay", [replayed]),  # the first copy is fine, the second a replay
        ("oversize", [peer.frame(b"x" * (MAX_FRAME + 100))]),
        ("stale", [peer.frame("old", ts=time.time() - 3600)]),
        ("unpickle", [peer.sealed(BAD_PICKLE)]),
    ]
    with caplog.at_level(logging.WARNING, logger="ringleader.transport"):
        peer.sock.send(replayed)
        assert peer.answer(10_000) == ("got", "first copy")
        for reason, parts in bad:
            before = host.counters.snapshot().get(reason, 0)
            peer.sock.send_multipart(parts)
            wait_for(lambda r=reason, b=before: host.counters.snapshot().get(r, 0) == b + 1)
            assert peer.ask(f"after {reason}") == ("got", f"after {reason}")
    counts = host.counters.snapshot()
    assert counts == {
        "malformed": 4,
        "bad-mac": 2,
        "replay": 1,
        "oversize": 1,
        "stale": 1,
        "unpickle": 1,
    }
    logged = [r.getMessage() for r in caplog.records if "dropped frame" in r.getMessage()]
    assert len(logged) == len(bad)
    for reason in counts:
        assert any(reason in line for line in logged), reason
    seen = resolve(f"{host.process_key}/rec", host=host).ask("seen", timeout=10).get()
    assert seen == ["hello", "first copy"] + [f"after {r}" for r, _ in bad]
    # and a normal RemoteRef-style ask through the runtime still works
    assert resolve(f"{host.process_key}/rec", host=host).ask("again", timeout=10).get() == (
        "got",
        "again",
    )


@pytest.mark.parametrize("intruder_keys", ["none", "wrong"])
def test_tcp_dealer_without_the_curve_keys_gets_nothing_through(
    make_host, endpoint_for, intruder_keys
):
    node = unique("c")
    host = make_host(node=node, endpoint=endpoint_for("tcp", node))
    spawn(Recorder, name="rec", on_host=host)
    endpoint = host.bound_endpoint("rec")
    wrong = ClusterKeys.from_authkey(os.urandom(64))

    def bad_configure(sock):
        if intruder_keys == "wrong":
            sockets.configure(sock, wrong, endpoint, server=False, max_frame=MAX_FRAME)

    ctx = zmq.Context()
    try:
        intruder = RawPeer(ctx, endpoint.url, host.keys.mac_key, configure=bad_configure)
        # a frame with a correct MAC: only the missing CURVE keys stand in its way
        intruder.sock.send(intruder.frame("sneaky"))
        assert intruder.answer(1500) is None
        intruder.close()

        def good_configure(sock):
            sockets.configure(sock, host.keys, endpoint, server=False, max_frame=MAX_FRAME)

        friend = RawPeer(ctx, endpoint.url, host.keys.mac_key, configure=good_configure)
        assert friend.ask("friendly") == ("got", "friendly")
        friend.close()
    finally:
        ctx.term()
    seen = resolve(f"{host.process_key}/rec", host=host).ask("seen", timeout=10).get()
    assert seen == ["friendly"]
    assert host.counters.total() == 0  # nothing from the intruder even reached the codec
