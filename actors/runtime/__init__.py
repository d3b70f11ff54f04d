"""Location-transparent actors on pykka: the same `tell`/`ask` in a thread, a process or a node.

host = ProcessHost(node="n1", process="main", endpoint="ipc:///run/rl/n1.main", keys=keys)
ref = spawn(Echo, name="echo")                 # an actor others can reach as n1/main/echo
other = resolve("n2/exec/cpg")                 # a Ref to an actor in another process
other.tell(Msg()); other.ask(Query(), timeout=2.0).get()
"""

from actors.runtime.actor import Actor, DeathNotice, Unwatch, Watch
from actors.runtime.address import ActorAddress
from actors.runtime.errors import ActorUnreachable, AskTimeout, RemoteActorError
from actors.runtime.host import ProcessHost, current_host
from actors.runtime.ref import Ref, resolve, spawn

__all__ = [
    "Actor",
    "ActorAddress",
    "ActorUnreachable",
    "AskTimeout",
    "DeathNotice",
    "ProcessHost",
    "Ref",
    "RemoteActorError",
    "Unwatch",
    "Watch",
    "current_host",
    "resolve",
    "spawn",
]
