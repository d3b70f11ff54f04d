"""`Actor.sender`: an actor can tell who sent the message it handles (the privileged child
serves only its node's LRM and fencer by it)."""

from __future__ import annotations

import pytest
from runtime_support import unique, wait_for

from actors.runtime import Actor, resolve, spawn


class WhoAsks(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.senders: list = []

    def on_receive(self, message):
        if message == "senders":
            return list(self.senders)
        self.senders.append(self.sender)
        return self.sender


class Relay(Actor):
    """Asks `target` from its own actor thread: the sender is then the actor's address."""

    def on_receive(self, message):
        return message.ask("from an actor", timeout=10).get()


@pytest.mark.parametrize("transport", ["inproc", "ipc", "tcp"])
def test_remote_messages_carry_their_sender_and_local_ones_none(transport, make_host, endpoint_for):
    a, b = unique("a"), unique("b")
    ep1, ep2 = endpoint_for(transport, a), endpoint_for(transport, b)
    peers = {f"{a}/main": ep1, f"{b}/main": ep2}
    h1 = make_host(node=a, endpoint=ep1, peers=peers, ask_timeout=5.0)
    h2 = make_host(node=b, endpoint=ep2, peers=peers, ask_timeout=5.0)
    spawn(WhoAsks, name="who", on_host=h2)
    remote = resolve(f"{b}/main/who", host=h1)
    local = resolve(f"{b}/main/who", host=h2)

    asked = remote.ask("hello", timeout=10).get()
    assert asked.startswith(f"{a}/main/thread-")
    for i in range(5):  # a burst: sent as one BATCH frame, each message keeps the sender
        remote.tell(i)
    wait_for(lambda: len(local.ask("senders", timeout=10).get()) == 6)
    assert local.ask("local", timeout=10).get() is None
    relay = spawn(Relay, name="relay", on_host=h1)
    assert relay.ask(remote, timeout=10).get() == f"{a}/main/relay"
    assert local.ask("senders", timeout=10).get() == [asked] * 6 + [None, f"{a}/main/relay"]


class Later(Actor):
    """Answers each ask once a later message says so (as a worker thread's result would)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list = []

    def on_receive(self, message):
        if message == "waiting":
            return len(self.waiting)
        if message == "answer now":
            for handle in self.waiting:
                handle.set(f"late answer {len(self.waiting)}")
            self.waiting.clear()
            return "done"
        self.waiting.append(self.defer_reply())
        return "never sent"


@pytest.mark.parametrize("transport", ["inproc", "ipc"])
def test_deferred_replies_reach_local_and_remote_askers(transport, make_host, endpoint_for):
    a, b = unique("a"), unique("b")
    ep1, ep2 = endpoint_for(transport, a), endpoint_for(transport, b)
    peers = {f"{a}/main": ep1, f"{b}/main": ep2}
    h1 = make_host(node=a, endpoint=ep1, peers=peers, ask_timeout=5.0)
    h2 = make_host(node=b, endpoint=ep2, peers=peers, ask_timeout=5.0)
    spawn(Later, name="later", on_host=h2)
    remote = resolve(f"{b}/main/later", host=h1)
    local = resolve(f"{b}/main/later", host=h2)
    futures = [remote.ask("q1", timeout=10), local.ask("q2", timeout=10)]
    wait_for(lambda: local.ask("waiting", timeout=10).get() == 2)
    assert local.ask("answer now", timeout=10).get() == "done"
    assert [f.get() for f in futures] == ["late answer 2"] * 2
