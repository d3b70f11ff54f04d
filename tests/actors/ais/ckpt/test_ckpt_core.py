"""CKPT core on a scripted cluster: attributes, sections, errors, retention, durability, merge."""

from __future__ import annotations

import pytest

from actors.ais.ckpt.core import CkptCore
from actors.ais.ckpt.messages import (
    DEFAULT_SECTION,
    ActiveReplicaSet,
    CheckpointClose,
    CheckpointOpen,
    CheckpointOpened,
    CheckpointStatus,
    CheckpointStatusGet,
    CheckpointUnlink,
    CreationAttributes,
    Overwrite,
    Read,
    ReadElement,
    ReadResult,
    SectionCreate,
    SectionDelete,
    SectionIteration,
    SectionIterationInitialize,
    SectionsChosen,
    Write,
    WriteElement,
    WriteMode,
)
from actors.ais.errors import (
    SA_AIS_ERR_ACCESS,
    SA_AIS_ERR_BAD_FLAGS,
    SA_AIS_ERR_BAD_HANDLE,
    SA_AIS_ERR_BAD_OPERATION,
    SA_AIS_ERR_EXIST,
    SA_AIS_ERR_INVALID_PARAM,
    SA_AIS_ERR_NO_SPACE,
    SA_AIS_ERR_NOT_EXIST,
    AisError,
)
from actors.ais.sync.harness import Cluster

ATTRS = CreationAttributes(WriteMode.ALL_REPLICAS, 100, 4, 40, retention_duration=10.0)


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(CkptCore, [1, 2, 3])


def code(result: object):
    assert isinstance(result, AisError), result
    return result.code


def open_ck(c: Cluster, node: int, conn: str, name: str = "ck", attrs=ATTRS, **kw) -> int:
    kw.setdefault("write", True)
    opened = c.call(node, conn, CheckpointOpen(name, attrs, create=attrs is not None, **kw))
    assert isinstance(opened, CheckpointOpened), opened
    return opened.handle


def read(c: Cluster, node: int, conn: str, handle: int, sid: bytes, offset: int = 0) -> object:
    result = c.call(node, conn, Read(handle, (ReadElement(sid, offset),)))
    return result.data[0] if isinstance(result, ReadResult) else result


def test_open_errors(cluster: Cluster) -> None:
    assert code(cluster.call(1, "a", CheckpointOpen("ck"))) is SA_AIS_ERR_NOT_EXIST
    assert code(cluster.call(1, "a", CheckpointOpen("ck", create=True))) is SA_AIS_ERR_INVALID_PARAM
    too_big = CreationAttributes(WriteMode.ALL_REPLICAS, 1000, 2, 10)
    assert code(cluster.call(1, "a", CheckpointOpen("ck", too_big, create=True))) is (
        SA_AIS_ERR_INVALID_PARAM
    )
    bad = CreationAttributes(WriteMode.ALL_REPLICAS, 10, 1, 10, collocated=True)
    assert (
        code(cluster.call(1, "a", CheckpointOpen("ck", bad, create=True))) is SA_AIS_ERR_BAD_FLAGS
    )
    open_ck(cluster, 1, "a")
    other = CreationAttributes(WriteMode.ALL_REPLICAS, 100, 5, 20)
    assert code(cluster.call(2, "b", CheckpointOpen("ck", other, create=True))) is SA_AIS_ERR_EXIST
    same_but_retention = CreationAttributes(WriteMode.ALL_REPLICAS, 100, 4, 40, 99.0)
    open_ck(cluster, 2, "b", attrs=same_but_retention)
    open_ck(cluster, 3, "c", attrs=None)


def test_sections_write_read_overwrite_delete_and_limits(cluster: Cluster) -> None:
    h = open_ck(cluster, 1, "a")
    assert cluster.call(1, "a", SectionCreate(h, b"s1", None, b"hello")) is None
    assert code(cluster.call(1, "a", SectionCreate(h, b"s1"))) is SA_AIS_ERR_EXIST
    assert code(cluster.call(1, "a", SectionCreate(h, b"big", None, b"x" * 41))) is (
        SA_AIS_ERR_INVALID_PARAM
    )
    write = Write(h, (WriteElement(b"s1", 5, b" world"), WriteElement(b"s1", 0, b"J")))
    assert cluster.call(1, "a", write) is None
    r = open_ck(cluster, 3, "r", attrs=None, write=False)
    assert read(cluster, 3, "r", r, b"s1") == b"Jello world"
    assert read(cluster, 3, "r", r, b"s1", 6) == b"world"
    assert code(read(cluster, 3, "r", r, b"s1", 50)) is SA_AIS_ERR_INVALID_PARAM
    assert code(cluster.call(3, "r", SectionCreate(r, b"s2"))) is SA_AIS_ERR_ACCESS
    bad = Write(h, (WriteElement(b"s1", 0, b"ok"), WriteElement(b"nope", 0, b"x")))
    assert cluster.call(1, "a", bad) == AisError(SA_AIS_ERR_NOT_EXIST, "element 1: section b'nope'")
    assert read(cluster, 2, "x", open_ck(cluster, 2, "x", attrs=None), b"s1") == b"Jello world"
    assert code(cluster.call(1, "a", Write(h, (WriteElement(b"s1", 30, b"x" * 11),)))) is (
        SA_AIS_ERR_INVALID_PARAM
    )
    assert cluster.call(1, "a", Overwrite(h, b"s1", b"new")) is None
    assert read(cluster, 3, "r", r, b"s1") == b"new"
    for sid in (b"s2", b"s3"):
        assert cluster.call(1, "a", SectionCreate(h, sid, None, b"y" * 40)) is None
    assert (
        code(cluster.call(1, "a", SectionCreate(h, b"s4", None, b"y" * 40))) is SA_AIS_ERR_NO_SPACE
    )
    assert cluster.call(1, "a", SectionCreate(h, b"s4")) is None
    assert code(cluster.call(1, "a", SectionCreate(h, b"s5"))) is SA_AIS_ERR_NO_SPACE
    status = cluster.call(3, "r", CheckpointStatusGet(r))
    assert status == CheckpointStatus(ATTRS, 4, 83)
    assert cluster.call(1, "a", SectionDelete(h, b"s2")) is None
    assert code(cluster.call(1, "a", SectionDelete(h, b"s2"))) is SA_AIS_ERR_NOT_EXIST
    assert code(read(cluster, 3, "r", r, b"s2")) is SA_AIS_ERR_NOT_EXIST


def test_default_section_of_single_section_checkpoint(cluster: Cluster) -> None:
    one = CreationAttributes(WriteMode.ACTIVE_REPLICA, 10, 1, 10, collocated=True)
    h = open_ck(cluster, 1, "a", attrs=one)
    assert cluster.call(1, "a", Overwrite(h, DEFAULT_SECTION, b"abc")) is None
    assert read(cluster, 2, "b", open_ck(cluster, 2, "b", attrs=None), DEFAULT_SECTION) == b"abc"
    assert code(cluster.call(1, "a", SectionDelete(h, DEFAULT_SECTION))) is SA_AIS_ERR_INVALID_PARAM
    assert cluster.call(1, "a", ActiveReplicaSet(h)) is None
    h2 = open_ck(cluster, 1, "a", "other")
    assert code(cluster.call(1, "a", ActiveReplicaSet(h2))) is SA_AIS_ERR_BAD_OPERATION


def test_section_expiration_and_iteration(cluster: Cluster) -> None:
    h = open_ck(cluster, 1, "a")
    cluster.call(1, "a", SectionCreate(h, b"forever"))
    cluster.call(1, "a", SectionCreate(h, b"soon", 5.0))
    cluster.call(1, "a", SectionCreate(h, b"later", 50.0))
    leq = cluster.call(
        2,
        "b",
        SectionIterationInitialize(
            open_ck(cluster, 2, "b", attrs=None), SectionsChosen.LEQ_EXPIRATION_TIME, 10.0
        ),
    )
    assert isinstance(leq, SectionIteration)
    assert [d.section_id for d in leq.sections] == [b"soon"]
    forever = cluster.call(1, "a", SectionIterationInitialize(h, SectionsChosen.FOREVER))
    assert [d.section_id for d in forever.sections] == [b"forever"]
    cluster.advance(6.0)
    every = cluster.call(1, "a", SectionIterationInitialize(h, SectionsChosen.ANY))
    assert [d.section_id for d in every.sections] == [b"forever", b"later"]
    assert all(
        b"soon" not in next(iter(c.state.checkpoints.values())).sections
        for c in cluster.cores.values()
    )


def test_retention_after_last_close_and_unlink(cluster: Cluster) -> None:
    h = open_ck(cluster, 1, "a")
    cluster.call(1, "a", SectionCreate(h, b"s", None, b"kept"))
    assert cluster.call(1, "a", CheckpointClose(h)) is None
    assert code(cluster.call(1, "a", Read(h, ()))) is SA_AIS_ERR_BAD_HANDLE
    cluster.advance(9.0)
    h = open_ck(cluster, 2, "b", attrs=None)  # reopened in time: retention stops
    cluster.advance(20.0)
    assert read(cluster, 2, "b", h, b"s") == b"kept"
    cluster.close(2, "b")  # the process dies: that is a close
    cluster.advance(11.0)
    assert code(cluster.call(3, "c", CheckpointOpen("ck"))) is SA_AIS_ERR_NOT_EXIST
    h = open_ck(cluster, 1, "a")
    assert cluster.call(2, "b", CheckpointUnlink("ck")) is None
    assert code(cluster.call(2, "b", CheckpointUnlink("ck"))) is SA_AIS_ERR_NOT_EXIST
    assert cluster.call(1, "a", SectionCreate(h, b"still")) is None  # opener keeps using it
    h2 = open_ck(cluster, 3, "c")  # a new checkpoint with the name
    assert code(read(cluster, 3, "c", h2, b"still")) is SA_AIS_ERR_NOT_EXIST
    cluster.call(1, "a", CheckpointClose(h))
    assert all(len(c.state.checkpoints) == 1 for c in cluster.cores.values())


def test_opener_node_loss_starts_retention(cluster: Cluster) -> None:
    h = open_ck(cluster, 1, "a")
    cluster.call(1, "a", SectionCreate(h, b"s", None, b"precious"))
    cluster.crash(1)
    cluster.advance(9.0)
    h2 = open_ck(cluster, 2, "b", attrs=None)
    assert read(cluster, 2, "b", h2, b"s") == b"precious"
    cluster.call(2, "b", CheckpointClose(h2))
    cluster.advance(11.0)
    assert code(cluster.call(3, "x", CheckpointOpen("ck"))) is SA_AIS_ERR_NOT_EXIST


def test_restarted_node_gets_the_data_from_the_others(cluster: Cluster) -> None:
    h = open_ck(cluster, 1, "a")
    cluster.call(1, "a", SectionCreate(h, b"s", None, b"precious"))
    cluster.crash(1)
    cluster.restart(1)
    cluster.merge()
    cluster.crash(2)
    cluster.crash(3)
    h1 = open_ck(cluster, 1, "x", attrs=None)
    assert read(cluster, 1, "x", h1, b"s") == b"precious"


def test_merge_newest_write_wins_and_deletes_stick(cluster: Cluster) -> None:
    h1, h3 = open_ck(cluster, 1, "a"), open_ck(cluster, 3, "c")
    for sid in (b"x", b"y", b"z"):
        cluster.call(1, "a", SectionCreate(h1, sid, None, b"0"))
    cluster.partition([1, 2], [3])
    cluster.call(3, "c", Overwrite(h3, b"x", b"from-3"))  # ring 2
    cluster.call(3, "c", SectionDelete(h3, b"z"))
    cluster.call(1, "a", Overwrite(h1, b"y", b"from-1"))
    cluster.call(1, "a", SectionCreate(h1, b"w", None, b"new"))
    cluster.partition([1], [2], [3])
    cluster.call(1, "a", Overwrite(h1, b"x", b"from-1-later"))  # ring 3: newer than 3's write
    cluster.merge()
    for node, conn, h in ((1, "a", h1), (3, "c", h3)):
        assert read(cluster, node, conn, h, b"x") == b"from-1-later"
        assert read(cluster, node, conn, h, b"y") == b"from-1"
        assert read(cluster, node, conn, h, b"w") == b"new"
        assert code(read(cluster, node, conn, h, b"z")) is SA_AIS_ERR_NOT_EXIST
    views = {repr(c.state.checkpoints) for c in cluster.cores.values()}
    assert len(views) == 1


def test_same_name_created_on_two_sides_becomes_one_checkpoint(cluster: Cluster) -> None:
    cluster.partition([1], [2, 3])
    h1 = open_ck(cluster, 1, "a")
    h2 = open_ck(cluster, 2, "b")
    cluster.call(1, "a", SectionCreate(h1, b"one", None, b"1"))
    cluster.call(2, "b", SectionCreate(h2, b"two", None, b"2"))
    cluster.call(2, "b", SectionCreate(h2, b"one", None, b"newer"))
    cluster.merge()
    h3 = open_ck(cluster, 3, "c", attrs=None)
    iteration = cluster.call(3, "c", SectionIterationInitialize(h3, SectionsChosen.ANY))
    assert [d.section_id for d in iteration.sections] == [b"one", b"two"]
    assert read(cluster, 1, "a", h1, b"one") == b"newer"
    assert read(cluster, 1, "a", h1, b"two") == b"2"
    assert all(len(c.state.checkpoints) == 1 for c in cluster.cores.values())


def test_retention_expires_after_the_timer_leader_crashes(cluster: Cluster) -> None:
    h = open_ck(cluster, 3, "c")
    cluster.call(3, "c", CheckpointClose(h))
    cluster.advance(5.0)
    cluster.crash(1)  # node 1 was the one to multicast the expiry
    cluster.advance(4.0)
    assert all(c.state.checkpoints for c in cluster.cores.values())
    cluster.advance(2.0)
    assert all(not c.state.checkpoints for c in cluster.cores.values())
