"""How a command reaches an actor of a running node: a short-lived host of its own, keyed from
the node's authkey, and a ref resolved by node/process/name."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from actors.config import NodeConfig
from actors.errors import UserError
from actors.runtime.host import ProcessHost
from actors.runtime.ref import Ref, resolve
from transport.authkey import AuthkeyError, ClusterKeys


@contextlib.contextmanager
def command_host(config: NodeConfig) -> Iterator[ProcessHost]:
    """A host for this command's asks to `config`'s cluster (closed on exit)."""
    try:
        keys = ClusterKeys.from_file(config.authkey)
    except AuthkeyError as exc:
        raise UserError(f"{config.path}: cluster.authkey: {exc}") from None
    with ProcessHost(
        node=config.node,
        process=f"cli-{os.getpid()}",
        endpoint=f"inproc://cli-{os.getpid()}-{time.monotonic_ns()}",
        keys=keys,
        peers=config.peers(),
        make_current=False,
    ) as host:
        yield host


@contextlib.contextmanager
def node_actor(config: NodeConfig, process: str, name: str) -> Iterator[Ref]:
    """A ref to `name` in `process` of this node (the node must be running: an ask to it
    fails with ActorUnreachable after its timeout otherwise)."""
    from actors.node import read_pid

    if read_pid(config) is None:
        raise UserError(f"{config.path}: node {config.node} is not running")
    with command_host(config) as host:
        yield resolve(f"{config.node}/{process}/{name}", host=host)
