"""The caller's side of remote messaging: one DEALER per (thread, remote actor), no hop.

A thread that tells or asks a remote actor sends on its own channel; the answer comes back on the
same socket and the waiting thread reads it itself when it calls `get()` on the future. Several
asks may be outstanding on one channel; whoever pumps it settles all of them.
"""

from __future__ import annotations

import itertools
import threading
import time

import pykka
import zmq

from actors.runtime.address import ActorAddress
from actors.runtime.errors import ActorUnreachable, AskTimeout
from actors.runtime.inbox import DelayedFrames, admit
from transport import sockets
from transport.codec import ChannelIds, FrameRejected
from transport.endpoint import Endpoint
from transport.envelope import Kind, header_tail, pack_header

_tls = threading.local()

BATCH_MAX = 256  # tells per frame at most
BURST_GAP = 0.0002  # seconds: a tell this soon after the previous one joins a batch
FLUSH_DELAY = 0.0003  # seconds a batch may wait for more tells before the flusher sends it


class Flusher:
    """Sends batches their thread left behind: a burst of tells becomes a few large frames, and a
    lone tell (no burst) is never delayed because it is sent at once."""

    def __init__(self) -> None:
        self._marked: set[Channel] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        threading.Thread(target=self._run, name="tell-flusher", daemon=True).start()

    def mark(self, channel: Channel) -> None:
        with self._lock:
            self._marked.add(channel)
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(FLUSH_DELAY)
            self._wake.clear()
            with self._lock:
                marked, self._marked = self._marked, set()
            for channel in marked:
                channel.flush()


_flusher: Flusher | None = None
_flusher_lock = threading.Lock()


def flusher_of(host) -> Flusher:
    """One flusher thread per OS process serves every host's channels."""
    global _flusher
    with _flusher_lock:
        if _flusher is None:
            _flusher = Flusher()
        return _flusher


def channel_for(host, endpoint: Endpoint) -> Channel:
    channels = getattr(_tls, "channels", None)
    if channels is None:
        channels = _tls.channels = {}
    key = (id(host), endpoint.url)
    channel = channels.get(key)
    if channel is None or channel.closed:
        channel = channels[key] = Channel(host, endpoint)
        host.add_channel(channel)
    return channel


class RemoteFuture(pykka.ThreadingFuture):
    """A pykka future whose `get()` reads the channel until the answer or the ask's deadline.

    Made without arguments (pykka's `map`, `filter`, `join` and `reduce` do that for the
    futures they derive) it is a plain pykka future."""

    def __init__(
        self,
        channel: Channel | None = None,
        msg_id: int = 0,
        target: str = "",
        timeout: float = 0.0,
    ) -> None:
        super().__init__()
        self._channel = channel
        self._msg_id = msg_id
        self._target = target
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._done = channel is None

    def set(self, value=None) -> None:
        super().set(value)
        self._done = True

    def set_exception(self, exc_info=None) -> None:
        super().set_exception(exc_info)
        self._done = True

    def get(self, *, timeout: float | None = None):
        if self._channel is None:
            return super().get(timeout=timeout)
        limit = (
            self._deadline if timeout is None else min(self._deadline, time.monotonic() + timeout)
        )
        while not self._done:
            remaining = limit - time.monotonic()
            if remaining <= 0:
                if limit >= self._deadline:
                    self._channel.pending.pop(self._msg_id, None)
                    # On tcp the actor's port was looked up and cached; after a restart it listens
                    # on another one, so the next ask must look it up again instead of timing out.
                    self._channel.host.forget(ActorAddress.parse(self._target))
                    self.set_exception(
                        (
                            AskTimeout,
                            AskTimeout(
                                f"no answer from {self._target} within {self._timeout:g} s: "
                                "the actor is dead, unreachable or too busy"
                            ),
                            None,
                        )
                    )
                    break
                raise pykka.Timeout(f"{timeout} seconds")
            self._channel.pump(min(remaining, 0.2))
        return super().get(timeout=0)


class Channel:
    def __init__(self, host, endpoint: Endpoint) -> None:
        self.host = host
        self.endpoint = endpoint
        self.id = ChannelIds.new()
        self._seq = itertools.count(1)
        self.pending: dict[int, RemoteFuture] = {}
        self.lock = threading.RLock()
        self.closed = False
        self._delayed = DelayedFrames()
        self._timeout_ms = -1
        self._tails: dict[tuple[str, str], bytes] = {}
        self._batch: list = []
        self._batch_key: tuple[str, str] = ("", "")
        self._last_tell = 0.0
        self._flush_pending = False
        sock = host.context.socket(zmq.DEALER)
        sockets.configure(sock, host.keys, endpoint, server=False, max_frame=host.max_frame)
        sock.connect(endpoint.url)
        self._socket = sock

    def _frame(self, kind: Kind, sender: str, recipient: str, message: object, msg_id: int):
        tail = self._tails.get((sender, recipient))
        if tail is None:
            tail = self._tails[(sender, recipient)] = header_tail(sender, recipient)
        header = pack_header(kind, 0, self.id, next(self._seq), msg_id, 0, time.time(), tail)
        return self.host.codec.encode_packed(header, message, recipient)

    def tell(self, sender: str, recipient: str, message: object) -> bool:
        """Send a tell; tells that come in a burst are packed into one frame (see Flusher)."""
        with self.lock:
            now = time.perf_counter()
            burst = now - self._last_tell < BURST_GAP
            self._last_tell = now
            if not (self._batch or burst):
                return self._send(Kind.TELL, sender, recipient, message)
            if self._batch and self._batch_key != (sender, recipient):
                self._flush()
            self._batch.append(message)
            self._batch_key = (sender, recipient)
            if len(self._batch) >= BATCH_MAX:
                self._flush()
            elif not self._flush_pending:
                self._flush_pending = True
                flusher_of(self.host).mark(self)
            return True

    def _send(self, kind: Kind, sender: str, recipient: str, message: object) -> bool:
        frame = self._frame(kind, sender, recipient, message, self.host.next_msg_id())
        try:
            self._socket.send(frame, sockets.NOBLOCK)
            return True
        except zmq.Again:
            return False  # like a send to a dead Erlang process: silently lost

    def _flush(self) -> None:
        """Send what is batched (lock held): one TELL, or one BATCH frame of many."""
        batch = self._batch
        if not batch:
            return
        sender, recipient = self._batch_key
        if len(batch) == 1:
            self._send(Kind.TELL, sender, recipient, batch[0])
        else:
            self._send(Kind.BATCH, sender, recipient, tuple(batch))
        batch.clear()

    def flush(self) -> None:
        with self.lock:
            self._flush_pending = False
            if not self.closed:
                self._flush()

    def ask(self, sender: str, recipient: str, message: object, target: str, timeout: float):
        msg_id = self.host.next_msg_id()
        future = RemoteFuture(self, msg_id, target, timeout)
        with self.lock:
            self._flush()  # tells sent before this ask arrive before it
            frame = self._frame(Kind.ASK, sender, recipient, message, msg_id)
            self.pending[msg_id] = future
            try:
                self._socket.send(frame, sockets.NOBLOCK)
            except zmq.Again:
                self.pending.pop(msg_id, None)
                future.set_exception(
                    (ActorUnreachable, ActorUnreachable(f"{target}: send queue full"), None)
                )
        return future

    def pump(self, timeout: float) -> None:
        """Read whatever answers are there (waiting up to `timeout`) and settle their futures."""
        with self.lock:
            if self.closed:
                return
            sock = self._socket
            wait_ms = int(timeout * 1000)
            delayed_ms = self._delayed.timeout_ms(time.monotonic())
            if delayed_ms is not None:
                wait_ms = min(wait_ms, delayed_ms)
            if wait_ms != self._timeout_ms:
                sock.rcvtimeo = self._timeout_ms = wait_ms
            try:
                frames = sockets.recv_frames(sock)  # a blocking recv: no poller on the hot path
            except zmq.Again:
                frames = None
            while frames is not None:
                self._take(frames)
                frames = (
                    sockets.recv_frames(sock, sockets.NOBLOCK) if sockets.readable(sock) else None
                )
            for frame in self._delayed.pop_due(time.monotonic()):
                self._settle(frame)

    def _take(self, frames: list[bytes]) -> None:
        if len(frames) != 1:
            self.host.codec.count_malformed(f"{len(frames)} parts, expected 1", self.endpoint.url)
        elif self.host.faults.active:
            for copy in admit(self.host, frames[0], self._delayed):
                self._settle(copy)
        else:
            self._settle(frames[0])

    def _settle(self, frame: bytes) -> None:
        try:
            decoded = self.host.codec.decode(frame, peer=self.endpoint.url)
        except FrameRejected:
            return
        env, message = decoded.envelope, decoded.message
        future = self.pending.pop(env.correlation_id, None)
        if future is None:
            return  # an answer after its ask timed out
        if env.kind is Kind.REPLY:
            future.set(message)
        elif isinstance(message, pykka.ActorDeadError):  # it stopped with our ask still queued
            exc = ActorUnreachable(f"{future._target}: {message}")  # as a LocalRef ask says
            future.set_exception((ActorUnreachable, exc, None))
        elif isinstance(message, BaseException):
            future.set_exception((type(message), message, message.__traceback__))
        else:
            future.set_exception((ActorUnreachable, ActorUnreachable(str(message)), None))

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self._flush()
                self.closed = True
                self._socket.close()  # the socket's finite linger lets the last frames go
