"""CkptClient on a real 3-node cluster: replicas on every node, surviving the writer's node,
synced back to a restarted node, and the AIS errors by name."""

from __future__ import annotations

import pytest

from actors.ais.ckpt.messages import CreationAttributes, SectionsChosen, WriteMode
from actors.ais.client import CkptClient
from actors.ais.errors import AisError, AisErrorCode

pytestmark = pytest.mark.cluster

ATTRS = CreationAttributes(WriteMode.ALL_REPLICAS, 4096, 8, 512)


def test_written_on_node1_read_on_node3(nodes):
    with CkptClient(config=nodes[1]) as a, CkptClient(config=nodes[3]) as c:
        h = a.open("shared", ATTRS, create=True, write=True)
        a.section_create(h, b"greeting", b"hello")
        a.write(h, b"greeting", b"J", offset=0)
        a.section_create(h, b"other", b"x" * 10)
        h3 = c.open("shared")
        assert c.read(h3, b"greeting") == b"Jello"
        assert c.read(h3, b"other", offset=2, size=3) == b"xxx"
        assert [s.section_id for s in c.iterate(h3, SectionsChosen.FOREVER)] == [
            b"greeting",
            b"other",
        ]
        status = c.status(h3)
        assert (status.number_of_sections, status.memory_used) == (2, 15)
        with pytest.raises(AisError) as info:
            c.overwrite(h3, b"greeting", b"no")  # opened read-only
        assert info.value.code == AisErrorCode.ACCESS


def test_errors_by_name(nodes):
    with CkptClient(config=nodes[2]) as b:
        with pytest.raises(AisError) as info:
            b.open("never-created")
        assert info.value.code.name == "SA_AIS_ERR_NOT_EXIST"
        h = b.open("strict", ATTRS, create=True, write=True)
        other = CreationAttributes(WriteMode.ALL_REPLICAS, 1024, 2, 512)
        with pytest.raises(AisError) as info:
            b.open("strict", other, create=True)
        assert info.value.code.name == "SA_AIS_ERR_EXIST"
        with pytest.raises(AisError) as info:
            b.open("bad", CreationAttributes(WriteMode.ALL_REPLICAS, 9999, 1, 10), create=True)
        assert info.value.code.name == "SA_AIS_ERR_INVALID_PARAM"
        with pytest.raises(AisError) as info:
            b.read(h, b"no-such-section")
        assert info.value.code.name == "SA_AIS_ERR_NOT_EXIST"
        b.section_create(h, b"s")
        with pytest.raises(AisError) as info:
            b.section_create(h, b"s")
        assert info.value.code.name == "SA_AIS_ERR_EXIST"
        b.unlink("strict")  # the name goes now, the checkpoint when closed
        with pytest.raises(AisError) as info:
            b.open("strict")
        assert info.value.code.name == "SA_AIS_ERR_NOT_EXIST"
        b.section_create(h, b"t", b"still usable by its opener")
        b.close(h)


def test_data_survives_the_writers_node_and_comes_back_to_it(nodes):
    with CkptClient(config=nodes[3]) as c:
        writer = CkptClient(config=nodes[1])
        h = writer.open("durable", ATTRS, create=True, write=True)
        writer.section_create(h, b"counter", b"0")
        for i in range(1, 21):
            writer.overwrite(h, b"counter", str(i).encode())
        h3 = c.open("durable", write=True)
        nodes.kill(1)
        writer.finalize()  # its executive is gone with the node
        assert c.read(h3, b"counter") == b"20"
        c.overwrite(h3, b"counter", b"21")  # the survivors go on serving
        nodes.restart(1)
        with CkptClient(config=nodes[1]) as again:
            h1 = again.open("durable")
            assert again.read(h1, b"counter") == b"21"
