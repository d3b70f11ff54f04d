"""Actors in processes of their own (spawn context, classes shipped with cloudpickle): remote
tell/ask, refs and exceptions across processes, SetFaults through `_host`, and a supervised
process child killed with SIGKILL coming back with a new pid."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import pytest
import tenacity
from runtime_support import unique, wait_for

from actors.runtime import Actor, ActorUnreachable, AskTimeout, resolve, spawn
from actors.runtime.address import ActorAddress
from actors.runtime.host import SetFaults
from actors.runtime.host_actor import GetCounters
from actors.runtime.process import HostConfig, spawn_process
from actors.runtime.ref import RemoteRef
from actors.runtime.supervision import ChildSpec, GetChildren, Supervisor
from transport.faults import FaultPlan

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120)]


@dataclass(frozen=True)
class Hello:
    text: str


@dataclass(frozen=True)
class TellBack:
    to: object  # a Ref living in the parent
    text: str


class Oops(Exception):
    pass


class Child(Actor):
    """Defined in the test module: the spawned process gets it through cloudpickle."""

    def on_receive(self, message):
        if isinstance(message, Hello):
            return (os.getpid(), f"hello {message.text}")
        if isinstance(message, TellBack):
            message.to.tell(("from child", message.text, os.getpid()))
            return type(message.to).__name__
        if message == "oops":
            raise Oops("child says no")
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


@pytest.fixture(params=["ipc", "tcp"])
def parent(request, make_host, endpoint_for, authkey):
    """A parent host and a HostConfig for one child process that knows the parent."""
    t = request.param
    node, child = unique("pn"), unique("pc")
    parent_ep, child_ep = endpoint_for(t, node), endpoint_for(t, child)
    peers = {f"{node}/main": parent_ep, f"{child}/main": child_ep}
    host = make_host(node=node, endpoint=parent_ep, peers=peers)
    config = HostConfig(node=child, process="main", endpoint=child_ep, authkey=authkey, peers=peers)
    return host, config


@pytest.fixture
def handles():
    started: list = []
    yield started
    for handle in started:
        handle.stop(grace=5)


def test_tell_ask_refs_and_exceptions_across_processes(parent, handles):
    host, config = parent
    handle = spawn_process(Child, name="child", config=config)
    handles.append(handle)
    ref = handle.ref
    assert isinstance(ref, RemoteRef) and str(ref.address) == f"{config.node}/main/child"
    pid, text = ref.ask(Hello("there"), timeout=10).get()
    assert pid == handle.pid != os.getpid() and text == "hello there"
    with pytest.raises(Oops, match="child says no"):
        ref.ask("oops", timeout=10).get()
    collector = spawn(Collector, name="collector", on_host=host)
    assert ref.ask(TellBack(collector, "back"), timeout=10).get() == "RemoteRef"
    assert wait_for(lambda: collector.ask("items", timeout=10).get()) == [
        ("from child", "back", handle.pid)
    ]
    ref.tell(Hello("tell only"))  # a tell is fine too
    counters = resolve(f"{config.node}/main/_host", host=host).ask(GetCounters(), timeout=10)
    assert counters.get() == {}
    ref.stop(timeout=10)
    handle.join(30)
    assert handle.exitcode == 0
    with pytest.raises(AskTimeout):  # the process is gone
        ref.ask(Hello("anyone?"), timeout=0.5).get()


def test_a_class_defined_inside_a_test_travels_by_value(parent, handles):
    host, config = parent

    @dataclass(frozen=True)
    class Local:
        n: int

    class LocalActor(Actor):
        def on_receive(self, message):
            if isinstance(message, Local):
                return Local(message.n * 2)
            return super().on_receive(message)

    handle = spawn_process(LocalActor, name="local", config=config)
    handles.append(handle)
    assert handle.ref.ask(Local(21), timeout=10).get() == Local(42)


def test_set_faults_through_host_actor_across_processes(make_host, endpoint_for, authkey, handles):
    a, b, child = unique("fa"), unique("fb"), unique("fc")
    eps = {k: endpoint_for("ipc", k) for k in (a, b, child)}
    peers = {f"{k}/main": ep for k, ep in eps.items()}
    ha = make_host(node=a, endpoint=eps[a], peers=peers)
    hb = make_host(node=b, endpoint=eps[b], peers=peers)
    config = HostConfig(
        node=child, process="main", endpoint=eps[child], authkey=authkey, peers=peers
    )
    handles.append(spawn_process(Child, name="child", config=config))
    address = ActorAddress(child, "main", "child")
    from_a, from_b = RemoteRef(address, ha), RemoteRef(address, hb)
    child_host = RemoteRef(ActorAddress(child, "main", "_host"), ha)
    assert from_b.ask(Hello("b"), timeout=10).get()[1] == "hello b"

    plan = FaultPlan(seed=1)
    plan.partition({b})
    assert child_host.ask(SetFaults(plan), timeout=10).get() is None
    with pytest.raises(AskTimeout):
        from_b.ask(Hello("b"), timeout=0.5).get()
    assert from_a.ask(Hello("a"), timeout=10).get()[1] == "hello a"

    assert child_host.ask(SetFaults(FaultPlan()), timeout=10).get() is None
    assert from_b.ask(Hello("b again"), timeout=10).get()[1] == "hello b again"


def test_process_child_killed_is_restarted_with_a_new_pid(make_host, endpoint_for, authkey):
    node, child = unique("kn"), unique("kc")
    eps = {node: endpoint_for("ipc", node), child: endpoint_for("ipc", child)}
    peers = {f"{k}/main": ep for k, ep in eps.items()}
    host = make_host(node=node, endpoint=eps[node], peers=peers)
    config = HostConfig(
        node=child, process="main", endpoint=eps[child], authkey=authkey, peers=peers
    )
    spec = ChildSpec("proc", lambda: spawn_process(Child, name="child", config=config))
    sup = spawn(Supervisor, [spec], name="sup", on_host=host, backoff=tenacity.wait_fixed(0.05))
    try:
        status = sup.ask(GetChildren(), timeout=60).get()["proc"]
        assert status.alive and status.pid
        ref = resolve(f"{child}/main/child", host=host)
        assert ref.ask(Hello("1"), timeout=10).get() == (status.pid, "hello 1")
        os.kill(status.pid, signal.SIGKILL)

        def restarted():
            s = sup.ask(GetChildren(), timeout=60).get()["proc"]
            return s if s.restarts == 1 and s.alive else None

        new = wait_for(restarted)
        assert new.pid != status.pid and new.last_exit == f"killed by signal {signal.SIGKILL}"

        def answered():
            try:
                return ref.ask(Hello("2"), timeout=2).get()
            except ActorUnreachable:
                return None

        assert wait_for(answered) == (new.pid, "hello 2")
    finally:
        sup.stop(timeout=30)
    wait_for(lambda: not _alive(status.pid) and not _alive(new.pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def test_tcp_process_restarted_on_a_new_port_is_found_again(make_host, endpoint_for, authkey):
    """On tcp an actor's port is picked by the kernel: after a restart the old one is stale."""
    node, child = unique("tn"), unique("tc")
    eps = {node: endpoint_for("tcp", node), child: endpoint_for("tcp", child)}
    peers = {f"{k}/main": ep for k, ep in eps.items()}
    host = make_host(node=node, endpoint=eps[node], peers=peers)
    config = HostConfig(
        node=child, process="main", endpoint=eps[child], authkey=authkey, peers=peers
    )
    first = spawn_process(Child, name="child", config=config)
    try:
        ref = resolve(f"{child}/main/child", host=host)
        assert ref.ask(Hello("1"), timeout=10).get() == (first.pid, "hello 1")
        first.kill()
        first.join(30)
        second = spawn_process(Child, name="child", config=config)
    finally:
        first.stop(grace=5)
    try:

        def answered():
            try:
                return ref.ask(Hello("2"), timeout=1).get()
            except ActorUnreachable:
                return None

        assert wait_for(answered) == (second.pid, "hello 2")
    finally:
        second.stop(grace=5)


class SlowToStart(Actor):
    def __init__(self) -> None:
        super().__init__()
        import time

        time.sleep(60)  # the child never reports ready in time


class FailsToStart(Actor):
    def __init__(self) -> None:
        super().__init__()
        raise ValueError("no config for me")


@pytest.mark.parametrize(
    "cls,why", [(SlowToStart, "did not report ready"), (FailsToStart, "no config")]
)
def test_a_child_that_does_not_start_is_reported_and_leaves_nothing_behind(
    make_host, endpoint_for, authkey, cls, why
):
    import multiprocessing

    from actors.runtime.process import SpawnError

    node = unique("sn")
    config = HostConfig(
        node=node, process="main", endpoint=endpoint_for("ipc", node), authkey=authkey
    )
    before = {p.pid for p in multiprocessing.active_children()}
    with pytest.raises(SpawnError, match=why) as info:
        spawn_process(cls, name="slow", config=config, start_timeout=3)
    assert f"{node}/main/slow" in str(info.value)
    wait_for(lambda: {p.pid for p in multiprocessing.active_children()} <= before)


PARENT_DIES_AT_ONCE = """
import os, signal, sys
import multiprocessing.context
from actors.runtime.actor import Actor
from actors.runtime.process import HostConfig, spawn_process

start = multiprocessing.context.SpawnProcess.start

def start_then_die(process):
    start(process)
    print(process.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # before the child got anywhere

multiprocessing.context.SpawnProcess.start = start_then_die
config = HostConfig(node="orphan", process="main", endpoint=sys.argv[1], authkey=os.urandom(64))
spawn_process(Actor, name="a", config=config)
"""


def test_a_child_whose_parent_dies_while_it_starts_does_not_stay(tmp_path):
    """The parent's death is noticed even when it happens before the child can arrange to be
    killed with it (the child used to read its parent's pid too late: then it was 1)."""
    import subprocess
    import sys

    from actors.runtime.procfs import pid_alive as alive

    parent = subprocess.run(
        [sys.executable, "-c", PARENT_DIES_AT_ONCE, f"ipc://{tmp_path}/orphan"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    child = int(parent.stdout.split()[0])
    wait_for(lambda: not alive(child), timeout=30)
