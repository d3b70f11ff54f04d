"""Actor messaging: remote ask and tell against raw pyzmq and in-process pykka, ipc and tcp.

Every figure is the median of several repetitions, measured in this one run: raw pyzmq
DEALER/ROUTER round trip and PUSH/PULL rate (100-byte payloads) as the ceiling, in-process pykka
ask round trip and tell rate, and ringleader's remote ask round trip and remote tell rate to an
actor in another process, with HMAC authentication (and CURVE on tcp).
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import tempfile
import time
from dataclasses import dataclass

import pykka
import zmq

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


def _raw_echo(url: str, curve: bool, ready) -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    _curve(sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, True)
    sock.bind(url)
    ready.send(True)
    while True:
        frames = sock.recv_multipart()
        if frames[-1] == b"quit":
            break
        sock.send_multipart(frames)
    sock.close(linger=0)
    ctx.term()


def _raw_pull(url: str, curve: bool, ready, count: int, reps: int) -> None:
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


def _start(target, *args):
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(*args[:2], child, *args[2:]), daemon=True)
    proc.start()
    parent.recv()
    return proc, parent


def _url(transport: str, tmp: str, name: str) -> str:
    if transport == "ipc":
        return f"ipc://{tmp}/{name}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def raw_round_trip(url: str, curve: bool, n: int, reps: int) -> list[float]:
    proc, _ = _start(_raw_echo, url, curve)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    _curve(sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, False)
    sock.connect(url)
    samples = []
    for rep in range(reps + 1):
        start = time.perf_counter()
        for _ in range(n):
            sock.send(PAYLOAD)
            sock.recv()
        if rep:  # the first repetition warms up
            samples.append((time.perf_counter() - start) / n * 1e6)
    sock.send(b"quit")
    proc.join(10)
    sock.close(linger=0)
    ctx.term()
    return samples


def raw_push_rate(url: str, curve: bool, n: int, reps: int) -> list[float]:
    proc, done = _start(_raw_pull, url, curve, n, reps)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.PUSH)
    _curve(sock, ClusterKeys.from_authkey(AUTHKEY) if curve else None, False)
    sock.connect(url)
    samples = []
    for rep in range(reps + 1):
        start = time.perf_counter()
        for _ in range(n):
            sock.send(PAYLOAD)
        done.recv()
        if rep:
            samples.append(n / (time.perf_counter() - start))
    proc.join(10)
    sock.close(linger=0)
    ctx.term()
    return samples


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


def ringleader_figures(transport: str, tmp: str, n_asks: int, n_tells: int, reps: int):
    here, there = _url(transport, tmp, "bench-main"), _url(transport, tmp, "bench-sink")
    peers = {"bench/main": here, "bench/sink": there}
    config = HostConfig(node="bench", process="sink", endpoint=there, authkey=AUTHKEY, peers=peers)
    rtts, rates = [], []
    with ProcessHost(
        node="bench",
        process="main",
        endpoint=here,
        keys=ClusterKeys.from_authkey(AUTHKEY),
        peers=peers,
    ):
        handle = spawn_process(Sink, name="sink", config=config)
        sink = resolve("bench/sink/sink")
        for rep in range(reps + 1):
            start = time.perf_counter()
            for _ in range(n_asks):
                sink.ask(PAYLOAD).get()
            rtt = (time.perf_counter() - start) / n_asks * 1e6
            before = sink.ask(Count()).get()
            start = time.perf_counter()
            for _ in range(n_tells):
                sink.tell(PAYLOAD)
            seen = sink.ask(Count(), timeout=60).get()
            rate = n_tells / (time.perf_counter() - start)
            if seen - before != n_tells:
                raise RuntimeError(f"remote tells lost: sent {n_tells}, seen {seen - before}")
            if rep:
                rtts.append(rtt)
                rates.append(rate)
        handle.stop()
    return rtts, rates


def run(args: argparse.Namespace) -> BenchReport:
    report = BenchReport("actors")
    reps, n, tells = args.reps, args.round_trips, args.tells
    rtts, rates = pykka_figures(n, tells, reps)
    report.add("pykka in-process ask round trip", "us", rtts)
    report.add("pykka in-process tell rate", "msg/s", rates, higher_is_better=True)
    for transport in [t.strip() for t in args.transports.split(",") if t.strip()]:
        if transport not in ("ipc", "tcp"):
            raise SystemExit(f"bench actors: unknown transport {transport!r} (use ipc, tcp)")
        with tempfile.TemporaryDirectory() as tmp:
            curve = transport == "tcp"
            raw = f"raw pyzmq {transport}{'+curve' if curve else ''}"
            report.add(
                f"{raw} round trip",
                "us",
                raw_round_trip(_url(transport, tmp, "raw-rtt"), curve, n, reps),
            )
            report.add(
                f"{raw} push rate",
                "msg/s",
                raw_push_rate(_url(transport, tmp, "raw-push"), curve, tells, reps),
                True,
            )
            if curve:
                report.add(
                    "raw pyzmq tcp round trip",
                    "us",
                    raw_round_trip(_url(transport, tmp, "raw-rtt2"), False, n, reps),
                )
            ours = f"ringleader {transport}"
            rtts, rates = ringleader_figures(transport, tmp, n, tells, reps)
            report.add(f"{ours} remote ask round trip", "us", rtts)
            report.add(f"{ours} remote tell rate", "msg/s", rates, higher_is_better=True)
            report.ratio(
                f"{transport}: remote ask / raw DEALER-ROUTER round trip",
                f"{ours} remote ask round trip",
                f"{raw} round trip",
                at_most=1.3,
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
    report.notes.append("ringleader figures include HMAC-SHA256 on every frame and replay checks")
    return report
