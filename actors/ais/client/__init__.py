"""The client library: application processes talk to their node's executive over ipc.

    with CpgClient(deliver=print, confchg=print, config="/etc/ringleader/node1.toml") as cpg:
        cpg.join("chat")
        cpg.mcast_joined(b"hello")
        cpg.dispatch(timeout=1.0)

`CpgClient`, `ClmClient`, `QuorumClient`; `CkptClient`, `EvtClient`, `MsgClient`, `LckClient`
for the application services (they resend TRY_AGAIN during a membership change for `retry`
seconds); `ServiceClient(service)` for any service: `client.call(op)` with the request
dataclasses of `actors.ais.<service>.messages`.
Calls block and raise `actors.ais.errors.AisError`; callbacks run in `dispatch(timeout)` or in
a thread (`start_dispatch_thread()`). The node is found from a node config file (`config=`, or
$RINGLEADER_CONFIG) or given as `endpoint=`, `node=` and `authkey=`.
"""

from actors.ais.client.ckpt import CkptClient
from actors.ais.client.clm import ClmClient
from actors.ais.client.connection import Connection
from actors.ais.client.cpg import CpgClient
from actors.ais.client.evt import EvtClient
from actors.ais.client.lck import LckClient
from actors.ais.client.msg import MsgClient
from actors.ais.client.quorum import QuorumClient


class ServiceClient(Connection):
    """A connection to any service by name; callbacks go to `handler(payload, cause)`."""


__all__ = [
    "CkptClient",
    "ClmClient",
    "Connection",
    "CpgClient",
    "EvtClient",
    "LckClient",
    "MsgClient",
    "QuorumClient",
    "ServiceClient",
]
