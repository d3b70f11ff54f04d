"""The CIB actor before it has joined its group (no executive here): it serves its disk copy,
tells subscribers, refuses changes with CibTryAgain, and refuses a tampered file."""

from __future__ import annotations

import queue

import pytest

from actors.commands.cluster import write_cluster
from actors.config import load_config
from actors.crm.cib.actor import CibActor
from actors.crm.cib.edit import EMPTY_CIB, CreatePrimitive, apply_change
from actors.crm.cib.messages import (
    ApplyChange,
    CibTryAgain,
    ConfigChanged,
    GetConfig,
    Subscribe,
    Unsubscribe,
)
from actors.crm.cib.replication import stamp
from actors.crm.cib.store import CibStore
from actors.runtime.actor import Actor
from actors.runtime.ref import spawn


class Collector(Actor):
    def __init__(self, inbox: queue.Queue) -> None:
        super().__init__()
        self.inbox = inbox

    def on_receive(self, message):
        self.inbox.put(message)


@pytest.fixture
def node(tmp_path):
    (path,) = write_cluster(tmp_path, 1)
    (tmp_path / "authkey").unlink()  # no executive to join: the actor keeps trying
    return path


def start(path, name: str):
    return spawn(CibActor, str(path), name=name)


def test_serves_its_disk_copy_and_tells_subscribers(node):
    xml = apply_change(EMPTY_CIB, CreatePrimitive("web", "ocf:pacemaker:Dummy")).xml
    xml = stamp(xml, (0, 7, 0))
    CibStore(load_config(node).state_dir).save(xml)
    cib = start(node, "cib-disk")
    inbox: queue.Queue = queue.Queue()
    watcher = spawn(Collector, inbox, name="collector")
    try:
        config = cib.ask(GetConfig(), timeout=10).get()
        assert config.version == (0, 7, 0) and 'id="web"' in config.xml
        assert config.xml.rstrip().endswith("<status />\n</cib>")
        cib.tell(Subscribe(watcher))
        assert inbox.get(timeout=10) == ConfigChanged((0, 7, 0), config.xml)
        with pytest.raises(CibTryAgain, match="has not joined its group"):
            cib.ask(ApplyChange(CreatePrimitive("x", "lsb:x")), timeout=10).get()
        cib.tell(Unsubscribe(watcher))
        assert cib.ask(GetConfig(), timeout=10).get().version == (0, 7, 0)
    finally:
        cib.stop(timeout=10)
        watcher.stop(timeout=10)


def test_a_tampered_file_is_set_aside_and_the_node_starts_empty(node):
    state = load_config(node).state_dir
    store = CibStore(state)
    store.save(apply_change(EMPTY_CIB, CreatePrimitive("web", "ocf:pacemaker:Dummy")).xml)
    store.path.write_text(store.path.read_text().replace("Dummy", "Stateful"))
    cib = start(node, "cib-tampered")
    try:
        assert cib.ask(GetConfig(), timeout=10).get().version == (0, 0, 0)
        assert (state / "cib.xml.bad-1").exists() and not store.path.exists()
    finally:
        cib.stop(timeout=10)
