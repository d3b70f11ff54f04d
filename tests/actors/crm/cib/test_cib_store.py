"""cib.xml on disk: written atomically with its checksum, 0600; a corrupt, tampered or half
written file is refused with its path, set aside, and the node starts empty."""

from __future__ import annotations

import os
import stat

import pytest

from actors.crm.cib.edit import EMPTY_CIB, CreatePrimitive, apply_change
from actors.crm.cib.store import CHECKSUM, FILE, CibStore, CibStoreError


@pytest.fixture
def xml() -> str:
    return apply_change(EMPTY_CIB, CreatePrimitive("web", "ocf:pacemaker:Dummy")).xml


def test_saved_configuration_reads_back_and_is_private(tmp_path, xml):
    store = CibStore(tmp_path)
    assert store.read() is None and store.load().xml is None  # a fresh node
    store.save(xml)
    assert store.read() == xml
    for name in (FILE, CHECKSUM):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name}: {mode:o}"
        assert (tmp_path / name).stat().st_uid == os.geteuid()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_save_replaces_the_file_whole(tmp_path, xml):
    store = CibStore(tmp_path)
    store.save(EMPTY_CIB)
    inode = (tmp_path / FILE).stat().st_ino
    store.save(xml)
    assert (tmp_path / FILE).stat().st_ino != inode  # renamed into place, never rewritten
    assert store.read() == xml


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / FILE).write_text((d / FILE).read_text().replace("web", "wob")), "sha256"),
        (lambda d: (d / FILE).write_bytes((d / FILE).read_bytes()[:40]), "sha256"),
        (lambda d: (d / CHECKSUM).unlink(), "checksum file cib.xml.sha256 is missing"),
        (lambda d: (d / FILE).unlink(), "missing, but its checksum file exists"),
        (lambda d: (d / CHECKSUM).write_text(""), "unreadable or empty"),
    ],
)
def test_a_damaged_file_is_refused_naming_it_and_set_aside(tmp_path, xml, damage, message):
    store = CibStore(tmp_path)
    store.save(xml)
    damage(tmp_path)
    with pytest.raises(CibStoreError) as info:
        store.read()
    assert message in str(info.value) and str(tmp_path) in str(info.value)
    loaded = store.load()
    assert loaded.xml is None and message in loaded.refused
    assert not (tmp_path / FILE).exists() and not (tmp_path / CHECKSUM).exists()
    assert loaded.set_aside.name == f"{FILE}.bad-1"
    store.save(xml)  # the cluster's copy, taken at the first sync
    assert store.read() == xml


def test_a_file_with_a_matching_checksum_must_still_be_a_valid_cib(tmp_path):
    store = CibStore(tmp_path)
    store.save("<cib><configuration><nope/></configuration></cib>")
    with pytest.raises(CibStoreError, match=r"cib.xml: /cib/configuration: unknown element <nope>"):
        store.read()


def test_set_aside_copies_are_kept(tmp_path, xml):
    store = CibStore(tmp_path)
    for n in (1, 2):
        store.save(xml)
        (tmp_path / FILE).write_text("garbage")
        assert store.load().set_aside.name == f"{FILE}.bad-{n}"
    assert (tmp_path / f"{FILE}.bad-1").read_text() == "garbage"
