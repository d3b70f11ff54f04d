"""An actor's inbox that is also its socket: local messages and remote frames, one thread.

pykka asks an inbox for `put`, `get` and `empty`. Ours keeps local envelopes in a deque (woken
through an eventfd) and owns the actor's ROUTER socket, which only the actor's thread touches:
frames are authenticated, opened and turned into pykka envelopes right there, and replies to
remote asks leave from the same thread through the same socket.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import sys
import threading
import time
import traceback
from collections import deque

import zmq
from pykka._envelope import Envelope as PykkaEnvelope

from actors.runtime.errors import RemoteActorError
from transport import serialize, sockets
from transport.codec import ChannelIds, Decoded, FrameRejected
from transport.envelope import Envelope, Kind, MalformedHeader, header_tail, pack_header

log = logging.getLogger("ringleader.runtime")

_BURST = 512
_wake_ids = itertools.count()  # frames read per wake-up before local messages get a turn


def peek_sender(frame: bytes) -> str:
    """The claimed sender, for fault routing and logs only (not trusted, nothing unpickled)."""
    try:
        return Envelope.unpack(frame[2 : 2 + int.from_bytes(frame[:2], "big")]).sender
    except (MalformedHeader, ValueError, TypeError):
        return "?"


class DelayedFrames:
    """Frames the fault plan holds back until their time (delay and reorder faults)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, object]] = []
        self._order = itertools.count()

    def push(self, due: float, held: object) -> None:
        heapq.heappush(self._heap, (due, next(self._order), held))

    def pop_due(self, now: float) -> list:
        due = []
        while self._heap and self._heap[0][0] <= now:
            due.append(heapq.heappop(self._heap)[2])
        return due

    def timeout_ms(self, now: float) -> int | None:
        if not self._heap:
            return None
        return max(0, int((self._heap[0][0] - now) * 1000) + 1)


def admit(host, frame: bytes, delayed: DelayedFrames, held: object = None) -> list[bytes]:
    """Apply the process's fault plan to one arriving frame: the copies to decode now.

    A delayed frame is parked as `held` (default: the frame itself) until it is due.
    """
    if not host.faults.active:
        return [frame]
    verdict = host.faults.arrival(peek_sender(frame))
    if verdict.copies == 0:
        return []
    if verdict.delay > 0:
        for _ in range(verdict.copies):
            delayed.push(time.monotonic() + verdict.delay, frame if held is None else held)
        return []
    return [frame] * verdict.copies


class RemoteReply:
    """Stands in for pykka's reply future when the asker is in another process."""

    __slots__ = ("inbox", "identity", "request")

    def __init__(self, inbox: SocketInbox, identity: bytes, request: Envelope) -> None:
        self.inbox = inbox
        self.identity = identity
        self.request = request

    def set(self, value: object = None) -> None:
        self.inbox.send_reply(self.identity, self.request, Kind.REPLY, value)

    def set_exception(self, exc_info=None) -> None:
        exc = (exc_info or sys.exc_info())[1]
        self.inbox.send_reply(self.identity, self.request, Kind.FAILURE, exc)


class FromWire(PykkaEnvelope):
    """An envelope that came over the wire: `sender` is the "node/process/name" its frame's
    authenticated header named (see `Actor.sender`)."""

    __slots__ = ("sender",)

    def __init__(self, message, reply_to=None, sender: str = "") -> None:
        super().__init__(message, reply_to)
        self.sender = sender


class SocketInbox:
    """pykka's inbox protocol (`put`, `get`, `empty`) over a deque and the actor's socket.

    The actor thread blocks in a plain `recv` on its ROUTER socket (no poller: on a small machine
    a poll costs as much as the message). A local `put` from another thread wakes it, only when it
    sleeps, with an empty frame sent over an inproc link to that same socket.
    """

    def __init__(self) -> None:
        self._queue: deque = deque()
        self._socket: zmq.Socket | None = None
        self._waker: zmq.Socket | None = None
        self._waker_lock = threading.Lock()
        self._sleeping = False
        self._wakeup = threading.Event()  # only used before a socket is attached
        self._delayed = DelayedFrames()
        self._host = None
        self._timeout_ms = -1
        self.address = ""
        self.current: PykkaEnvelope | None = None  # the envelope `get` handed out last
        self._reply_channel = ChannelIds.new()
        self._reply_seq = ChannelIds.sequence()
        self._reply_tails: dict[str, bytes] = {}

    # binding ----------------------------------------------------------------------------
    def attach(self, host, name: str, actor: object) -> None:
        sock = host.context.socket(zmq.ROUTER)
        endpoint = host.endpoint_for(name)
        wake_url = f"inproc://wake-{id(self):x}-{next(_wake_ids)}"
        try:
            sockets.configure(sock, host.keys, endpoint, server=True, max_frame=host.max_frame)
            if host.local_actor(name) is not None:  # before unlinking a live actor's ipc file
                raise ValueError(f"an actor named {name!r} already runs in {host.process_key}")
            if endpoint.scheme == "ipc":
                _remove_stale_ipc(endpoint.address)
            bound = sockets.bind(sock, endpoint)
            sock.bind(wake_url)
            host.register(name, actor, bound)
        except Exception:
            sock.close(linger=0)
            raise
        waker = host.context.socket(zmq.DEALER)
        waker.setsockopt(zmq.LINGER, 0)
        waker.connect(wake_url)
        self._waker = waker
        self._socket = sock
        self._bound = bound
        self._host = host
        self.address = f"{host.process_key}/{name}"

    # pykka's inbox protocol -------------------------------------------------------------
    def put(self, envelope: PykkaEnvelope, /) -> None:
        self._queue.append(envelope)
        if self._sleeping:
            with self._waker_lock:
                if self._waker is not None:
                    try:
                        self._waker.send(b"", zmq.NOBLOCK)
                    except zmq.ZMQError:
                        pass
                else:
                    self._wakeup.set()

    def get(self) -> PykkaEnvelope:
        queue = self._queue
        while True:
            if queue:
                envelope = self.current = queue.popleft()
                return envelope
            self._wait(self._delayed.timeout_ms(time.monotonic()))

    def empty(self) -> bool:
        if not self._queue and self._socket is not None:
            self._drain()
        return not self._queue

    def pending(self) -> list[PykkaEnvelope]:
        """What is still queued (read from the socket too), without taking it."""
        self.empty()
        return list(self._queue)

    # internals --------------------------------------------------------------------------
    def _wait(self, timeout_ms: int | None) -> None:
        sock = self._socket
        self._sleeping = True
        try:
            if self._queue:
                return
            if sock is None:
                self._wakeup.wait(None if timeout_ms is None else timeout_ms / 1000)
                self._wakeup.clear()
                return
            wanted = -1 if timeout_ms is None else timeout_ms
            if wanted != self._timeout_ms:
                sock.rcvtimeo = self._timeout_ms = wanted
            try:
                frames = sockets.recv_frames(sock)
            except zmq.Again:
                frames = None
        finally:
            self._sleeping = False
        if frames is not None:
            self._take(frames)
            self._drain()
        for identity, frame in self._delayed.pop_due(time.monotonic()):
            self._open(identity, frame)

    def _drain(self) -> None:
        sock = self._socket
        for _ in range(_BURST):
            if not sockets.readable(sock):
                return
            self._take(sockets.recv_frames(sock, sockets.NOBLOCK))

    def _take(self, frames: list[bytes]) -> None:
        if len(frames) != 2:
            self._host.codec.count_malformed(f"{len(frames) - 1} parts, expected 1", self.address)
            return
        identity, frame = frames
        if not frame:
            return  # a wake-up (or an empty frame, which carries nothing to act on)
        if self._host.faults.active:
            for copy in admit(self._host, frame, self._delayed, (identity, frame)):
                self._open(identity, copy)
        else:
            self._open(identity, frame)

    def _open(self, identity: bytes, frame: bytes) -> None:
        try:
            decoded: Decoded = self._host.codec.decode(frame, peer=f"peer {identity.hex()}")
        except FrameRejected:
            return
        env, message = decoded.envelope, decoded.message
        if env.kind is Kind.TELL:
            self._queue.append(FromWire(message, None, env.sender))
        elif env.kind is Kind.ASK:
            self._queue.append(FromWire(message, RemoteReply(self, identity, env), env.sender))
        elif env.kind is Kind.BATCH:
            self._queue.extend(FromWire(m, None, env.sender) for m in message)
        else:
            log.warning("%s: ignored a %s frame from %s", self.address, env.kind.name, env.sender)

    def send_reply(self, identity: bytes, request: Envelope, kind: Kind, value: object) -> None:
        host = self._host
        env = Envelope(
            kind,
            self.address,
            request.sender,
            host.next_msg_id(),
            request.msg_id,
            self._reply_channel,
            next(self._reply_seq),
            time.time(),
        )
        try:
            if kind is Kind.FAILURE:
                # An exception that pickles but cannot be rebuilt (an __init__ that wants other
                # arguments than its args) would be dropped by the asker, who would then wait
                # for its deadline: try the round trip here, where the class is known to exist.
                serialize.loads(serialize.dumps(value))
            frame = host.codec.encode_packed(self._reply_header(env), value, env.recipient)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot travel becomes an error
            text = "".join(traceback.format_exception(value)) if kind is Kind.FAILURE else ""
            what = repr(value) if kind is Kind.FAILURE else f"reply of type {type(value).__name__}"
            env = env._replace(kind=Kind.FAILURE)
            frame = host.codec.encode(
                env, RemoteActorError(f"{self.address}: {what} cannot be sent back: {exc}", text)
            )
        try:
            sockets.send_routed(self._socket, identity, frame)
        except zmq.Again:
            log.warning("%s: reply to %s dropped (peer gone or slow)", self.address, request.sender)

    def _reply_header(self, env: Envelope) -> bytes:
        """The header of a reply, its (sender, recipient) part cached per asker."""
        tail = self._reply_tails.get(env.recipient)
        if tail is None:
            if len(self._reply_tails) >= 4096:
                self._reply_tails.clear()
            tail = self._reply_tails[env.recipient] = header_tail(env.sender, env.recipient)
        return pack_header(
            env.kind, 0, env.channel, env.seq, env.msg_id, env.correlation_id, env.timestamp, tail
        )

    def close(self) -> None:
        with self._waker_lock:
            if self._waker is not None:
                self._waker.close(linger=0)
                self._waker = None
        if self._socket is not None:
            if self._bound.scheme == "inproc":
                # close() frees an inproc name later, in libzmq's reaper thread; unbind frees it
                # now, so a supervisor restarting this actor can bind the same name at once.
                try:
                    self._socket.unbind(self._bound.url)
                except zmq.ZMQError:
                    pass
            self._socket.close()
            self._socket = None


def _remove_stale_ipc(path: str) -> None:
    """A crashed process leaves its socket file; binding over it is how a restart takes over."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
