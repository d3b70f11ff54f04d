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
import time
import traceback
from collections import deque

import zmq
from pykka._envelope import Envelope as PykkaEnvelope

from actors.runtime.errors import RemoteActorError
from transport import sockets
from transport.codec import ChannelIds, Decoded, FrameRejected
from transport.envelope import Envelope, Kind, MalformedHeader

log = logging.getLogger("ringleader.runtime")

_BURST = 512  # frames read per wake-up before local messages get a turn


def peek_sender(header: bytes) -> str:
    """The claimed sender, for fault routing and logs only (not trusted, nothing unpickled)."""
    try:
        return Envelope.unpack(header).sender
    except (MalformedHeader, ValueError):
        return "?"


class DelayedFrames:
    """Frames the fault plan holds back until their time (delay and reorder faults)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, list[bytes]]] = []
        self._order = itertools.count()

    def push(self, due: float, frames: list[bytes]) -> None:
        heapq.heappush(self._heap, (due, next(self._order), frames))

    def pop_due(self, now: float) -> list[list[bytes]]:
        due = []
        while self._heap and self._heap[0][0] <= now:
            due.append(heapq.heappop(self._heap)[2])
        return due

    def timeout_ms(self, now: float) -> int | None:
        if not self._heap:
            return None
        return max(0, int((self._heap[0][0] - now) * 1000) + 1)


def admit(host, frames: list[bytes], delayed: DelayedFrames) -> list[list[bytes]]:
    """Apply the process's fault plan to one arriving frame: the copies to decode now."""
    if not host.faults.active:
        return [frames]
    verdict = host.faults.arrival(peek_sender(frames[0]) if frames else "?")
    if verdict.copies == 0:
        return []
    if verdict.delay > 0:
        for _ in range(verdict.copies):
            delayed.push(time.monotonic() + verdict.delay, frames)
        return []
    return [frames] * verdict.copies


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


class SocketInbox:
    def __init__(self) -> None:
        self._queue: deque = deque()
        self._efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._poller = zmq.Poller()
        self._poller.register(self._efd, zmq.POLLIN)
        self._socket: zmq.Socket | None = None
        self._delayed = DelayedFrames()
        self._host = None
        self.address = ""
        self._reply_channel = ChannelIds.new()
        self._reply_seq = ChannelIds.sequence()

    # binding ----------------------------------------------------------------------------
    def attach(self, host, name: str, actor: object) -> None:
        sock = host.context.socket(zmq.ROUTER)
        endpoint = host.endpoint_for(name)
        try:
            sockets.configure(sock, host.keys, endpoint, server=True, max_frame=host.max_frame)
            if endpoint.scheme == "ipc":
                _remove_stale_ipc(endpoint.address)
            bound = sockets.bind(sock, endpoint)
            host.register(name, actor, bound)
        except Exception:
            sock.close(linger=0)
            raise
        self._socket = sock
        self._host = host
        self.address = f"{host.process_key}/{name}"
        self._poller.register(sock, zmq.POLLIN)

    # pykka's inbox protocol -------------------------------------------------------------
    def put(self, envelope: PykkaEnvelope, /) -> None:
        self._queue.append(envelope)
        os.eventfd_write(self._efd, 1)

    def get(self) -> PykkaEnvelope:
        queue = self._queue
        while True:
            if queue:
                return queue.popleft()
            self._wait(self._delayed.timeout_ms(time.monotonic()))

    def empty(self) -> bool:
        if not self._queue and self._socket is not None:
            self._drain()
        return not self._queue

    # internals --------------------------------------------------------------------------
    def _wait(self, timeout_ms: int | None) -> None:
        events = self._poller.poll(timeout_ms)
        for sock, _ in events:
            if sock is self._socket:
                self._drain()
            else:
                try:
                    os.eventfd_read(self._efd)
                except BlockingIOError:
                    pass
        if self._host is not None:
            for frames in self._delayed.pop_due(time.monotonic()):
                self._open(frames[0], frames[1:])

    def _drain(self) -> None:
        sock = self._socket
        for _ in range(_BURST):
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            identity = frames[0]
            for copy in admit(self._host, frames[1:], self._delayed):
                self._open(identity, copy)

    def _open(self, identity: bytes, frames: list[bytes]) -> None:
        try:
            decoded: Decoded = self._host.codec.decode(frames, peer=f"peer {identity.hex()}")
        except FrameRejected:
            return
        env, message = decoded.envelope, decoded.message
        if env.kind is Kind.TELL:
            self._queue.append(PykkaEnvelope(message))
        elif env.kind is Kind.ASK:
            self._queue.append(PykkaEnvelope(message, RemoteReply(self, identity, env)))
        elif env.kind is Kind.BATCH:
            self._queue.extend(PykkaEnvelope(m) for m in message)
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
            frames = host.codec.encode(env, value)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot travel becomes an error
            text = "".join(traceback.format_exception(value)) if kind is Kind.FAILURE else ""
            what = repr(value) if kind is Kind.FAILURE else f"reply of type {type(value).__name__}"
            env = Envelope(Kind.FAILURE, *_fields_after_kind(env))
            frames = host.codec.encode(
                env, RemoteActorError(f"{self.address}: {what} cannot be sent back: {exc}", text)
            )
        try:
            self._socket.send_multipart([identity, *frames], zmq.NOBLOCK)
        except zmq.Again:
            log.warning("%s: reply to %s dropped (peer gone or slow)", self.address, request.sender)

    def close(self) -> None:
        if self._socket is not None:
            self._poller.unregister(self._socket)
            self._socket.close()
            self._socket = None
        if self._efd >= 0:
            os.close(self._efd)
            self._efd = -1


def _fields_after_kind(env: Envelope) -> tuple:
    return (
        env.sender,
        env.recipient,
        env.msg_id,
        env.correlation_id,
        env.channel,
        env.seq,
        env.timestamp,
    )


def _remove_stale_ipc(path: str) -> None:
    """A crashed process leaves its socket file; binding over it is how a restart takes over."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
