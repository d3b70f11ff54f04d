"""The client library against real executives: CPG calls and callbacks, errors by name, a
client process that dies without finalize becoming PROCDOWN, CLM, quorum, and discovery."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from actors.ais.client import ClmClient, CpgClient, QuorumClient, ServiceClient
from actors.ais.client.connection import locate
from actors.ais.cpg.messages import ConfchgCallback, CpgMember, CpgReason, DeliverCallback
from actors.ais.errors import AisError, AisErrorCode
from actors.commands.cluster import cluster_down, cluster_up
from actors.config import load_config
from actors.errors import UserError


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture(scope="module")
def configs():
    directory = Path(tempfile.mkdtemp(prefix="rl-client-test-"))
    try:
        yield cluster_up(directory, 2, "ipc", timeout=60.0)
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


class Recorder:
    def __init__(self) -> None:
        self.delivered: list[DeliverCallback] = []
        self.confchgs: list[ConfchgCallback] = []

    def client(self, config: Path) -> CpgClient:
        return CpgClient(
            deliver=self.delivered.append,
            confchg=self.confchgs.append,
            config=str(config),
            timeout=20.0,
        )


def pump(client, condition, what: str):
    return wait_for(lambda: client.dispatch(0.1) >= 0 and condition(), what=what)


@pytest.mark.cluster
def test_two_nodes_exchange_messages_in_one_order(configs):
    a, b = Recorder(), Recorder()
    with a.client(configs[0]) as ca, b.client(configs[1]) as cb:
        ca.join("order", pid=101)
        cb.join("order", pid=202)
        pump(
            ca,
            lambda: ca.membership_get("order") == (CpgMember(1, 101), CpgMember(2, 202)),
            "both members",
        )
        for i in range(20):
            ca.mcast_joined(("a", i), retry=10)
            cb.mcast_joined(("b", i), retry=10)
        pump(ca, lambda: len(a.delivered) >= 40, "node1 got all")
        pump(cb, lambda: len(b.delivered) >= 40, "node2 got all")
        assert [m.data for m in a.delivered] == [m.data for m in b.delivered]
        assert [m.data for m in a.delivered if m.data[0] == "a"] == [("a", i) for i in range(20)]
        assert ca.local_get() == 1 and cb.local_get() == 2
        assert a.confchgs[0].joined[0].reason == CpgReason.JOIN
        ca.leave("order")
        pump(cb, lambda: any(c.left for c in b.confchgs), "leave seen at node2")
        left = next(c for c in b.confchgs if c.left).left[0]
        assert (left.nodeid, left.pid, left.reason) == (1, 101, CpgReason.LEAVE)


@pytest.mark.cluster
def test_errors_are_raised_by_name(configs):
    with CpgClient(config=str(configs[0]), timeout=20.0) as cpg:
        with pytest.raises(AisError) as info:
            cpg.leave("never-joined")
        assert info.value.code == AisErrorCode.NOT_EXIST
        with pytest.raises(AisError) as info:
            cpg.mcast_joined(b"x")
        assert info.value.code == AisErrorCode.NOT_EXIST
    with pytest.raises(AisError) as info:
        cpg.local_get()
    assert info.value.code == AisErrorCode.BAD_HANDLE


CHILD = """
import sys, time
from actors.ais.client import CpgClient
cpg = CpgClient(config=sys.argv[1])
cpg.join("doomed")
print("joined", flush=True)
time.sleep(600)
"""


@pytest.mark.cluster
def test_a_client_process_that_dies_becomes_procdown(configs):
    watcher = Recorder()
    with watcher.client(configs[1]) as cw:
        cw.join("doomed", pid=303)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(configs[0])], stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout.readline().strip() == "joined"
            pump(
                cw,
                lambda: any(c.joined and c.joined[0].pid == child.pid for c in watcher.confchgs),
                "child joined",
            )
            child.kill()
            child.wait(10)
            gone = pump(
                cw,
                lambda: [c for c in watcher.confchgs if c.left and c.left[0].pid == child.pid],
                "PROCDOWN",
            )
            assert gone[0].left[0].reason == CpgReason.PROCDOWN
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
            child.stdout.close()


@pytest.mark.cluster
def test_clm_and_quorum_answer(configs):
    with ClmClient(config=str(configs[0]), timeout=20.0) as clm:
        node = wait_for(lambda: _try(lambda: clm.cluster_node_get(2)), what="clm view")
        assert node.node_id == 2 and node.member
    with QuorumClient(config=str(configs[1]), timeout=20.0) as quorum:
        assert wait_for(quorum.getquorate, what="quorate")
        assert quorum.status().total_votes == 2
    with ServiceClient("nosuch", config=str(configs[0]), timeout=20.0) as other:
        with pytest.raises(AisError) as info:
            other.call(object())
        assert info.value.code == AisErrorCode.BAD_HANDLE


def _try(fn):
    try:
        return fn()
    except AisError:
        return None


def test_discovery_names_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("RINGLEADER_CONFIG", raising=False)
    with pytest.raises(UserError, match="RINGLEADER_CONFIG"):
        locate()
    with pytest.raises(UserError, match="node= and authkey="):
        locate(endpoint="ipc:///nowhere")
    with pytest.raises(UserError, match="no such configuration file"):
        locate(config=tmp_path / "missing.toml")


@pytest.mark.cluster
def test_discovery_from_an_explicit_endpoint(configs):
    cfg = load_config(configs[0])
    where = locate(config=configs[0])
    endpoint = cfg.endpoint("node1", "executive")
    assert (where.node, where.endpoint, where.run_dir) == ("node1", endpoint, str(cfg.run_dir))
    with CpgClient(endpoint=endpoint, node="node1", authkey=cfg.authkey, timeout=20.0) as cpg:
        assert cpg.local_get() == 1


@pytest.mark.cluster
def test_pipelined_mcasts_arrive_in_order_and_refusals_are_kept(configs):
    rec = Recorder()
    with rec.client(configs[0]) as cpg:
        cpg.mcast_nowait("not joined yet")
        assert cpg.settle(timeout=20.0)
        assert [(op.data, err.code) for op, err in cpg.rejected] == [
            ("not joined yet", AisErrorCode.NOT_EXIST)
        ]
        cpg.rejected.clear()
        cpg.join("pipe", pid=404)
        for i in range(300):
            cpg.mcast_nowait(i)
        assert cpg.settle(timeout=20.0) and cpg.unanswered == 0
        assert not cpg.rejected
        pump(cpg, lambda: len(rec.delivered) >= 300, "all delivered")
        assert [m.data for m in rec.delivered] == list(range(300))


@pytest.mark.cluster
def test_a_replicated_service_through_the_generic_client(configs):
    from actors.ais.ckpt.messages import (
        CheckpointOpen,
        CreationAttributes,
        Read,
        ReadElement,
        SectionCreate,
        WriteMode,
    )

    attributes = CreationAttributes(WriteMode.ALL_REPLICAS, 4096, 4, 1024)
    with ServiceClient("ckpt", config=str(configs[0]), timeout=20.0) as writer:
        opened = wait_for(
            lambda: _try(
                lambda: writer.call(CheckpointOpen("ck", attributes, write=True, create=True))
            ),
            what="checkpoint created",
        )
        writer.call(SectionCreate(opened.handle, b"s1", initial_data=b"hello"))
        with ServiceClient("ckpt", config=str(configs[1]), timeout=20.0) as reader:
            handle = reader.call(CheckpointOpen("ck")).handle
            result = reader.call(Read(handle, (ReadElement(b"s1"),)))
            assert result.data == (b"hello",)


@pytest.mark.cluster
def test_callbacks_from_a_dispatch_thread(configs):
    from actors.ais.quorum.messages import TrackFlags

    notes = []
    with QuorumClient(notify=notes.append, config=str(configs[0]), timeout=20.0) as quorum:
        quorum.start_dispatch_thread()
        quorum.trackstart(TrackFlags.CURRENT | TrackFlags.CHANGES)
        note = wait_for(lambda: notes and notes[0], what="a notification from the thread")
        assert note.quorate and note.members == (1, 2)
