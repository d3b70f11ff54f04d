"""Supervisors of actor children: restart on crash, leave a transient child that stopped normally
alone, and escalate past the restart intensity by dying (and stopping every child)."""

from __future__ import annotations

import pytest
import tenacity
from runtime_support import unique, wait_for

from actors.runtime import Actor, spawn
from actors.runtime.supervision import ChildSpec, GetChildren, Supervisor

FAST = tenacity.wait_fixed(0.01)


class Worker(Actor):
    def on_receive(self, message):
        if message == "crash":
            raise RuntimeError("worker crashed")
        if message == "quit":
            self.stop()
            return None
        if message == "ping":
            return "pong"
        return super().on_receive(message)


class BrokenWorker(Actor):
    def on_start(self) -> None:
        raise RuntimeError("broken at start")


class Collector(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.items: list = []

    def on_receive(self, message):
        if message == "items":
            return list(self.items)
        self.items.append(message)
        return None


@pytest.fixture(params=["inproc", "ipc"])
def host(request, make_host, endpoint_for):
    node = unique("s")
    return make_host(node=node, endpoint=endpoint_for(request.param, node))


def _child(host, cls, name, restart="permanent", starts=None):
    def start():
        if starts is not None:
            starts.append(name)
        return spawn(cls, name=name, on_host=host)

    return ChildSpec(name, start, restart)


def _status(sup, name):
    return sup.ask(GetChildren(), timeout=10).get()[name]


def test_crashed_child_is_restarted(host):
    sup = spawn(Supervisor, [_child(host, Worker, "w")], name="sup", on_host=host, backoff=FAST)
    worker = lambda: host.local_actor("w")  # noqa: E731
    first = worker()
    for n in (1, 2):
        host_ref = spawn_ref(host, "w")
        host_ref.tell("crash")
        st = wait_for(lambda n=n: (s := _status(sup, "w")).restarts == n and s.alive and s)
        assert "RuntimeError: worker crashed" in st.last_exit
    assert worker() is not first
    assert spawn_ref(host, "w").ask("ping", timeout=10).get() == "pong"
    sup.stop(timeout=10)
    assert host.local_actor("w") is None


def spawn_ref(host, name):
    from actors.runtime import resolve

    wait_for(lambda: host.local_actor(name))
    return resolve(f"{host.process_key}/{name}", host=host)


def test_transient_child_that_stops_normally_is_not_restarted(host):
    starts: list = []
    specs = [_child(host, Worker, "t", "transient", starts), _child(host, Worker, "p")]
    sup = spawn(Supervisor, specs, name="sup", on_host=host, backoff=tenacity.wait_fixed(0))
    spawn_ref(host, "t").tell("quit")
    st = wait_for(lambda: (s := _status(sup, "t")).last_exit and s)
    assert st.last_exit == "normal" and not st.alive and st.restarts == 0
    # a crash of the permanent sibling is restarted: a barrier after which "t" had its chance
    spawn_ref(host, "p").tell("crash")
    wait_for(lambda: (s := _status(sup, "p")).restarts == 1 and s.alive)
    st = _status(sup, "t")
    assert not st.alive and st.restarts == 0 and starts == ["t"]
    # but a transient child that crashes is restarted
    sup2 = spawn(
        Supervisor,
        [_child(host, Worker, "t2", "transient")],
        name="sup2",
        on_host=host,
        backoff=FAST,
    )
    spawn_ref(host, "t2").tell("crash")
    wait_for(lambda: (s := _status(sup2, "t2")).restarts == 1 and s.alive)


def test_temporary_child_is_never_restarted(host):
    sup = spawn(
        Supervisor,
        [_child(host, Worker, "tmp", "temporary")],
        name="sup",
        on_host=host,
        backoff=FAST,
    )
    spawn_ref(host, "tmp").tell("crash")
    st = wait_for(lambda: (s := _status(sup, "tmp")).last_exit and s)
    assert not st.alive and st.restarts == 0 and "worker crashed" in st.last_exit


def test_restart_intensity_exceeded_escalates(host):
    watcher = spawn(Collector, name="watcher", on_host=host)
    specs = [_child(host, Worker, "healthy"), _child(host, BrokenWorker, "broken")]
    sup = spawn(
        Supervisor, specs, name="sup", on_host=host, max_restarts=2, within=60, backoff=FAST
    )
    sup.watch(watcher, tag="sup")
    notice = wait_for(lambda: watcher.ask("items", timeout=10).get())[0]
    assert notice.tag == "sup" and not notice.normal
    assert notice.address == f"{host.process_key}/sup"
    assert notice.reason.startswith("RestartIntensityExceeded: 3 restarts within 60 s (limit 2)")
    assert "broken" in notice.reason
    wait_for(lambda: host.local_actor("healthy") is None and host.local_actor("broken") is None)
    assert not sup.is_alive


def test_many_quick_restarts_rebind_the_same_name(host):
    """A restart binds the name the dead child just had (on inproc libzmq frees it lazily)."""
    sup = spawn(
        Supervisor,
        [_child(host, Worker, "w")],
        name="sup",
        on_host=host,
        max_restarts=100,
        within=60,
        backoff=tenacity.wait_fixed(0),
    )
    for n in range(1, 16):
        spawn_ref(host, "w").tell("crash")
        wait_for(lambda n=n: (s := _status(sup, "w")).restarts == n and s.alive)
    assert sup.is_alive
    assert spawn_ref(host, "w").ask("ping", timeout=10).get() == "pong"
