"""Socket set-up shared by every ZeroMQ socket we open: CURVE on tcp, finite linger, size cap."""

from __future__ import annotations

import zmq

from transport.authkey import ClusterKeys
from transport.endpoint import Endpoint

LINGER_MS = 500
HWM = 100_000

# Plain ints: pyzmq's enum flags cost a Python-level enum operation per use on the hot path.
NOBLOCK = int(zmq.NOBLOCK)
_SNDMORE = int(zmq.SNDMORE)
_RCVMORE = int(zmq.RCVMORE)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)


def configure(
    sock: zmq.Socket, keys: ClusterKeys, endpoint: Endpoint, *, server: bool, max_frame: int
) -> None:
    sock.setsockopt(zmq.LINGER, LINGER_MS)
    sock.setsockopt(zmq.SNDHWM, HWM)
    sock.setsockopt(zmq.RCVHWM, HWM)
    # libzmq drops the connection for anything over this; our codec rejects (and counts) frames
    # over max_frame well below it, so this only guards memory against a hostile peer.
    sock.setsockopt(zmq.MAXMSGSIZE, 2 * max_frame + 4096)
    if endpoint.encrypted:
        if server:
            sock.curve_server = True
            sock.curve_secretkey = keys.curve_server_secret
            sock.curve_publickey = keys.curve_server_public
        else:
            sock.curve_serverkey = keys.curve_server_public
            sock.curve_publickey = keys.curve_client_public
            sock.curve_secretkey = keys.curve_client_secret


def bind(sock: zmq.Socket, endpoint: Endpoint) -> Endpoint:
    """Bind, resolving a wildcard tcp port to the one the kernel gave us."""
    if endpoint.scheme == "tcp" and endpoint.address.endswith(":*"):
        host = endpoint.address.rsplit(":", 1)[0]
        port = sock.bind_to_random_port(f"tcp://{host}")
        return Endpoint("tcp", f"{host}:{port}")
    sock.bind(endpoint.url)
    return endpoint


def readable(sock: zmq.Socket) -> bool:
    """A message is waiting (cheaper than letting a NOBLOCK recv raise zmq.Again)."""
    return bool(sock.get(_EVENTS) & _POLLIN)


def recv_frames(sock: zmq.Socket, flags: int = 0) -> list[bytes]:
    """`recv_multipart` without its per-part enum handling."""
    parts = [sock.recv(flags)]
    while sock.get(_RCVMORE):
        parts.append(sock.recv(flags))
    return parts


def send_routed(sock: zmq.Socket, identity: bytes, frame: bytes) -> None:
    """One frame to the peer a ROUTER knows as `identity`, never blocking (zmq.Again if full)."""
    sock.send(identity, _SNDMORE | NOBLOCK)
    sock.send(frame, NOBLOCK)
