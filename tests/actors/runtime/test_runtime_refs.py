"""Refs: tell and ask behave the same for a LocalRef and a RemoteRef over inproc, ipc and tcp."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from runtime_support import unique, wait_for

from actors.runtime import (
    Actor,
    ActorUnreachable,
    AskTimeout,
    DeathNotice,
    RemoteActorError,
    resolve,
    spawn,
)
from actors.runtime.address import ActorAddress
from actors.runtime.host import SetFaults
from actors.runtime.ref import LocalRef, RemoteRef
from transport.faults import FaultPlan, LinkFaults

TRANSPORTS = ["inproc", "ipc", "tcp"]


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Fail:
    kind: str


@dataclass(frozen=True)
class Forward:
    to: object  # a Ref
    text: str


class Picky(Exception):
    """An application exception that must come back as itself."""


class TwoArgs(Exception):
    """Pickles, but cannot be rebuilt from its args: it fails on the asker's side."""

    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")


class Echo(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list = []

    def on_receive(self, message):
        if isinstance(message, Note):
            self.seen.append(message.text)
            return f"echo {message.text}"
        if message == "seen":
            return list(self.seen)
        if isinstance(message, Fail):
            if message.kind == "picky":
                raise Picky("no thanks")
            if message.kind == "value":
                raise ValueError("bad value")
            if message.kind == "unpicklable-reply":
                return threading.Lock()
            if message.kind == "unpicklable-exc":
                err = Picky("holds a lock")
                err.lock = threading.Lock()
                raise err
            if message.kind == "two-args":
                raise TwoArgs(1, 2)
            if message.kind == "crash":
                raise RuntimeError("crashed on purpose")
        if isinstance(message, Forward):
            message.to.tell(Note(message.text))
            return type(message.to).__name__
        return super().on_receive(message)


class Collector(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.items: list = []

    def on_receive(self, message):
        if message == "items":
            return list(self.items)
        self.items.append(message)
        return None


@pytest.fixture(params=TRANSPORTS)
def pair(request, make_host, endpoint_for):
    """Two hosts (n1 = caller side, n2 = actor side) that know each other."""
    t = request.param
    a, b = unique("a"), unique("b")
    ep1, ep2 = endpoint_for(t, a), endpoint_for(t, b)
    peers = {f"{a}/main": ep1, f"{b}/main": ep2}
    h1 = make_host(node=a, endpoint=ep1, peers=peers, ask_timeout=5.0)
    h2 = make_host(node=b, endpoint=ep2, peers=peers, ask_timeout=5.0)
    return h1, h2


def _refs(pair, name):
    """The same actor of n2 through a LocalRef (from n2) and a RemoteRef (from n1)."""
    h1, h2 = pair
    local = resolve(f"{h2.process_key}/{name}", host=h2)
    remote = resolve(f"{h2.process_key}/{name}", host=h1)
    assert isinstance(local, LocalRef) and isinstance(remote, RemoteRef)
    return {"local": local, "remote": remote}


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_tell_and_ask(pair, kind):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = _refs(pair, "echo")[kind]
    assert ref.ask(Note("one"), timeout=10).get() == "echo one"
    ref.tell(Note("two"))
    ref.tell(Note("three"))
    assert wait_for(lambda: ref.ask("seen", timeout=10).get()[1:] == ["two", "three"])


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_exceptions_come_back_as_themselves(pair, kind):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = _refs(pair, "echo")[kind]
    with pytest.raises(Picky, match="no thanks"):
        ref.ask(Fail("picky"), timeout=10).get()
    with pytest.raises(ValueError, match="bad value"):
        ref.ask(Fail("value"), timeout=10).get()
    assert ref.ask(Note("still here"), timeout=10).get() == "echo still here"


@pytest.mark.parametrize("what", ["unpicklable-reply", "unpicklable-exc", "two-args"])
def test_answers_that_cannot_travel_become_remote_actor_error(pair, what):
    refs = _refs_after_spawn(pair)
    with pytest.raises(RemoteActorError) as info:
        refs["remote"].ask(Fail(what), timeout=10).get()
    assert "cannot be sent back" in str(info.value)
    assert refs["remote"].ask(Note("after"), timeout=10).get() == "echo after"


def _refs_after_spawn(pair):
    spawn(Echo, name="echo", on_host=pair[1])
    return _refs(pair, "echo")


@pytest.mark.timeout(60)
def test_asking_a_missing_actor_or_gone_process_times_out(pair, endpoint_for):
    h1, h2 = pair
    transport = h1.endpoint.scheme
    missing = resolve(f"{h2.process_key}/nobody", host=h1)
    with pytest.raises(ActorUnreachable) as info:
        missing.ask(Note("x"), timeout=0.5).get()
    if transport != "tcp":  # on tcp the `_host` look-up says at once that there is no such actor
        assert isinstance(info.value, AskTimeout)
    missing.tell(Note("lost"))  # a tell to nobody is silently lost

    gone = unique("gone")
    h1.add_peer(f"{gone}/main", endpoint_for(transport, gone))
    ref = resolve(f"{gone}/main/echo", host=h1)
    with pytest.raises(AskTimeout):
        ref.ask(Note("x"), timeout=0.5).get()
    with pytest.raises(ActorUnreachable, match="no endpoint known"):
        resolve("nowhere/main/echo", host=h1).ask(Note("x"), timeout=0.5).get()


def test_local_ref_to_a_dead_actor_is_unreachable(pair):
    h1, h2 = pair
    ref = spawn(Echo, name="short", on_host=h2)
    ref.stop(timeout=10)
    with pytest.raises(ActorUnreachable):
        ref.ask(Note("x"), timeout=0.5).get()
    ref.tell(Note("lost"))  # silently lost


def test_refs_travel_inside_messages(pair):
    h1, h2 = pair
    collector = spawn(Collector, name="collector", on_host=h1)
    spawn(Echo, name="echo", on_host=h2)
    remote_echo = resolve(f"{h2.process_key}/echo", host=h1)
    remote_echo.ask(Forward(collector, "via ref"), timeout=10).get()
    assert wait_for(lambda: collector.ask("items", timeout=10).get()) == [Note("via ref")]


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_watchers_get_death_notices(pair, kind):
    h1, h2 = pair
    watcher = spawn(Collector, name="watcher", on_host=h1 if kind == "remote" else h2)
    spawn(Echo, name="crasher", on_host=h2)
    spawn(Echo, name="stopper", on_host=h2)
    refs = {name: _refs(pair, name)[kind] for name in ("crasher", "stopper")}
    refs["crasher"].watch(watcher, tag="c")
    refs["stopper"].watch(watcher, tag="s")
    for ref in refs.values():  # the Watch is handled before anything that follows it
        assert ref.ask(Note("sync"), timeout=10).get() == "echo sync"
    refs["crasher"].tell(Fail("crash"))
    refs["stopper"].stop(timeout=10)

    def notices():
        items = watcher.ask("items", timeout=10).get()
        return {n.tag: n for n in items} if len(items) == 2 else None

    got = wait_for(notices)
    crash, stop = got["c"], got["s"]
    assert isinstance(crash, DeathNotice) and crash.address == f"{h2.process_key}/crasher"
    assert not crash.normal and "RuntimeError: crashed on purpose" in crash.reason
    assert stop.normal and stop.reason == "normal" and stop.address == f"{h2.process_key}/stopper"


def test_watching_a_dead_local_actor_says_how_it_ended(pair):
    h1, h2 = pair
    watcher = spawn(Collector, name="watcher", on_host=h2)
    stopped = spawn(Echo, name="stopped", on_host=h2)
    stopped.stop(timeout=10)
    stopped.watch(watcher, tag="s")
    crashed = spawn(Echo, name="crashed", on_host=h2)
    crashed.tell(Fail("crash"))
    wait_for(lambda: not crashed.is_alive)
    crashed.watch(watcher, tag="c")
    got = wait_for(lambda: len(items := watcher.ask("items", timeout=10).get()) == 2 and items)
    assert got[0] == DeathNotice(f"{h2.process_key}/stopped", "normal", True, "s")
    assert got[1].tag == "c" and not got[1].normal
    assert got[1].reason == "RuntimeError: crashed on purpose"


class FailsOnStart(Actor):
    def on_start(self) -> None:
        raise RuntimeError("cannot start")


def test_a_watch_queued_when_the_actor_dies_still_gets_its_notice(pair):
    """Watch sent while on_start runs: the actor never handles it, but must still notify."""
    h1, h2 = pair
    watcher = spawn(Collector, name="watcher", on_host=h2)
    for i in range(5):
        ref = spawn(FailsOnStart, name=f"fails{i}", on_host=h2)
        ref.watch(watcher, tag=i)
    got = wait_for(lambda: len(items := watcher.ask("items", timeout=10).get()) == 5 and items)
    assert sorted(n.tag for n in got) == list(range(5))
    assert all(not n.normal and n.reason == "RuntimeError: cannot start" for n in got)


def test_partition_and_heal_on_a_live_link(pair):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = resolve(f"{h2.process_key}/echo", host=h1)
    assert ref.ask(Note("before"), timeout=10).get() == "echo before"
    h2.faults.partition({h1.node})
    with pytest.raises(AskTimeout):
        ref.ask(Note("during"), timeout=0.5).get()
    h2.faults.heal()
    assert ref.ask(Note("after"), timeout=10).get() == "echo after"
    seen = resolve(f"{h2.process_key}/echo", host=h2).ask("seen", timeout=10).get()
    assert seen == ["before", "after"]


def test_duplicates_are_refused_by_the_replay_guard(pair):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = resolve(f"{h2.process_key}/echo", host=h1)
    assert ref.ask(Note("warm"), timeout=10).get() == "echo warm"
    h2.faults.set_link(h1.node, LinkFaults(duplicate=1.0))
    for i in range(5):
        ref.tell(Note(f"t{i}"))
    assert ref.ask(Note("last"), timeout=10).get() == "echo last"
    h2.faults.heal()
    seen = resolve(f"{h2.process_key}/echo", host=h2).ask("seen", timeout=10).get()
    assert seen == ["warm", "t0", "t1", "t2", "t3", "t4", "last"]
    # Every arriving frame came twice; tells in a burst may share a frame, so count frames, not
    # messages: at least the batch of tells and the ask were each refused once as a replay.
    assert h2.counters.snapshot().get("replay", 0) >= 2


def test_set_faults_through_the_host_actor(pair):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = resolve(f"{h2.process_key}/echo", host=h1)
    host_actor = RemoteRef(ActorAddress(h2.node, h2.process, "_host"), h1)
    assert ref.ask(Note("warm"), timeout=10).get() == "echo warm"
    plan = FaultPlan({h1.process_key: LinkFaults(delay=(0.05, 0.1))}, seed=1)
    assert host_actor.ask(SetFaults(plan), timeout=10).get() is None
    assert h2.faults.links == plan.links
    assert ref.ask(Note("delayed"), timeout=10).get() == "echo delayed"
    assert host_actor.ask(SetFaults(FaultPlan()), timeout=10).get() is None
    assert not h2.faults.active


class Blocker(Actor):
    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def on_receive(self, message):
        if message == "block":
            self.gate.wait(30)
            return "released"
        return "pong"


def test_asks_queued_behind_a_stop_fail_as_unreachable_for_both_refs(pair):
    from actors.runtime.actor import StopRequest

    h1, h2 = pair
    gate = threading.Event()
    spawn(Blocker, gate, name="blocker", on_host=h2)
    refs = _refs(pair, "blocker")
    assert refs["remote"].ask("warm up", timeout=10).get() == "pong"  # connected (tcp: looked up)
    blocked = refs["local"].ask("block", timeout=30)
    refs["local"].tell(StopRequest())
    queued = {kind: ref.ask("ping", timeout=5) for kind, ref in refs.items()}
    gate.set()
    assert blocked.get() == "released"
    with pytest.raises(ActorUnreachable):
        queued["local"].get(timeout=4)  # shorter than the ask's own deadline
    with pytest.raises(ActorUnreachable):  # refused by the dying actor, or never read: timeout
        queued["remote"].get()


def test_duplicate_delay_reorder_deliver_every_tell_exactly_once(pair):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = resolve(f"{h2.process_key}/echo", host=h1)
    assert ref.ask(Note("warm"), timeout=10).get() == "echo warm"
    noisy = LinkFaults(duplicate=0.3, delay=(0.0, 0.02), reorder=0.3)
    h2.faults = FaultPlan({h1.node: noisy}, seed=5)  # frames into the actor
    h1.faults = FaultPlan({h2.node: noisy}, seed=6)  # replies into the asker
    for i in range(30):
        ref.tell(Note(str(i)))
    answers = [ref.ask(Note(f"ask{i}"), timeout=10).get() for i in range(5)]
    assert answers == [f"echo ask{i}" for i in range(5)]
    local = resolve(f"{h2.process_key}/echo", host=h2)
    seen = wait_for(lambda: len(s := local.ask("seen", timeout=10).get()) == 36 and s)
    assert sorted(seen[1:]) == sorted([str(i) for i in range(30)] + [f"ask{i}" for i in range(5)])
    h1.faults.heal()
    h2.faults.heal()


class Slow(Actor):
    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def on_receive(self, message):
        self.gate.wait(30)
        return ("done", message)


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_get_with_a_shorter_timeout_can_be_retried(pair, kind):
    import pykka

    h1, h2 = pair
    gate = threading.Event()
    spawn(Slow, gate, name="slow", on_host=h2)
    future = _refs(pair, "slow")[kind].ask("job", timeout=30)
    with pytest.raises(pykka.Timeout):
        future.get(timeout=0.1)
    gate.set()
    assert future.get() == ("done", "job")


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_pykka_future_combinators_work_on_asks(pair, kind):
    """`map`, `filter`, `join` and `reduce` build their futures with no arguments."""
    import pykka

    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = _refs(pair, "echo")[kind]
    assert ref.ask(Note("x"), timeout=10).map(len).get() == len("echo x")
    assert ref.ask(Note("abc"), timeout=10).filter(lambda c: c != "b").get() == list("echo ac")
    joined = pykka.get_all([ref.ask(Note(t), timeout=10) for t in ("a", "b")])
    assert joined == ["echo a", "echo b"]
    both = ref.ask(Note("1"), timeout=10).join(ref.ask(Note("2"), timeout=10))
    assert both.reduce(lambda a, b: a + b).get() == "echo 1echo 2"


def test_a_second_actor_with_a_taken_name_is_refused_and_the_first_still_answers(pair):
    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    ref = resolve(f"{h2.process_key}/echo", host=h1)
    assert ref.ask(Note("one"), timeout=10).get() == "echo one"
    with pytest.raises(ValueError, match="already runs"):
        spawn(Echo, name="echo", on_host=h2)
    assert ref.ask(Note("two"), timeout=10).get() == "echo two"
    answers = []  # a new thread has a new channel: a fresh connection to the actor's socket
    worker = threading.Thread(target=lambda: answers.append(ref.ask(Note("3"), timeout=10).get()))
    worker.start()
    worker.join(30)
    assert answers == ["echo 3"]


def test_host_actor_lists_actors_and_counts_drops(pair):
    from actors.runtime.host_actor import GetCounters, ListActors

    h1, h2 = pair
    spawn(Echo, name="echo", on_host=h2)
    host_actor = RemoteRef(ActorAddress(h2.node, h2.process, "_host"), h1)
    assert host_actor.ask(ListActors(), timeout=10).get() == ["_host", "echo"]
    assert host_actor.ask(GetCounters(), timeout=10).get() == {}
