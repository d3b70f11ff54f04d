"""Actor messaging: remote ask and tell against raw pyzmq and in-process pykka, ipc and tcp.

Every figure is the median of several repetitions, measured in this one run: raw pyzmq
DEALER/ROUTER round trip and PUSH/PULL rate (100-byte payloads) as the ceiling, in-process pykka
ask round trip and tell rate, and ringleader's remote ask round trip and remote tell rate to an
actor in another process, with HMAC authentication (and CURVE on tcp). A "floor" echo adds to
raw pyzmq only what no authenticated Python messaging can skip (pickle and HMAC-SHA256 on both
sides), so the report shows how much of the gap to raw is the runtime and how much is that.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from dataclasses import dataclass

import pykka
import zmq

from actors.bench.floor import opened, sealed, start_helper
from actors.bench.report import BenchReport
from actors.runtime import Actor, ProcessHost, resolve
from actors.runtime.process import HostConfig, spawn_process
from transport.authkey import ClusterKeys

PAYLOAD = b"x" * 100
AUTHKEY = b"benchmark-authkey-" * 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reps", type=int, default=5, help="repetitions per figure (median)")
    parser.add_argument("--round-trips", type=int, default=2000, help="asks per repetition")
    parser.add_argument("--tells", type=int, default=20000, help="tells per repetition")
    parser.add_argument(
        "--transports", default="ipc,tcp", help="comma-separated: ipc, tcp (default both)"
    )


@dataclass(frozen=True)
class Count:
    """Sent after a burst of tells: answered with how many the actor has seen."""


class Sink(Actor):
    """Echoes asks and counts tells: the far end of the ringleader measurements."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def on_receive(self, message):
        if isinstance(message, Count):
            return self.seen
        if isinstance(message, bytes):
            self.seen += 1
            return None
        return message


class PykkaSink(pykka.ThreadingActor):
    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def on_receive(self, message):
        if isinstance(message, Count):
            return self.seen
        if isinstance(message, bytes):
            self.seen += 1
            return None
        return message


# raw pyzmq reference servers (module level: they run in spawned processes) --------------------
def _curve(sock: zmq.Socket, keys: ClusterKeys | None, server: bool) -> None:
    if keys is None:
        return
    if server:
        sock.curve_server = True
        sock.curve_secretkey = keys.curve_server_secret
        sock.curve_publickey = keys.curve_server_public
    else:
        sock.curve_serverkey = keys.curve_server_public
        sock.curve_publickey = keys.curve_client_public
        sock.curve_secretkey = keys.curve_client_secret


def _raw_echo(ready, url: str, curve: bool, floor: bool = False) -> None:
    """Echo every frame; with `floor`, do the least an authenticated Python actor must do per
    message: check the HMAC, unpickle, pickle the answer, sign it (no envelope, no actor)."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    _curve(sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, True)
    sock.bind(url)
    ready.send(True)
    while True:
        identity, frame = sock.recv_multipart()
        if frame == b"quit":
            break
        if floor:
            frame = sealed(opened(frame))
        sock.send_multipart((identity, frame))
    sock.close(linger=0)
    ctx.term()


def _raw_pull(ready, url: str, curve: bool, count: int, reps: int) -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.PULL)
    _curve(sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, True)
    sock.bind(url)
    ready.send(True)
    for _ in range(reps + 1):  # one warm-up round
        for _ in range(count):
            sock.recv()
        ready.send(True)
    sock.close(linger=0)
    ctx.term()


def _url(transport: str, tmp: str, name: str) -> str:
    if transport == "ipc":
        return f"ipc://{tmp}/{name}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def pykka_figures(n_asks: int, n_tells: int, reps: int) -> tuple[list[float], list[float]]:
    ref = PykkaSink.start()
    rtts, rates = [], []
    for rep in range(reps + 1):
        start = time.perf_counter()
        for _ in range(n_asks):
            ref.ask(PAYLOAD)
        rtt = (time.perf_counter() - start) / n_asks * 1e6
        start = time.perf_counter()
        for _ in range(n_tells):
            ref.tell(PAYLOAD)
        ref.ask(Count())
        rate = n_tells / (time.perf_counter() - start)
        if rep:
            rtts.append(rtt)
            rates.append(rate)
    ref.stop()
    return rtts, rates


class RawEcho:
    """The reference: a raw pyzmq ROUTER echo loop in another process, a DEALER here."""

    floor = False

    def __init__(self, url: str, curve: bool) -> None:
        self.proc, _ = start_helper(_raw_echo, url, curve, self.floor)
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        _curve(self.sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, False)
        self.sock.connect(url)

    def round_trip(self, n: int) -> float:
        sock = self.sock
        start = time.perf_counter()
        for _ in range(n):
            sock.send(PAYLOAD)
            sock.recv()
        return (time.perf_counter() - start) / n * 1e6

    def close(self) -> None:
        self.sock.send(b"quit")
        self.proc.join(10)
        self.sock.close(linger=0)
        self.ctx.term()


class FloorEcho(RawEcho):
    """Raw pyzmq plus what authentication and pickling cost on both sides, nothing more."""

    floor = True

    def round_trip(self, n: int) -> float:
        sock = self.sock
        start = time.perf_counter()
        for _ in range(n):
            sock.send(sealed(PAYLOAD))
            opened(sock.recv())
        return (time.perf_counter() - start) / n * 1e6


class RawPush:
    def __init__(self, url: str, curve: bool, n: int, reps: int) -> None:
        self.n = n
        self.proc, self.done = start_helper(_raw_pull, url, curve, n, reps)
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.PUSH)
        _curve(self.sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, False)
        self.sock.connect(url)

    def rate(self) -> float:
        start = time.perf_counter()
        for _ in range(self.n):
            self.sock.send(PAYLOAD)
        self.done.recv()
        return self.n / (time.perf_counter() - start)

    def close(self) -> None:
        self.proc.join(10)
        self.sock.close(linger=0)
        self.ctx.term()


class Ours:
    """ringleader: a Sink actor in another process, asked and told from this thread."""

    def __init__(self, transport: str, tmp: str) -> None:
        here, there = _url(transport, tmp, "bench-main"), _url(transport, tmp, "bench-sink")
        peers = {"bench/main": here, "bench/sink": there}
        config = HostConfig(
            node="bench", process="sink", endpoint=there, authkey=AUTHKEY, peers=peers
        )
        self.host = ProcessHost(
            node="bench",
            process="main",
            endpoint=here,
            keys=ClusterKeys.from_authkey(AUTHKEY),
            peers=peers,
        )
        self.handle = spawn_process(Sink, name="sink", config=config)
        self.sink = resolve("bench/sink/sink")

    def round_trip(self, n: int) -> float:
        sink = self.sink
        start = time.perf_counter()
        for _ in range(n):
            sink.ask(PAYLOAD).get()
        return (time.perf_counter() - start) / n * 1e6

    def rate(self, n: int) -> float:
        sink = self.sink
        before = sink.ask(Count()).get()
        start = time.perf_counter()
        for _ in range(n):
            sink.tell(PAYLOAD)
        seen = sink.ask(Count(), timeout=60).get()
        elapsed = time.perf_counter() - start
        if seen - before != n:
            raise RuntimeError(f"remote tells lost: sent {n}, seen {seen - before}")
        return n / elapsed

    def close(self) -> None:
        self.handle.stop()
        self.host.close()


def measure_transport(report: BenchReport, transport: str, n: int, tells: int, reps: int) -> None:
    """Reference and ours alternate repetition by repetition, so load on the machine (it has two
    cores) falls on both alike and the ratios stay meaningful."""
    curve = transport == "tcp"
    raw = f"raw pyzmq {transport}{'+curve' if curve else ''}"
    ours = f"ringleader {transport}"
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        echo = RawEcho(_url(transport, tmp, "raw-rtt"), curve)
        floor = FloorEcho(_url(transport, tmp, "floor-rtt"), curve)
        plain = RawEcho(_url(transport, tmp, "raw-rtt-plain"), False) if curve else None
        push = RawPush(_url(transport, tmp, "raw-push"), curve, tells, reps)
        mine = Ours(transport, tmp)
        try:
            for rep in range(reps + 1):  # the first repetition warms up
                row = {
                    f"{raw} round trip": echo.round_trip(n),
                    f"{ours} remote ask round trip": mine.round_trip(n),
                    f"{raw} + pickle + HMAC round trip": floor.round_trip(n),
                    f"{raw} push rate": push.rate(),
                    f"{ours} remote tell rate": mine.rate(tells),
                }
                if plain is not None:
                    row["raw pyzmq tcp round trip"] = plain.round_trip(n)
                if rep:
                    for name, value in row.items():
                        samples.setdefault(name, []).append(value)
        finally:
            for part in (echo, floor, plain, push, mine):
                if part is not None:
                    part.close()
    for name, values in samples.items():
        report.add(name, "msg/s" if "rate" in name else "us", values, "rate" in name)
    report.ratio(
        f"{transport}: remote ask / raw DEALER-ROUTER round trip",
        f"{ours} remote ask round trip",
        f"{raw} round trip",
        at_most=1.3,
    )
    report.ratio(
        f"{transport}: floor (raw + pickle + HMAC-SHA256, no actor) / raw round trip",
        f"{raw} + pickle + HMAC round trip",
        f"{raw} round trip",
    )
    report.ratio(
        f"{transport}: remote ask / that floor",
        f"{ours} remote ask round trip",
        f"{raw} + pickle + HMAC round trip",
    )
    if curve:
        report.ratio(
            "tcp: remote ask (CURVE) / raw round trip without CURVE",
            f"{ours} remote ask round trip",
            "raw pyzmq tcp round trip",
        )
    report.ratio(
        f"{transport}: remote tell rate / pykka in-process tell rate",
        f"{ours} remote tell rate",
        "pykka in-process tell rate",
        at_least=0.5,
    )
    report.ratio(
        f"{transport}: remote tell rate / raw PUSH-PULL rate",
        f"{ours} remote tell rate",
        f"{raw} push rate",
    )


def run(args: argparse.Namespace) -> BenchReport:
    report = BenchReport("actors")
    reps, n, tells = args.reps, args.round_trips, args.tells
    rtts, rates = pykka_figures(n, tells, reps)
    report.add("pykka in-process ask round trip", "us", rtts)
    report.add("pykka in-process tell rate", "msg/s", rates, higher_is_better=True)
    for transport in [t.strip() for t in args.transports.split(",") if t.strip()]:
        if transport not in ("ipc", "tcp"):
            raise SystemExit(f"bench actors: unknown transport {transport!r} (use ipc, tcp)")
        measure_transport(report, transport, n, tells, reps)
    report.notes.append("ringleader figures include HMAC-SHA256 on every frame and replay checks")
    report.notes.append("reference and ringleader repetitions alternate within each transport")
    return report
