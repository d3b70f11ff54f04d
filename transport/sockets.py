"""Socket set-up shared by every ZeroMQ socket we open: CURVE on tcp, finite linger, size cap."""

from __future__ import annotations

import zmq

from transport.authkey import ClusterKeys
from transport.endpoint import Endpoint

LINGER_MS = 500
HWM = 100_000


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
